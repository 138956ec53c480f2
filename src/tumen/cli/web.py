"""`tumen serve` and `tumen user add/list/remove/rotate-secret`: each calls one library
function."""

from __future__ import annotations

import os
import re
import sys
from typing import Optional

import typer

from tumen.cli import app, store_path

user_app = typer.Typer(help="Manage web accounts (roles: viewer, editor, admin).",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command()
def serve(db: Optional[str] = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
          host: str = typer.Option("127.0.0.1", "--host", help="Address to bind. Anything but a loopback address requires login."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port (1-65535)."),
          workers: int = typer.Option(1, "--workers", min=1, max=64,
                                      help="Server processes (e.g. the number of cores)."),
          require_login: bool = typer.Option(False, "--require-login",
                                             help="Require login even on 127.0.0.1 (also TUMEN_REQUIRE_LOGIN=1).")) -> None:
    """Serve the web UI and JSON API.

    On 127.0.0.1 with no users in the store, the local desk user acts as admin (no
    login).  Once a user exists, or when bound to another address, login is required.
    """
    from tumen.web import serve as run
    from tumen.web.auth import LOCAL_HOSTS, list_users

    path = store_path(db)
    if (host not in LOCAL_HOSTS or require_login) and not list_users(path):
        print("login is required but the store has no users: create one with "
              "`tumen user add NAME --role admin`", file=sys.stderr)
    shown = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(path))  # no password on screen
    print(f"serving {shown} on http://{host}:{port}/", file=sys.stderr)
    run(path, host=host, port=port, require_login=True if require_login else None,
        workers=workers)


@user_app.command("add")
def user_add(name: str = typer.Argument(..., help="User name."),
             role: str = typer.Option("viewer", "--role", help="viewer, editor or admin."),
             password: Optional[str] = typer.Option(None, "--password",
                                                    help="Password (else $TUMEN_PASSWORD, else prompted)."),
             db: Optional[str] = typer.Option(None, "--db", help="Store file.")) -> None:
    """Create a web account."""
    from tumen.web.auth import add_user

    if password is None:
        password = os.environ.get("TUMEN_PASSWORD") or typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
    user = add_user(store_path(db), name, role, password)
    print(f"added {user['name']} ({user['role']})", file=sys.stderr)


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help="Store file.")) -> None:
    """List web accounts (name, role, created)."""
    from tumen.web.auth import list_users

    for user in list_users(store_path(db)):
        print(f"{user['name']}\t{user['role']}\t{user['created_at']}")


@user_app.command("remove")
def user_remove(name: str = typer.Argument(...),
                db: Optional[str] = typer.Option(None, "--db", help="Store file.")) -> None:
    """Remove a web account (its sessions end at the next request)."""
    from tumen.web.auth import remove_user

    remove_user(store_path(db), name)
    print(f"removed {name}", file=sys.stderr)


@user_app.command("rotate-secret")
def user_rotate_secret(db: Optional[str] = typer.Option(None, "--db", help="Store file.")) -> None:
    """Write a new session key (STORE.key, mode 0600): every session ends."""
    from tumen.web.auth import rotate_secret

    path = rotate_secret(store_path(db))
    print(f"new session key in {path}: every session has ended", file=sys.stderr)
