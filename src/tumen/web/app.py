"""The web app: ``create_app(db_path, host=...)`` returns a FastAPI application.

A small factory: the store handle, sessions and settings go on ``app.state``; then the
middleware (body limit, session and login gate, security headers), the templates, the
exception handlers, and the routers of ``routes/`` (search, reports and corrections,
incidents, accounts, upload, API), whose shared dependencies are in ``deps.py``.
Every page has a JSON twin answered by the same handler from the same data.  All
assets are bundled under ``static/``; the Content-Security-Policy allows nothing from
another host and no inline script.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from tumen import __version__
from tumen.errors import QueryError, StoreError
from tumen.web import auth, params
from tumen.web.auth import User
from tumen.web.charts import TYPE_COLORS
from tumen.web.db import WebDB
from tumen.web.deps import (
    TOO_LARGE,
    HTTPError,
    id_url,
    render,
    route_wants_json,
    wants_json,
    web_url,
)
from tumen.web.routes import ROUTERS
from tumen.web.routes.accounts import HASH_THREADS  # noqa: F401  (documented as web.app.HASH_THREADS)
from tumen.web.routes.upload import MAX_UPLOAD_BYTES  # noqa: F401

HERE = Path(__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Request bodies, checked as they arrive (before any form is parsed or spooled to
# disk): an upload's whole body, and any other request's (login, corrections, forms).
MAX_UPLOAD_BODY_BYTES = 32 * 1024 * 1024
MAX_BODY_BYTES = 1024 * 1024
LOCAL_ADMIN = User(auth.LOCAL_USER, "admin")
PUBLIC_PATHS = ("/login", "/static/", "/favicon.ico")
# Host names the local desk mode answers to.  Everyone is admin there, so a web page
# that re-points its own DNS name at 127.0.0.1 (DNS rebinding) must not be served:
# its requests carry its own name in the Host header.  "testserver", the name
# Starlette's in-process TestClient sends, is accepted only from that client (its
# requests carry the ``http.response.debug`` extension, which no real server sets).
# Logged-out sessions are kept in the store's web_settings (key prefix + the session's
# CSRF token, value its expiry): one small row per logout, so every worker process and
# a restarted server refuse a replayed cookie.
ENDED_SESSION = "ended_session:"
DESK_HOST_NAMES = ("127.0.0.1", "localhost", "::1")
TEST_HOST_NAME = "testserver"
log = logging.getLogger("tumen.web")
_ERROR_BODY = {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}
# What every API route may answer besides 200 (described so that clients and the
# schemathesis run in tests/test_schemathesis.py know them): a bad parameter is a 400.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameter or query: {\"error\": message}", "content": _ERROR_BODY},
    401: {"description": "Login required", "content": _ERROR_BODY},
    403: {"description": "Role or CSRF token refused", "content": _ERROR_BODY},
    404: {"description": "No such report or format", "content": _ERROR_BODY},
}


class BodyTooLarge(Exception):
    """A request body went past its limit (raised while it is being received)."""


class BodyLimit:
    """ASGI middleware, outermost: a request whose declared ``Content-Length`` is over
    the limit of its route is answered 413 before any of its body is read; a body sent
    without a length (chunked) is counted as it arrives and cut off at the limit.  So
    no form is parsed, nor any upload spooled to disk, past the limit, whatever the
    route and however long the client holds the connection."""

    def __init__(self, app: Any):
        self.app = app

    @staticmethod
    def limit_for(scope: dict) -> int:
        upload = scope.get("method") == "POST" and scope.get("path") == "/upload"
        return MAX_UPLOAD_BODY_BYTES if upload else MAX_BODY_BYTES

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[TOO_LARGE] = True  # whatever a parser makes of the exception
                    raise BodyTooLarge()
            return message

        async def watched_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except Exception:
            if not scope.get(TOO_LARGE):
                raise
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Callable, limit: int) -> None:
        body = json.dumps({"error": f"request body larger than {limit:,} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                   (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(db_path: str, *, host: str = "127.0.0.1", require_login: bool | None = None,
               session_max_age: int = auth.SESSION_MAX_AGE) -> FastAPI:
    """The app over the store at ``db_path``.  ``require_login`` forces (True) or
    waives (False, only honoured on loopback hosts) the login; None decides from the
    host and the users in the store (see ``auth.login_required``).  A session expires
    ``session_max_age`` seconds after sign-in."""
    db = WebDB(db_path)
    app = FastAPI(title="Tumen", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", responses=ERROR_RESPONSES,
                  description="JSON API of Tumen: every page of the web UI has a twin here, "
                              "answered by the same handler from the same data.")
    app.state.db = db
    templates = app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    templates.env.globals.update(type_colors=TYPE_COLORS, version=__version__)
    templates.env.filters["web_url"] = web_url
    templates.env.filters["id_url"] = id_url

    # logged-out sessions and failed logins are kept in the store: every worker sees them
    def session_ended(token: str) -> bool:
        return db.reader.setting(ENDED_SESSION + token) is not None

    def end_session(token: str, until: float) -> None:
        with db.writer() as store:
            store.set_setting_default(ENDED_SESSION + token, str(int(until)))

    def record_failure(keys: tuple[str, ...], at: float, forget_before: float) -> None:
        with db.writer() as store:
            store.add_login_failure(keys, at, forget_before)

    key = auth.SecretKey(db_path)  # outside the store: STORE.key or TUMEN_SECRET
    app.state.sessions = auth.Sessions(key.current, max_age=session_max_age,
                                       is_ended=session_ended, on_end=end_session)
    app.state.login_limiter = auth.LoginLimiter(
        recent=lambda key, since: db.reader.login_failures(key, since), record=record_failure)

    def login_mode() -> bool:
        if require_login is False and host in auth.LOCAL_HOSTS:
            return False
        return auth.login_required(host, db.reader.count_users() > 0, require_login)

    app.state.login_mode = login_mode
    app.middleware("http")(session_layer)
    for exc_class, handler in EXCEPTION_HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(BodyLimit)  # outermost: before any body is read
    return app


# -- middleware: session, login gate, security headers ---------------------------------
async def session_layer(request: Request, call_next: Callable) -> Response:
    """Every response, errors included, leaves with the security headers."""
    try:
        response = await _answer(request, call_next)
    except StoreError as exc:  # e.g. the store cannot be read at all
        response = JSONResponse({"error": str(exc)}, 503)
    except Exception:
        if request.scope.get(TOO_LARGE):
            raise  # answered by BodyLimit (413)
        log.exception("error answering %s %s", request.method, request.url.path)
        response = JSONResponse({"error": "internal error (logged by the server)"}, 500)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _answer(request: Request, call_next: Callable) -> Response:
    """The session from its cookie, the user it signs in (or the local desk user), the
    login gate; a new or refreshed session cookie on the way out."""
    state = request.app.state
    db: WebDB = state.db
    sessions: auth.Sessions = state.sessions
    raw = request.cookies.get(auth.SESSION_COOKIE)
    session, valid = sessions.load(raw)
    request.state.session = session
    request.state.new_session = None
    user = None
    if state.login_mode():
        name = session.get("user")
        row = db.reader.user(name) if name else None
        # the session was made with this password: a changed password, or a removed
        # and re-added account, has another hash, and the session ends
        if row is not None and hmac.compare_digest(
                str(session.get("pw") or ""),
                auth.password_mark(sessions.secret(), row["password_hash"])):
            user = User(row["name"], row["role"])
    else:
        user = LOCAL_ADMIN
    request.state.user = user
    path = request.url.path
    if user is LOCAL_ADMIN and not _desk_host(request):
        response: Response = JSONResponse(
            {"error": "in local desk mode this server answers only to localhost or "
                      "127.0.0.1 (another host name may be a DNS-rebinding page)"}, 403)
    elif user is None and not path.startswith(PUBLIC_PATHS):
        if wants_json(path):
            response = JSONResponse({"error": "login required"}, status_code=401)
        else:
            target = path + (("?" + request.url.query) if request.url.query else "")
            response = RedirectResponse("/login?" + urlencode({"next": target}), 303)
    else:
        response = await call_next(request)
    new = request.state.new_session
    if new is not None or not valid:
        data = new if new is not None else session
        response.set_cookie(auth.SESSION_COOKIE, sessions.dump(data),
                            max_age=sessions.max_age, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


# -- exception handlers: JSON on the API and the twins, the error page elsewhere -------
async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    if route_wants_json(request):
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    return render(request, "error.html", {"status": exc.status, "message": exc.message},
                  exc.status)


async def query_error(request: Request, exc: Exception) -> Response:
    return await http_error(request, HTTPError(400, str(exc)))


async def validation_error(request: Request, exc: Exception) -> Response:
    """A parameter the route's models refused: 400 with one line (a query parameter's
    message is its model's, ``params.message``)."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = first.get("loc") or ["request"]
    if loc[0] == "query":
        message = params.message(first)
    else:
        message = f"{loc[-1]}: {first.get('msg', 'invalid')}"
    return await http_error(request, HTTPError(400, message))


async def store_error(request: Request, exc: Exception) -> Response:
    return await http_error(request, HTTPError(503, str(exc)))


async def no_route(request: Request, exc: Exception) -> Response:
    """No route for the path (or the method): the documented error body
    (``{"error": ...}``), with the router's own words, nothing of the request echoed.
    (A report id holding a line break matches no route: 404 too.)"""
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                        headers=exc.headers)


EXCEPTION_HANDLERS: dict[Any, Callable] = {
    HTTPError: http_error, QueryError: query_error,
    RequestValidationError: validation_error, StoreError: store_error,
    StarletteHTTPException: no_route}


def _desk_host(request: Request) -> bool:
    """True when the Host header names this machine (the local desk mode's rule)."""
    name = _host_name(request.headers.get("host"))
    if name == TEST_HOST_NAME:
        return "http.response.debug" in (request.scope.get("extensions") or {})
    return name in DESK_HOST_NAMES


def _host_name(host: str | None) -> str:
    """The name in a Host header, without port or brackets, lower case."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return (host.rsplit(":", 1)[0] if host.count(":") == 1 else host).rstrip(".")
