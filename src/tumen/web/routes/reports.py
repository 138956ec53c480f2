"""A report page and its JSON twin, the correction form, and corrections (form and API).

Ids may hold "/" (RSS guids are URLs) and any other character: the routes take the rest
of the path, and links encode "/" (``id_url``), so an id never leaves /reports/.  For
the same reason a report's JSON twin is ``/api/reports/{id}`` (the prefix form), not a
``.json`` suffix: an id may itself end in ".json".  The form's route comes first (a GET
of /reports/ID/correct is the form, not a report).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tumen.errors import QueryError
from tumen.web import auth, views
from tumen.web.deps import (
    DB,
    TOO_LARGE,
    CSRFForm,
    Editor,
    HTTPError,
    SyncedDB,
    id_url,
    render,
    require_role,
    twin,
)

router = APIRouter()


class CorrectionBody(BaseModel):
    """The JSON body of ``POST /api/reports/{id}/corrections``: strings only, except a
    tag line, which may be a list of strings."""

    model_config = ConfigDict(strict=True)
    action: str | None = None
    key: str | None = None
    changes: dict[str, str | None | list[str]] | None = None
    evidence: str | None = None

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


@router.get("/reports/{report_id:path}/correct", response_class=HTMLResponse,
            include_in_schema=False)
def correction_page(request: Request, report_id: str, db: SyncedDB, key: str | None = None):
    if (db.reader.report_row(report_id + "/correct") is not None
            and db.reader.report_row(report_id) is None):
        return report(request, report_id + "/correct", db)  # an id ending "/correct"
    require_role(request, "editor")
    data = views.correction_form_view(db, report_id, key)
    if data is None:
        raise HTTPError(404, f"no report {report_id!r}")
    return render(request, "correct.html", data)


@router.get("/api/reports/{report_id:path}", tags=["reports"],
            summary="One report and its record", response_model=dict[str, Any])
@router.get("/reports/{report_id:path}", response_class=HTMLResponse, include_in_schema=False)
def report(request: Request, report_id: str, db: SyncedDB) -> Any:
    """The report text, its record with corrections applied, marked text segments
    and near-duplicates."""
    data = views.report_view(db, report_id)
    if data is None:
        raise HTTPError(404, f"no report {report_id!r}")
    return twin(request, "report.html", data)


@router.post("/reports/{report_id:path}/corrections", include_in_schema=False)
def correction_post(request: Request, report_id: str, user: Editor, form: CSRFForm, db: DB):
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
            raise HTTPError(404, f"no report {report_id!r}") from None
        data["error"] = str(exc)
        return render(request, "correct.html", data, 400)
    anchor = "tags" if action == "tags" else "incidents"
    return RedirectResponse(f"/reports/{id_url(report_id)}#{anchor}", 303)


@router.post("/api/reports/{report_id:path}/corrections", tags=["reports"],
             summary="Correct a record (editor; send X-CSRF-Token)")
async def api_correction(request: Request, report_id: str, user: Editor, db: DB
                         ) -> dict[str, Any]:
    """Body: ``{"action": "edit"|"delete"|"add"|"tags", "key": incident key,
    "changes": {field: value}, "evidence": text (add)}``; for ``tags``,
    ``changes`` is ``{"tags": [tag, ...]}`` (or one ``;``-separated string): the whole
    corrected tag line."""
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
