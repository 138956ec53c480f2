"""The web UI and JSON API (``tumen serve``).  ``create_app`` builds the app; ``serve``
runs it with uvicorn."""

from __future__ import annotations


def create_app(db_path: str, *, host: str = "127.0.0.1", require_login: bool | None = None):
    from .app import create_app as _create

    return _create(db_path, host=host, require_login=require_login)


def serve(db_path: str, host: str = "127.0.0.1", port: int = 8000,
          require_login: bool | None = None) -> None:
    """Serve the store at ``db_path`` on host:port until interrupted."""
    import uvicorn

    app = create_app(db_path, host=host, require_login=require_login)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


__all__ = ["create_app", "serve"]
