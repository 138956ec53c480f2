"""Accounts: login, logout, who am I, and the admin's user list."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tumen.errors import TumenError
from tumen.web import auth
from tumen.web.deps import DB, Admin, CSRFForm, CurrentUser, render

router = APIRouter()
log = logging.getLogger("tumen.web")
HASH_THREADS = 2  # argon2 checks at once (each ~0.1 s of a core and 64 MiB)
_hash_limiters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


async def hashing(fn: Callable, *args: Any) -> Any:
    """``fn(*args)`` (a password hash or check) in a worker thread, at most
    ``HASH_THREADS`` at once (per event loop: a server process has one): a login flood
    queues there and never blocks the event loop, so every other request is served."""
    import asyncio

    import anyio

    loop = asyncio.get_running_loop()
    limiter = _hash_limiters.get(loop)
    if limiter is None:
        limiter = _hash_limiters[loop] = anyio.CapacityLimiter(HASH_THREADS)
    return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=limiter)


def safe_next(target: str) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", include_in_schema=False)
async def login_post(request: Request, form: CSRFForm, db: DB):
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    # a name longer than any account's is counted by its first characters (bounded keys)
    keys = ("addr:" + (request.client.host if request.client else "?"),
            "name:" + name[:auth.MAX_USER_NAME + 1])
    limiter: auth.LoginLimiter = request.app.state.login_limiter
    wait = limiter.wait(*keys)
    if wait:
        log.warning("login refused for %r from %s: too many failed attempts", name, keys[0])
        response = render(request, "login.html", {
            "next": target, "error": f"too many failed logins; try again in {wait} s"}, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    row = db.reader.user(name) if name else None

    def check() -> bool:  # an unknown name costs a check too (against a dummy hash)
        stored = row["password_hash"] if row is not None else auth.dummy_hash()
        return auth.verify_password(stored, password)

    # argon2 (~0.1 s, 64 MiB) off the event loop, a few at a time
    if not await hashing(check) or row is None:
        limiter.failed(*keys)
        log.warning("failed login for %r from %s", name, keys[0])
        return render(request, "login.html", {"next": target,
                                              "error": "wrong user name or password"}, 401)
    sessions: auth.Sessions = request.app.state.sessions
    request.state.new_session = auth.Sessions.new(
        row["name"], auth.password_mark(sessions.secret(), row["password_hash"]))
    return RedirectResponse(target, 303)


@router.post("/logout", include_in_schema=False)
async def logout_post(request: Request, form: CSRFForm):
    request.app.state.sessions.end(request.state.session)
    request.state.new_session = auth.Sessions.new()
    return RedirectResponse("/login" if request.app.state.login_mode() else "/", 303)


@router.get("/api/me", tags=["accounts"], summary="Who am I")
def me(request: Request, user: CurrentUser) -> dict[str, Any]:
    return {"user": user.name if user else None, "role": user.role if user else None,
            "login_required": request.app.state.login_mode(),
            "csrf_token": request.state.session["csrf"]}


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, me: Admin, db: DB):
    return render(request, "users.html", {"users": db.reader.list_users(),
                                          "roles": list(auth.ROLES)})


@router.post("/admin/users", include_in_schema=False)
async def users_post(request: Request, me: Admin, form: CSRFForm, db: DB):
    action = form.get("action")
    try:
        name = auth.check_name(str(form.get("name") or ""))
        if action == "remove":
            if name == me.name:
                raise auth.AuthError("you cannot remove yourself")
            with db.writer() as store:
                store.remove_user(name)
        else:
            role = auth.check_role(str(form.get("role") or "viewer"))
            password_hash = await hashing(auth.hash_password, str(form.get("password") or ""))
            with db.writer() as store:
                store.add_user(name, role, password_hash)
    except TumenError as exc:
        return render(request, "users.html", {"users": db.reader.list_users(),
                                              "roles": list(auth.ROLES), "error": str(exc)}, 400)
    return RedirectResponse("/admin/users", 303)
