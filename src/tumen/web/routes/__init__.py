"""The app's routes, one router per thing served (Datasette's views, FastAPI's
``APIRouter``): each page handler gathers its data once and answers it as the page or
as its JSON twin (``deps.twin``).  ``ROUTERS`` is the order ``create_app`` includes them
in (the report form's route must come before the report's catch-all path)."""

from __future__ import annotations

from tumen.web.routes import accounts, api, incidents, reports, search, upload

ROUTERS = (search.router, api.router, reports.router, incidents.router, accounts.router,
           upload.router)

__all__ = ["ROUTERS"]
