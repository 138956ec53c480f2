"""The API where it is not a page's twin: facet counts for a filter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tumen.web import views
from tumen.web.deps import FacetsState, SyncedDB

router = APIRouter()  # full paths, no prefix: handlers see their route's whole path


@router.get("/api/facets", tags=["search"], summary="Facet counts for a filter")
def facets(state: FacetsState, db: SyncedDB) -> dict[str, Any]:
    """Counts of reports (scope=reports) or incidents (scope=incidents) per facet value."""
    return views.facets_view(db, state)
