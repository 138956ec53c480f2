"""Property-based fuzzing of the JSON API from its OpenAPI description (schemathesis).

Every operation in ``/api/openapi.json`` gets generated requests -- valid and invalid
parameters, odd strings, huge numbers -- sent in-process to the ASGI app as an admin
with a valid CSRF token.  No answer may be a server error, and every answer must match
what the description promises (status codes, content types, response schemas; a
schema-valid value the search still refuses, such as an unbalanced quote, is a
documented 400).  Bounded: a few dozen examples per operation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tumen.ingest.run import ingest
from tumen.store import open_store
from tumen.web import auth
from tumen.web.app import create_app

pytestmark = pytest.mark.slow
MAX_EXAMPLES = 40  # per operation; ~10 operations -> well under a minute on 2 cores

BODIES = [
    ("f-1", "Fuzz one", "2024-02-10", "The Ministry of State Security held a lecture in Hyesan "
     "in February 2024 on the anti-reactionary thought law. Two traders were fined."),
    ("f-2", "Fuzz two", "2023-11-03", "Officials searched homes in Musan County for Chinese "
     "mobile phones last week. Three people were arrested at the border."),
    ("f-3", "Fuzz <three>", None, "Market prices of rice rose in Sinuiju; the market was "
     "closed for two days by order of the city people's committee."),
]


def _record(report) -> dict:
    end = report.body.index(".") + 1
    return {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "tags": ["market", "border"],
            "places": [], "organizations": [], "laws": [], "dates": [],
            "incidents": [{"type": "meeting", "actor": None, "target": None, "place": None,
                           "date": "2024-02", "date_precision": "month", "penalty": "fine",
                           "evidence": {"text": report.body[:end], "start": 0, "end": end}}]}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    rows = [{"id": i, "title": t, "published": p, "source": "Desk", "body": b}
            for i, t, p, b in BODIES]
    (root / "f.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    db = root / "fuzz.db"
    with open_store(db) as store:
        assert ingest(store, [root / "f.jsonl"], parallel=False).result.added == len(rows)
        store.save_records([_record(r) for r in store.iter_reports()])
    auth.add_user(str(db), "fuzzer", "admin", "fuzz-pass")
    app = create_app(str(db), require_login=True)
    with TestClient(app) as client:
        form = client.get("/login").text  # an anonymous session, for its CSRF token
        csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/login", data={"csrf_token": csrf, "name": "fuzzer",
                                        "password": "fuzz-pass"}, follow_redirects=False)
        assert r.status_code == 303
        me = client.get("/api/me").json()
        cookie = client.cookies.get(auth.SESSION_COOKIE)
    return {"app": app, "headers": {"X-CSRF-Token": me["csrf_token"]},
            "cookies": {auth.SESSION_COOKIE: cookie}}


@pytest.fixture(scope="module")
def api_schema(web):
    cookie = "; ".join(f"{k}={v}" for k, v in web["cookies"].items())
    return schemathesis.openapi.from_asgi("/api/openapi.json", web["app"],
                                          headers={"Cookie": cookie})


def test_api_never_errors_and_keeps_its_description(api_schema, web):
    # schemathesis' lazy pytest loader (from_fixture) does not run under this pytest, so
    # each operation's strategy is driven by hypothesis here, one bounded run each.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            # positive_data_acceptance is left out: a schema-valid string can be an invalid
            # search (an unbalanced quote), which is a 400 with a message by design
            case.call_and_validate(headers=web["headers"], cookies=web["cookies"],
                                   additional_checks=[not_a_server_error],
                                   excluded_checks=[positive_data_acceptance])

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_every_api_route_is_in_the_fuzzed_description(web):
    """Pages are left out of the description on purpose; every /api/ route is in it."""
    from fastapi.routing import APIRoute, iter_route_contexts

    with TestClient(web["app"], cookies=web["cookies"]) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    api = {r.path_format for r in iter_route_contexts(web["app"].routes)
           if isinstance(r.original_route, APIRoute) and r.path.startswith("/api/")}
    assert api and api - {"/api/openapi.json"} <= set(paths), api - set(paths)
