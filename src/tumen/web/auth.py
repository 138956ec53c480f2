"""Accounts, sessions and CSRF for the web app.

* Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106 low-memory).
* The session is one signed cookie (itsdangerous) holding the user name, a random CSRF
  token and a fingerprint of the user's password hash; it is HttpOnly, SameSite=Lax,
  and Secure when the request came over HTTPS.  A user removed from the store loses
  access on the next request (the name is looked up every time), and a password change
  or a removal followed by a re-add ends every session of the account (the fingerprint
  no longer matches).
* The signing key is never in the store (a copy of the store, a backup or a shared
  export must not let anyone mint a cookie): it is ``TUMEN_SECRET`` when set, else a
  key file beside the store (``STORE.key``, mode 0600, made on first use; for a
  PostgreSQL store, in ``~/.config/tumen/``).  ``tumen user rotate-secret`` writes a
  new key: every session ends, running servers pick it up at their next request.
* Every POST must carry the session's CSRF token (form field ``csrf_token`` or header
  ``X-CSRF-Token``); anonymous visitors get a session cookie too, so the login form is
  protected as well.

Login modes (``AuthMode``): ``local`` -- bound to a loopback address, no users in the
store and login not forced: everyone is the built-in local admin (a one-person desk
setup).  ``login`` -- anything else: pages need a signed-in user.  ``--require-login``
or ``TUMEN_REQUIRE_LOGIN=1`` forces ``login`` even on 127.0.0.1 (tests use it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tumen.errors import TumenError

ROLES = ("viewer", "editor", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SESSION_COOKIE = "tumen_session"
SESSION_MAX_AGE = 12 * 3600  # seconds: one working day; then sign in again
# Login rate limit: this many failed logins per client address, and per account name,
# within LOGIN_WINDOW seconds, and further attempts get 429 until the oldest failure
# leaves the window.  5 per 15 minutes is OWASP's usual figure; a person who mistypes
# twice is never stopped, a guesser gets 20 tries an hour instead of thousands.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = 15 * 60  # seconds
LOCAL_USER = "local"
MAX_USER_NAME = 64  # characters
SECRET_ENV = "TUMEN_SECRET"
MIN_SECRET_CHARS = 32

_hasher = PasswordHasher()
log = logging.getLogger("tumen.web")


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


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches: checked when the user name is unknown, so that a
    login takes as long whether or not the name exists (no user enumeration by time)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def password_mark(secret: str, password_hash: str) -> str:
    """What a session keeps of its user's password hash: a keyed digest, so that a
    password change (or a removal and re-add) ends the account's sessions."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:24]


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
    if not name or len(name) > MAX_USER_NAME or not all(c.isalnum() or c in "._-@" for c in name):
        raise AuthError(f"invalid user name {name!r}: 1-{MAX_USER_NAME} letters, digits, '.', '_', '-', '@'")
    if name == LOCAL_USER:
        raise AuthError(f"{LOCAL_USER!r} is reserved for the local desk mode")
    return name


def login_required(host: str, has_users: bool, force: bool | None = None) -> bool:
    """The login mode: required unless bound to loopback with no users and not forced."""
    if force is None:
        force = os.environ.get("TUMEN_REQUIRE_LOGIN", "") not in ("", "0", "false", "no")
    return bool(force) or host not in LOCAL_HOSTS or has_users


# -- the session signing key, outside the store --------------------------------------
def secret_path(db_path: str) -> Path:
    """Where the key of the store at ``db_path`` lives: ``STORE.key`` beside a SQLite
    file; for a PostgreSQL URL, a file named by the URL's digest in ~/.config/tumen."""
    from tumen.store.queries import is_postgres_url

    text = str(db_path)
    if is_postgres_url(text):
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "tumen"
        return base / f"secret-{hashlib.sha256(text.encode()).hexdigest()[:16]}.key"
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    return Path(text + ".key")


