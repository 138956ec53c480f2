"""Accounts, sessions and CSRF for the web app.

* Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106 low-memory).
* The session is one signed cookie (itsdangerous, keyed by the store's secret or
  ``TUMEN_SECRET``) holding the user name and a random CSRF token; it is HttpOnly,
  SameSite=Lax, and Secure when the request came over HTTPS.  A user removed from the
  store loses access on the next request (the name is looked up every time).
* Every POST must carry the session's CSRF token (form field ``csrf_token`` or header
  ``X-CSRF-Token``); anonymous visitors get a session cookie too, so the login form is
  protected as well.

Login modes (``AuthMode``): ``local`` -- bound to a loopback address, no users in the
store and login not forced: everyone is the built-in local admin (a one-person desk
setup).  ``login`` -- anything else: pages need a signed-in user.  ``--require-login``
or ``TUMEN_REQUIRE_LOGIN=1`` forces ``login`` even on 127.0.0.1 (tests use it).
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import TumenError

ROLES = ("viewer", "editor", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SESSION_COOKIE = "tumen_session"
SESSION_MAX_AGE = 12 * 3600  # seconds: one working day; then sign in again
LOCAL_USER = "local"

_hasher = PasswordHasher()


class AuthError(TumenError):
    """A user cannot be created, found or authenticated."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, role: str) -> bool:
        """True when this user's role is ``role`` or above (viewer < editor < admin)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def hash_password(password: str) -> str:
    if not password:
        raise AuthError("a password must not be empty")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_role(role: str) -> str:
    if role not in ROLE_RANK:
        raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise AuthError(f"invalid user name {name!r}: 1-64 letters, digits, '.', '_', '-', '@'")
    if name == LOCAL_USER:
        raise AuthError(f"{LOCAL_USER!r} is reserved for the local desk mode")
    return name


def login_required(host: str, has_users: bool, force: bool | None = None) -> bool:
    """The login mode: required unless bound to loopback with no users and not forced."""
    if force is None:
        force = os.environ.get("TUMEN_REQUIRE_LOGIN", "") not in ("", "0", "false", "no")
    return bool(force) or host not in LOCAL_HOSTS or has_users


class Sessions:
    """Signs and reads the session cookie."""

    def __init__(self, secret: str):
        self._serializer = URLSafeTimedSerializer(secret, salt="tumen-session")

    def load(self, cookie: str | None) -> tuple[dict[str, Any], bool]:
        """(session, True) from a valid cookie, else (a fresh anonymous session, False)."""
        if cookie:
            try:
                data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
                if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                    return data, True
            except BadSignature:
                pass
        return self.new(), False

    def dump(self, session: dict[str, Any]) -> str:
        return self._serializer.dumps(session)

    @staticmethod
    def new(user: str | None = None) -> dict[str, Any]:
        """A fresh session (new CSRF token): on login and logout, against fixation."""
        session: dict[str, Any] = {"csrf": secrets.token_urlsafe(24)}
        if user:
            session["user"] = user
        return session


def csrf_ok(session: dict[str, Any], token: str | None) -> bool:
    expected = session.get("csrf")
    return bool(token and expected and hmac.compare_digest(str(token), str(expected)))


# -- library calls behind `tumen user add/list/remove` -------------------------------
def _connect(db_path: str):
    from ..store import open_store
    from ..store import queries as Q

    open_store(db_path).close()  # create / migrate
    return Q, Q.connect(db_path)


def add_user(db_path: str, name: str, role: str, password: str) -> dict[str, Any]:
    """Create a user (argon2-hashed password).  Raises AuthError / StoreError."""
    name, role = check_name(name), check_role(role)
    password_hash = hash_password(password)
    Q, conn = _connect(db_path)
    try:
        Q.add_user(conn, name, role, password_hash)
        return {"name": name, "role": role}
    finally:
        conn.close()


def list_users(db_path: str) -> list[dict[str, Any]]:
    Q, conn = _connect(db_path)
    try:
        return Q.list_users(conn)
    finally:
        conn.close()


def remove_user(db_path: str, name: str) -> bool:
    Q, conn = _connect(db_path)
    try:
        if not Q.remove_user(conn, name):
            raise AuthError(f"no user {name!r}")
        return True
    finally:
        conn.close()
