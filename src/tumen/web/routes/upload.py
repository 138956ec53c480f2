"""Upload: editors add files or a pasted report; they are ingested and analyzed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tumen.web import views
from tumen.web.deps import DB, CSRFForm, Editor, render

router = APIRouter()
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one uploaded file


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_page(request: Request, user: Editor):
    return render(request, "upload.html", {})


@router.post("/upload", include_in_schema=False)
async def upload_post(request: Request, user: Editor, form: CSRFForm, db: DB):
    files = [f for f in form.getlist("files") if getattr(f, "filename", None)]
    text = str(form.get("text") or "").strip()
    if not files and not text:
        return render(request, "upload.html", {"error": "choose a file or paste a report"}, 400)
    with tempfile.TemporaryDirectory(prefix="tumen-upload-") as tmp:
        paths = []
        for k, upload in enumerate(files):
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                return render(request, "upload.html",
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
        result = await run_in_threadpool(views.ingest_and_analyze, db, paths)
    db.sync()
    return render(request, "upload.html", {"result": result})