def _write_key(path: Path, replace: bool) -> None:
    """A new random key in ``path`` (mode 0600), written to a temporary file first:
    never half written; without ``replace``, a key another process made first wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_key(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"{path}: the session key is readable by others "
                        f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}")
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if len(key) < MIN_SECRET_CHARS:
        raise AuthError(f"{path}: the session key is shorter than {MIN_SECRET_CHARS} "
                        "characters; remove it or run `tumen user rotate-secret`")
    return key


class SecretKey:
    """The session signing key of a store: ``TUMEN_SECRET``, else the key file (made on
    first use).  ``current()`` re-reads the file when it changed (one ``stat`` per
    call), so a rotation reaches a running server at its next request.  When the file
    cannot be made (a full disk), a key for this process only is used and logged."""

    def __init__(self, db_path: str):
        self.path = secret_path(db_path)
        self._env = os.environ.get(SECRET_ENV) or None
        if self._env is not None and len(self._env) < MIN_SECRET_CHARS:
            raise AuthError(f"{SECRET_ENV} is shorter than {MIN_SECRET_CHARS} characters")
        self._seen: tuple | None = None
        self._key = self._env or ""
        self._lock = threading.Lock()
        if self._env is None:
            try:
                if not self.path.exists():
                    _write_key(self.path, replace=False)
            except OSError as exc:
                import logging

                logging.getLogger("tumen.web").warning(
                    "%s: cannot write the session key (%s); sessions last until this "
                    "process ends", self.path, exc.strerror or exc)
                self._key = secrets.token_urlsafe(48)
                self._seen = ("memory",)
            self.current()

    def current(self) -> str:
        if self._env is not None or self._seen == ("memory",):
            return self._key
        try:
            st = self.path.stat()
        except OSError:
            if self._key:  # the file went away: keep signing with the key in use
                return self._key
            raise
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen != self._seen:
            with self._lock:
                self._key, self._seen = _read_key(self.path), seen
        return self._key


def rotate_secret(db_path: str) -> Path:
    """Write a new session key for the store at ``db_path``: every session ends."""
    if os.environ.get(SECRET_ENV):
        raise AuthError(f"{SECRET_ENV} is set: the key is taken from the environment; "
                        "change it there and restart the server")
    path = secret_path(db_path)
    try:
        _write_key(path, replace=True)
    except OSError as exc:
        raise AuthError(f"{path}: cannot write the session key ({exc.strerror or exc})") from exc
    return path


class Sessions:
    """Signs and reads the session cookie.  A session lasts ``max_age`` seconds from
    sign-in; one ended by logout is refused even if its cookie is replayed.  Ended
    sessions' tokens are held in memory until they would have expired anyway, and
    handed to ``on_end`` / asked of ``is_ended`` when given (the app keeps them in the
    store, so other worker processes and restarts refuse them too)."""

    def __init__(self, secret: str | Callable[[], str], max_age: int = SESSION_MAX_AGE,
                 is_ended: Callable[[str], bool] | None = None,
                 on_end: Callable[[str, float], None] | None = None):
        self._secret = secret if callable(secret) else (lambda: secret)
        self._serializers: dict[str, URLSafeTimedSerializer] = {}
        self.max_age = max_age
        self._ended: dict[str, float] = {}  # CSRF token of a logged-out session -> expiry
        self._lock = threading.Lock()
        self._is_ended, self._on_end = is_ended, on_end

    def load(self, cookie: str | None) -> tuple[dict[str, Any], bool]:
        """(session, True) from a valid cookie, else (a fresh anonymous session, False)."""
        if cookie:
            try:
                data = self._serializer().loads(cookie, max_age=self.max_age)
                if (isinstance(data, dict) and isinstance(data.get("csrf"), str)
                        and data["csrf"] not in self._ended
                        and not (self._is_ended and self._is_ended(data["csrf"]))):
                    return data, True
            except BadSignature:
                pass
        return self.new(), False

    def end(self, session: dict[str, Any]) -> None:
        """Refuse this session's cookie from now on (logout)."""
        now = time.time()
        with self._lock:
            self._ended = {k: t for k, t in self._ended.items() if t > now}
            if session.get("csrf"):
                self._ended[session["csrf"]] = now + self.max_age
        if session.get("csrf") and self._on_end:
            try:
                self._on_end(session["csrf"], now + self.max_age)
            except TumenError as exc:  # ended in this process at least (a full disk)
                log.warning("logout kept in memory only: %s", exc)

    def dump(self, session: dict[str, Any]) -> str:
        return self._serializer().dumps(session)

    def secret(self) -> str:
        return self._secret()

    def _serializer(self) -> URLSafeTimedSerializer:
        secret = self._secret()
        serializer = self._serializers.get(secret)
        if serializer is None:
            serializer = URLSafeTimedSerializer(secret, salt="tumen-session")
            self._serializers = {secret: serializer}  # only the current key signs
        return serializer

    @staticmethod
    def new(user: str | None = None, mark: str | None = None) -> dict[str, Any]:
        """A fresh session (new CSRF token): on login and logout, against fixation.
        ``mark`` is ``password_mark`` of the user's password hash."""
        session: dict[str, Any] = {"csrf": secrets.token_urlsafe(24)}
        if user:
            session["user"] = user
            session["pw"] = mark
        return session


