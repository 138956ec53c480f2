"""The search page (``/``) and its JSON twins (``/.json``, ``/api/search``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tumen.web import views
from tumen.web.deps import SearchState, SyncedDB, twin

router = APIRouter()


@router.get("/api/search", tags=["search"], summary="Search reports with facets",
            response_model=dict[str, Any])
@router.get("/.json", include_in_schema=False, response_model=dict[str, Any])
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def search(request: Request, state: SearchState, db: SyncedDB) -> Any:
    """Reports matching ``q`` (the CLI's FTS syntax) and every facet value given
    (repeat a parameter to require several values); facet counts of the result."""
    return twin(request, "search.html", views.search_view(db, state), st=state)
