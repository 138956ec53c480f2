"""The web UI and JSON API (``tumen serve``).  ``create_app`` builds the app; ``serve``
runs it with uvicorn.  A front end: may import every package below it, never
``tumen.cli`` (tests/test_layout.py)."""

from __future__ import annotations

import os


def create_app(db_path: str, *, host: str = "127.0.0.1", require_login: bool | None = None):
    from tumen.web.app import create_app as _create

    return _create(db_path, host=host, require_login=require_login)


def app_from_env():
    """App factory for uvicorn worker processes (``serve(workers=N)``)."""
    force = os.environ.get("TUMEN_WEB_REQUIRE_LOGIN") == "1" or None
    return create_app(os.environ["TUMEN_WEB_DB"], host=os.environ.get("TUMEN_WEB_HOST", "127.0.0.1"),
                      require_login=force)


def serve(db_path: str, host: str = "127.0.0.1", port: int = 8000,
          require_login: bool | None = None, workers: int = 1) -> None:
    """Serve the store at ``db_path`` on host:port until interrupted.  With ``workers``
    > 1, that many processes share the port (each with its own readers and facet index;
    writes are serialized by SQLite)."""
    import uvicorn

    if workers > 1:
        os.environ.update(TUMEN_WEB_DB=str(db_path), TUMEN_WEB_HOST=host,
                          TUMEN_WEB_REQUIRE_LOGIN="1" if require_login else "0")
        uvicorn.run("tumen.web:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="info", proxy_headers=False)
        return
    app = create_app(db_path, host=host, require_login=require_login)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


__all__ = ["app_from_env", "create_app", "serve"]
