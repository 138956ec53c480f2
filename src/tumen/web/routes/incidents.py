"""The incidents table, the timeline and the map, each with its JSON twins
(``/incidents.json`` and ``/api/incidents``, ...), and the downloads of the filtered
incidents (``/api/export.{csv,jsonl,parquet}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tumen.web import exports, views
from tumen.web.deps import (
    ExportState,
    HTTPError,
    IncidentsState,
    SearchState,
    SyncedDB,
    twin,
)

router = APIRouter()


@router.get("/api/incidents", tags=["incidents"], summary="Incidents table",
            response_model=dict[str, Any])
@router.get("/incidents.json", include_in_schema=False, response_model=dict[str, Any])
@router.get("/incidents", response_class=HTMLResponse, include_in_schema=False)
def incidents(request: Request, state: IncidentsState, db: SyncedDB) -> Any:
    """One page of incidents (corrections applied) with facets, timeline and map data."""
    return twin(request, "incidents.html", views.incidents_view(db, state), st=state)


@router.get("/api/timeline", tags=["incidents"], summary="Incidents per month and type",
            response_model=dict[str, Any])
@router.get("/timeline.json", include_in_schema=False, response_model=dict[str, Any])
@router.get("/timeline", response_class=HTMLResponse, include_in_schema=False)
def timeline(request: Request, state: SearchState, db: SyncedDB) -> Any:
    """Incidents per month, stacked by type, for the filter."""
    return twin(request, "timeline.html", views.timeline_view(db, state), st=state)


@router.get("/api/map", tags=["incidents"], summary="Incidents per province and place",
            response_model=dict[str, Any])
@router.get("/map.json", include_in_schema=False, response_model=dict[str, Any])
@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_(request: Request, state: SearchState, db: SyncedDB) -> Any:
    """Incidents per province (choropleth) and per place (points), for the filter."""
    return twin(request, "map.html", views.map_view(db, state), st=state)


@router.get("/api/export.{fmt}", tags=["incidents"], summary="Download the filtered incidents",
            response_class=Response)
def export(fmt: str, state: ExportState, db: SyncedDB):
    """Exactly the rows of the incidents table for this filter, every page, as
    ``csv``, ``jsonl`` or ``parquet``."""
    if fmt not in exports.FORMATS:
        raise HTTPError(404, f"unknown export format {fmt!r}: use csv, jsonl or parquet")
    return exports.export_response(db, state, fmt)
