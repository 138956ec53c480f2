"""The web app: ``create_app(db_path, host=...)`` returns a FastAPI application.

Every page has a JSON twin built from the same view function (``views.py``): the page
renders the dict with a Jinja template (autoescaped), ``/api/...`` returns it.  All
assets are bundled under ``static/``; the Content-Security-Policy allows nothing from
another host and no inline script.
"""

from __future__ import annotations

import hmac
import json
import logging
import tempfile
import weakref
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tumen import __version__
from tumen.errors import QueryError, StoreError, TumenError
from tumen.web import auth, exports, views
from tumen.web.auth import User
from tumen.web.charts import TYPE_COLORS
from tumen.web.db import WebDB
from tumen.web.params import parse_state

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
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one uploaded file
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


class CorrectionBody(BaseModel):
    """The JSON body of ``POST /api/reports/{id}/corrections``: strings only, except a
    tag line, which may be a list of strings."""

    model_config = ConfigDict(strict=True)
    action: Optional[str] = None
    key: Optional[str] = None
    changes: Optional[dict[str, Union[str, None, list[str]]]] = None
    evidence: Optional[str] = None

    @field_validator("changes")
    @classmethod
    def _only_tags_is_a_list(cls, changes: dict[str, Any] | None) -> dict[str, Any] | None:
        for name, value in (changes or {}).items():
            if isinstance(value, list) and name != "tags":
                raise ValueError(f"{name}: expected a string or null")
        return changes


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