class LoginLimiter:
    """Counts failed logins per key (client address, account name) in a sliding window
    of ``window`` seconds; ``wait`` says how long a key must wait, 0 when it may try.

    Where the failures are kept is the caller's: ``recent(key, since)`` gives a key's
    failure times after ``since`` (ascending) and ``record(keys, at, forget_before)``
    adds one.  The web app keeps them in the store, so that every worker process counts
    the same failures; without the two, they are kept in this process's memory."""

    def __init__(self, max_failures: int = LOGIN_MAX_FAILURES, window: float = LOGIN_WINDOW,
                 clock: Callable[[], float] = time.time,
                 recent: Callable[[str, float], list[float]] | None = None,
                 record: Callable[[tuple[str, ...], float, float], None] | None = None):
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._recent_in = recent or self._recent_in_memory
        self._record = record or self._record_in_memory

    def wait(self, *keys: str) -> int:
        """Seconds before ``keys`` may try again; 0 when they may.  Fails closed: when
        the failures cannot be read, every login waits a whole window."""
        now = self.clock()
        since = now - self.window
        try:
            waits = [self._recent_in(k, since) for k in keys]
        except Exception as exc:  # the store cannot be read: refuse rather than guess
            log.warning("login refused: failed logins cannot be counted (%s)", exc)
            return int(self.window)
        if self._recent_in != self._recent_in_memory:  # failures that could not be stored
            waits = [sorted(t + self._recent_in_memory(k, since)) for k, t in zip(keys, waits)]
        return max([int(t[-self.max_failures] + self.window - now) + 1 for t in waits
                    if len(t) >= self.max_failures] or [0])

    def failed(self, *keys: str) -> None:
        """Count a failed login.  When the keeping refuses it (a full disk), it is
        counted in this process's memory: the limit still holds (fails closed)."""
        now = self.clock()
        try:
            self._record(keys, now, now - self.window)
        except Exception as exc:
            if self._record == self._record_in_memory:
                raise
            log.warning("failed login counted in memory only: %s", exc)
            self._record_in_memory(keys, now, now - self.window)

    # -- the in-memory keeping (one process) --------------------------------------
    def _recent_in_memory(self, key: str, since: float) -> list[float]:
        with self._lock:
            return [t for t in self._failures.get(key, ()) if t > since]

    def _record_in_memory(self, keys: tuple[str, ...], at: float, forget_before: float) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(at)
                while times and times[0] <= forget_before:
                    times.popleft()
            if len(self._failures) > 100_000:  # bound memory under a spray of names
                self._failures = {k: t for k, t in self._failures.items() if t and t[-1] > forget_before}


def csrf_ok(session: dict[str, Any], token: str | None) -> bool:
    expected = session.get("csrf")
    return bool(token and expected and hmac.compare_digest(str(token), str(expected)))


# -- library calls behind `tumen user add/list/remove` -------------------------------
def _store(db_path: str):
    from tumen.store import open_store

    return open_store(db_path)  # creates / migrates


def add_user(db_path: str, name: str, role: str, password: str) -> dict[str, Any]:
    """Create a user (argon2-hashed password).  Raises AuthError / StoreError."""
    name, role = check_name(name), check_role(role)
    password_hash = hash_password(password)
    with _store(db_path) as store:
        store.add_user(name, role, password_hash)
    return {"name": name, "role": role}


def set_password(db_path: str, name: str, password: str) -> None:
    """Change a user's password: every session of the account ends."""
    password_hash = hash_password(password)
    with _store(db_path) as store:
        if not store.set_user(name, password_hash=password_hash):
            raise AuthError(f"no user {name!r}")


def list_users(db_path: str) -> list[dict[str, Any]]:
    with _store(db_path) as store:
        return store.list_users()


def remove_user(db_path: str, name: str) -> bool:
    with _store(db_path) as store:
        if not store.remove_user(name):
            raise AuthError(f"no user {name!r}")
        return True
