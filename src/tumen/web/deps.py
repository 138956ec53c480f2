"""What the routes share, as FastAPI dependencies: the store handle, the current user
and role checks, the CSRF-checked form, each page's validated query state -- and the
one way a handler answers, as a page or as its JSON twin (``twin``).

The app factory (``app.py``) puts the per-app objects on ``app.state`` (the store
handle ``db``, ``templates``, ``sessions``, ``login_mode``, ``login_limiter``); the
dependencies read them from there, so a route module holds no closure over the app.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse

from tumen.web import auth
from tumen.web.auth import User
from tumen.web.db import WebDB
from tumen.web.params import (
    ExportQuery,
    FacetsQuery,
    IncidentsQuery,
    SearchQuery,
    State,
)

TOO_LARGE = "tumen.body_too_large"  # set in the ASGI scope when a body passed its limit


class HTTPError(Exception):
    """An answer other than 200, with its one-line message (JSON on the API and the
    JSON twins, the error page elsewhere)."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


# -- the store ---------------------------------------------------------------------
def get_db(request: Request) -> WebDB:
    """The app's store handle (many readers, one writer)."""
    return request.app.state.db


def synced_db(request: Request) -> WebDB:
    """The store handle with the web index brought up to date (cheap when nothing
    changed): every read of the index goes through it."""
    db: WebDB = request.app.state.db
    db.sync()
    return db


DB = Annotated[WebDB, Depends(get_db)]
SyncedDB = Annotated[WebDB, Depends(synced_db)]


# -- who is asking -------------------------------------------------------------------
def current_user(request: Request) -> User | None:
    """Set by the session middleware; None when nobody is signed in."""
    return request.state.user


def require_role(request: Request, role: str) -> User:
    """The signed-in user if they have ``role`` (401 if nobody, 403 if too weak)."""
    user: User | None = request.state.user
    if user is None:
        raise HTTPError(401, "login required")
    if not user.can(role):
        raise HTTPError(403, f"this needs the {role} role; you are {user.role}")
    return user


def editor(request: Request) -> User:
    return require_role(request, "editor")


def admin(request: Request) -> User:
    return require_role(request, "admin")


CurrentUser = Annotated[User | None, Depends(current_user)]
Editor = Annotated[User, Depends(editor)]
Admin = Annotated[User, Depends(admin)]


async def csrf_form(request: Request) -> Any:
    """The posted form, once its CSRF token (field ``csrf_token`` or header
    ``X-CSRF-Token``) matches the session's; else 403."""
    form = await request.form()
    token = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if not auth.csrf_ok(request.state.session, token if isinstance(token, str) else None):
        raise HTTPError(403, "the form expired or did not come from this site (CSRF check)"
                             "; reload the page and try again")
    return form


CSRFForm = Annotated[Any, Depends(csrf_form)]


# -- each page's query state ---------------------------------------------------------
# The model is the query-parameter dependency (validated once, and the OpenAPI
# description); a single-valued parameter given twice is refused here, because the
# model is handed one value of it.
def search_state(request: Request, params: Annotated[SearchQuery, Query()]) -> State:
    SearchQuery.check_once(request.query_params.multi_items())
    return params.state()


def incidents_state(request: Request, params: Annotated[IncidentsQuery, Query()]) -> State:
    IncidentsQuery.check_once(request.query_params.multi_items())
    return params.state()


def facets_state(request: Request, params: Annotated[FacetsQuery, Query()]) -> State:
    FacetsQuery.check_once(request.query_params.multi_items())
    return params.state()


def export_state(request: Request, params: Annotated[ExportQuery, Query()]) -> State:
    ExportQuery.check_once(request.query_params.multi_items())
    return params.state()


SearchState = Annotated[State, Depends(search_state)]
IncidentsState = Annotated[State, Depends(incidents_state)]
FacetsState = Annotated[State, Depends(facets_state)]
ExportState = Annotated[State, Depends(export_state)]


# -- answering: a page, or its JSON twin ----------------------------------------------
def wants_json(path: str) -> bool:
    """JSON for the API (``/api/...``) and the pages' ``.json`` twins; report pages are
    excluded from the suffix rule (an id may end in ".json": their twin is
    ``/api/reports/{id}``)."""
    return path.startswith("/api/") or (
        path.endswith(".json") and not path.startswith(("/reports/", "/static/")))


def route_wants_json(request: Request) -> bool:
    """Whether the matched route (else the path) is a JSON one."""
    route = request.scope.get("route")
    return wants_json(getattr(route, "path", None) or request.url.path)


def render(request: Request, template: str, data: dict[str, Any], status: int = 200,
           **context: Any) -> HTMLResponse:
    """``data`` rendered by ``template`` (autoescaped), with the user's roles and the
    CSRF token; ``context`` adds template-only values (the page state ``st``)."""
    user: User | None = request.state.user
    values = {"request": request, "data": data, "user": user,
              "csrf": request.state.session.get("csrf"),
              "login_mode": request.app.state.login_mode(),
              "can_edit": bool(user and user.can("editor")),
              "can_admin": bool(user and user.can("admin"))}
    values.update(context)
    return request.app.state.templates.TemplateResponse(request, template, values,
                                                        status_code=status)


def twin(request: Request, template: str, data: dict[str, Any], **context: Any) -> Any:
    """The answer of a page handler: ``data`` itself on a JSON route (the API path or the
    ``.json`` twin), else the page rendered from it."""
    if route_wants_json(request):
        return data
    return render(request, template, data, **context)


def id_url(report_id: str) -> str:
    """A report id as one URL path segment: every "/" (and "?", "#", "%") encoded."""
    return quote(str(report_id), safe="")


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address, else None: a report's ``url`` comes from the
    input and is shown as a link, so ``javascript:``/``data:`` addresses are dropped."""
    text = (url or "").strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https") and text[len(scheme):].startswith("://") else None