TOO_LARGE = "tumen.body_too_large"  # set in the ASGI scope when a body passed its limit


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


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


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
                              "built from the same view function.")
    app.state.db = db
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    templates.env.globals.update(type_colors=TYPE_COLORS, version=__version__)
    templates.env.filters["web_url"] = _web_url
    templates.env.filters["id_url"] = id_url
    def session_ended(token: str) -> bool:
        return db.reader.setting(ENDED_SESSION + token) is not None

    def end_session(token: str, until: float) -> None:
        with db.writer() as store:
            store.set_setting_default(ENDED_SESSION + token, str(int(until)))

    key = auth.SecretKey(db_path)  # outside the store: STORE.key or TUMEN_SECRET
    sessions = auth.Sessions(key.current, max_age=session_max_age, is_ended=session_ended,
                             on_end=end_session)
    def record_failure(keys: tuple[str, ...], at: float, forget_before: float) -> None:
        with db.writer() as store:
            store.add_login_failure(keys, at, forget_before)

    # failed logins are kept in the store: every worker process counts them all
    limiter = app.state.login_limiter = auth.LoginLimiter(
        recent=lambda key, since: db.reader.login_failures(key, since), record=record_failure)

    def login_mode() -> bool:
        if require_login is False and host in auth.LOCAL_HOSTS:
            return False
        return auth.login_required(host, db.reader.count_users() > 0, require_login)

    app.state.login_mode = login_mode

    # -- middleware: session, login gate, security headers -------------------------
    @app.middleware("http")
    async def session_layer(request: Request, call_next: Callable) -> Response:
        """Every response, errors included, leaves with the security headers."""
        try:
            response = await answer(request, call_next)
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

    async def answer(request: Request, call_next: Callable) -> Response:
        raw = request.cookies.get(auth.SESSION_COOKIE)
        session, valid = sessions.load(raw)
        request.state.session = session
        request.state.new_session = None
        user = None
        if login_mode():
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
            if path.startswith("/api/"):
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

    # -- helpers -------------------------------------------------------------------
    def page(request: Request, template: str, data: dict[str, Any], status: int = 200
             ) -> HTMLResponse:
        user: User | None = request.state.user
        context = {"request": request, "data": data, "user": user,
                   "csrf": request.state.session.get("csrf"), "login_mode": login_mode(),
                   "can_edit": bool(user and user.can("editor")),
                   "can_admin": bool(user and user.can("admin"))}
        context.update(data.get("_context", {}))
        return templates.TemplateResponse(request, template, context, status_code=status)

    def require(request: Request, role: str) -> User:
        user: User | None = request.state.user
        if user is None:
            raise HTTPError(401, "login required")
        if not user.can(role):
            raise HTTPError(403, f"this needs the {role} role; you are {user.role}")
        return user

    async def form_with_csrf(request: Request) -> Any:
        form = await request.form()
        token = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not auth.csrf_ok(request.state.session, token):
            raise HTTPError(403, "the form expired or did not come from this site (CSRF check)"
                                 "; reload the page and try again")
        return form

    def state_of(request: Request, kind: str):
        return parse_state(list(request.query_params.multi_items()), kind)

    def sync() -> None:
        db.sync()

    @app.exception_handler(HTTPError)
    async def http_error(request: Request, exc: HTTPError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return page(request, "error.html", {"status": exc.status, "message": exc.message},
                    exc.status)

    @app.exception_handler(QueryError)
    async def query_error(request: Request, exc: QueryError) -> Response:
        return await http_error(request, HTTPError(400, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = str((first.get("loc") or ["request"])[-1])
        return await http_error(request, HTTPError(400, f"{where}: {first.get('msg', 'invalid')}"))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        return await http_error(request, HTTPError(503, str(exc)))

    # -- search ------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request):
        sync()
        state = state_of(request, "search")
        return page(request, "search.html", views.search_view(db, state)
                    | {"_context": {"st": state}})

    @app.get("/api/search", tags=["search"], summary="Search reports with facets")
    def api_search(request: Request, q: str = "", page: int = 1, tag: list[str] | None = None,
                   province: list[str] | None = None, place: list[str] | None = None,
                   org: list[str] | None = None, type: list[str] | None = None,
                   source: list[str] | None = None, month: list[str] | None = None
                   ) -> dict[str, Any]:
        """Reports matching ``q`` (the CLI's FTS syntax) and every facet value given
        (repeat a parameter to require several values); facet counts of the result."""
        sync()
        return views.search_view(db, state_of(request, "search"))

    @app.get("/api/facets", tags=["search"], summary="Facet counts for a filter")
    def api_facets(request: Request, scope: str = "reports", q: str = "",
                   tag: list[str] | None = None, province: list[str] | None = None,
                   place: list[str] | None = None, org: list[str] | None = None,
                   type: list[str] | None = None, source: list[str] | None = None,
                   month: list[str] | None = None) -> dict[str, Any]:
        """Counts of reports (scope=reports) or incidents (scope=incidents) per facet value."""
        sync()
        return views.facets_view(db, state_of(request, "facets"))

    # -- reports -----------------------------------------------------------------
    # Ids may hold "/" (RSS guids are URLs): the routes take the rest of the path, and
    # links encode "/" (``id_url``), so an id never leaves /reports/.  The form's route
    # comes first (a GET of /reports/ID/correct is the form, not a report).
    @app.get("/reports/{report_id:path}/correct", response_class=HTMLResponse,
             include_in_schema=False)
    def correction_page(request: Request, report_id: str, key: str | None = None):
        if (db.reader.report_row(report_id + "/correct") is not None
                and db.reader.report_row(report_id) is None):
            return report_page(request, report_id + "/correct")  # an id ending "/correct"
        require(request, "editor")
        data = views.correction_form_view(db, report_id, key)
        if data is None:
            raise HTTPError(404, f"no report {report_id!r}")
        return page(request, "correct.html", data)

    @app.get("/reports/{report_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, report_id: str):
        sync()
        data = views.report_view(db, report_id)
        if data is None:
            raise HTTPError(404, f"no report {report_id!r}")
        return page(request, "report.html", data)

    @app.get("/api/reports/{report_id:path}", tags=["reports"], summary="One report and its record")
    def api_report(report_id: str) -> dict[str, Any]:
        """The report text, its record with corrections applied, marked text segments
        and near-duplicates."""
        sync()
        data = views.report_view(db, report_id)
        if data is None:
            raise HTTPError(404, f"no report {report_id!r}")
        return data

    @app.post("/reports/{report_id:path}/corrections", include_in_schema=False)
    async def correction_post(request: Request, report_id: str):
        user = require(request, "editor")
        form = await form_with_csrf(request)
        action = str(form.get("action") or "")
        changes = {name: str(form.get(name) or "") for name in views.C.EDITABLE_FIELDS
                   if name in form}
        if action == "tags":
            changes = {"tags": str(form.get("tags") or "")}
        try:
            views.submit_correction(db, report_id, action, form.get("key") or None, changes,
                                    str(form.get("evidence") or ""), user.name)
        except QueryError as exc:
            data = views.correction_form_view(db, report_id, form.get("key") or None)
            if data is None:
                raise HTTPError(404, f"no report {report_id!r}")
            data["error"] = str(exc)
            return page(request, "correct.html", data, 400)
        anchor = "tags" if action == "tags" else "incidents"
        return RedirectResponse(f"/reports/{id_url(report_id)}#{anchor}", 303)

    @app.post("/api/reports/{report_id:path}/corrections", tags=["reports"],
              summary="Correct a record (editor; send X-CSRF-Token)")
    async def api_correction(request: Request, report_id: str) -> dict[str, Any]:
        """Body: ``{"action": "edit"|"delete"|"add"|"tags", "key": incident key,
        "changes": {field: value}, "evidence": text (add)}``; for ``tags``,
        ``changes`` is ``{"tags": [tag, ...]}`` (or one ``;``-separated string): the whole
        corrected tag line."""
        user = require(request, "editor")
        if not auth.csrf_ok(request.state.session, request.headers.get("x-csrf-token")):
            raise HTTPError(403, "missing or wrong X-CSRF-Token header")
        try:
            body = await request.json()
            assert isinstance(body, dict)
        except Exception:
            if request.scope.get(TOO_LARGE):
                raise
            raise HTTPError(400, "the body must be a JSON object") from None
        try:
            fix = CorrectionBody.model_validate(body)
        except ValidationError as exc:  # a value of the wrong type: 400, never a 500
            raise HTTPError(400, _validation_message(exc)) from None
        cid = views.submit_correction(db, report_id, fix.action or "", fix.key,
                                      fix.changes or {}, fix.evidence, user.name)
        return {"correction": cid, "report": views.report_view(db, report_id)}

    # -- incidents, timeline, map, exports --------------------------------------
    @app.get("/incidents", response_class=HTMLResponse, include_in_schema=False)
    def incidents_page(request: Request):
        sync()
        state = state_of(request, "incidents")
        return page(request, "incidents.html", views.incidents_view(db, state)
                    | {"_context": {"st": state}})

    @app.get("/api/incidents", tags=["incidents"], summary="Incidents table")
    def api_incidents(request: Request, q: str = "", page: int = 1, sort: str = "date",
                      order: str = "desc", tag: list[str] | None = None,
                      province: list[str] | None = None, place: list[str] | None = None,
                      org: list[str] | None = None, type: list[str] | None = None,
                      source: list[str] | None = None, month: list[str] | None = None
                      ) -> dict[str, Any]:
        """One page of incidents (corrections applied) with facets, timeline and map data."""
        sync()
        return views.incidents_view(db, state_of(request, "incidents"))

    @app.get("/timeline", response_class=HTMLResponse, include_in_schema=False)
    def timeline_page(request: Request):
        sync()
        state = state_of(request, "search")
        return page(request, "timeline.html", views.timeline_view(db, state)
                    | {"_context": {"st": state}})

    @app.get("/api/timeline", tags=["incidents"], summary="Incidents per month and type")
    def api_timeline(request: Request, q: str = "", tag: list[str] | None = None,
                     province: list[str] | None = None, place: list[str] | None = None,
                     org: list[str] | None = None, type: list[str] | None = None,
                     source: list[str] | None = None, month: list[str] | None = None
                     ) -> dict[str, Any]:
        sync()
        return views.timeline_view(db, state_of(request, "search"))

    @app.get("/map", response_class=HTMLResponse, include_in_schema=False)
    def map_page(request: Request):
        sync()
        state = state_of(request, "search")
        return page(request, "map.html", views.map_view(db, state) | {"_context": {"st": state}})

    @app.get("/api/map", tags=["incidents"], summary="Incidents per province and place")
    def api_map(request: Request, q: str = "", tag: list[str] | None = None,
                province: list[str] | None = None, place: list[str] | None = None,
                org: list[str] | None = None, type: list[str] | None = None,
                source: list[str] | None = None, month: list[str] | None = None
                ) -> dict[str, Any]:
        sync()
        return views.map_view(db, state_of(request, "search"))

    @app.get("/api/export.{fmt}", tags=["incidents"], summary="Download the filtered incidents",
             response_class=Response)
    def api_export(request: Request, fmt: str, q: str = "", sort: str = "date",
                   order: str = "desc", tag: list[str] | None = None,
                   province: list[str] | None = None, place: list[str] | None = None,
                   org: list[str] | None = None, type: list[str] | None = None,
                   source: list[str] | None = None, month: list[str] | None = None):
        """Exactly the rows of the incidents table for this filter, every page, as
        ``csv``, ``jsonl`` or ``parquet``."""
        if fmt not in exports.FORMATS:
            raise HTTPError(404, f"unknown export format {fmt!r}: use csv, jsonl or parquet")
        sync()
        state = state_of(request, "export")
        return exports.export_response(db, state, fmt)

    # -- accounts ----------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/"):
        return page(request, "login.html", {"next": _safe_next(next)})

    @app.post("/login", include_in_schema=False)
    async def login_post(request: Request):
        form = await form_with_csrf(request)
        name, password = str(form.get("name") or ""), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        # a name longer than any account's is counted by its first characters (bounded keys)
        keys = ("addr:" + (request.client.host if request.client else "?"),
                "name:" + name[:auth.MAX_USER_NAME + 1])
        wait = limiter.wait(*keys)
        if wait:
            log.warning("login refused for %r from %s: too many failed attempts", name, keys[0])
            response = page(request, "login.html", {
                "next": target, "error": f"too many failed logins; try again in {wait} s"}, 429)
            response.headers["Retry-After"] = str(wait)
            return response
        row = db.reader.user(name) if name else None

        def check() -> bool:  # an unknown name costs a check too (against a dummy hash)
            stored = row["password_hash"] if row is not None else auth.dummy_hash()
            return auth.verify_password(stored, password)

        # argon2 (~0.1 s, 64 MiB) off the event loop, a few at a time
        if not await _hashing(check) or row is None:
            limiter.failed(*keys)
            log.warning("failed login for %r from %s", name, keys[0])
            return page(request, "login.html", {"next": target,
                                                "error": "wrong user name or password"}, 401)
        response = RedirectResponse(target, 303)
        request.state.new_session = auth.Sessions.new(
            row["name"], auth.password_mark(sessions.secret(), row["password_hash"]))
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout_post(request: Request):
        await form_with_csrf(request)
        sessions.end(request.state.session)
        request.state.new_session = auth.Sessions.new()
        return RedirectResponse("/login" if login_mode() else "/", 303)

    @app.get("/api/me", tags=["accounts"], summary="Who am I")
    def api_me(request: Request) -> dict[str, Any]:
        user: User | None = request.state.user
        return {"user": user.name if user else None, "role": user.role if user else None,
                "login_required": login_mode(), "csrf_token": request.state.session["csrf"]}

    @app.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
    def users_page(request: Request):
        require(request, "admin")
        return page(request, "users.html", {"users": db.reader.list_users(),
                                            "roles": list(auth.ROLES)})

    @app.post("/admin/users", include_in_schema=False)
    async def users_post(request: Request):
        me = require(request, "admin")
        form = await form_with_csrf(request)
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
                password_hash = await _hashing(auth.hash_password,
                                               str(form.get("password") or ""))
                with db.writer() as store:
                    store.add_user(name, role, password_hash)
        except TumenError as exc:
            return page(request, "users.html", {"users": db.reader.list_users(),
                                                "roles": list(auth.ROLES), "error": str(exc)}, 400)
        return RedirectResponse("/admin/users", 303)

    # -- upload ------------------------------------------------------------------
    @app.get("/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_page(request: Request):
        require(request, "editor")
        return page(request, "upload.html", {})

    @app.post("/upload", include_in_schema=False)
    async def upload_post(request: Request):
        require(request, "editor")
        form = await form_with_csrf(request)
        files = [f for f in form.getlist("files") if getattr(f, "filename", None)]
        text = str(form.get("text") or "").strip()
        if not files and not text:
            return page(request, "upload.html", {"error": "choose a file or paste a report"}, 400)
        with tempfile.TemporaryDirectory(prefix="tumen-upload-") as tmp:
            paths = []
            for k, upload in enumerate(files):
                data = await upload.read(MAX_UPLOAD_BYTES + 1)
                if len(data) > MAX_UPLOAD_BYTES:
                    return page(request, "upload.html",
                                {"error": f"{upload.filename}: larger than "
                                          f"{MAX_UPLOAD_BYTES // 2**20} MB"}, 400)
                name = Path(upload.filename).name or f"upload-{k}"
                path = Path(tmp) / f"{k:03d}-{name}"
                path.write_bytes(data)
                paths.append(path)
            if text:
                path = Path(tmp) / "pasted.txt"
                path.write_text(text + "\n", encoding="utf-8")
                paths.append(path)
            result = await _run_in_thread(views.ingest_and_analyze, db, paths)
        db.sync()
        return page(request, "upload.html", {"result": result})

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(BodyLimit)  # outermost: before any body is read
    return app


HASH_THREADS = 2  # argon2 checks at once (each ~0.1 s of a core and 64 MiB)
_hash_limiters: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


async def _hashing(fn: Callable, *args: Any) -> Any:
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


async def _run_in_thread(fn: Callable, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


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


def id_url(report_id: str) -> str:
    """A report id as one URL path segment: every "/" (and "?", "#", "%") encoded."""
    return quote(str(report_id), safe="")


def _web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address, else None: a report's ``url`` comes from the
    input and is shown as a link, so ``javascript:``/``data:`` addresses are dropped."""
    text = (url or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https") and text[len(scheme):].startswith("://") else None


def _safe_next(target: str) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
