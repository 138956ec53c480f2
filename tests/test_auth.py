"""Accounts, sessions, roles and CSRF of the web app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tumen.cli import app as cli_app
from tumen.store import open_store
from tumen.web import auth, create_app


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "auth.db"
    open_store(path).close()
    return path


def test_auth_password_hashing_is_argon2_and_verifies():
    stored = auth.hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert auth.verify_password(stored, "correct horse")
    assert not auth.verify_password(stored, "wrong")
    assert not auth.verify_password("not a hash", "x")
    with pytest.raises(auth.AuthError):
        auth.hash_password("")


def test_auth_login_mode_rules(monkeypatch):
    monkeypatch.delenv("TUMEN_REQUIRE_LOGIN", raising=False)
    assert not auth.login_required("127.0.0.1", has_users=False)
    assert auth.login_required("127.0.0.1", has_users=True)
    assert auth.login_required("0.0.0.0", has_users=False)
    assert auth.login_required("192.168.1.5", has_users=False)
    assert auth.login_required("127.0.0.1", has_users=False, force=True)
    monkeypatch.setenv("TUMEN_REQUIRE_LOGIN", "1")
    assert auth.login_required("127.0.0.1", has_users=False)


def test_auth_user_library_calls(db):
    auth.add_user(str(db), "ana", "editor", "pw-1")
    auth.add_user(str(db), "bo", "viewer", "pw-2")
    assert [(u["name"], u["role"]) for u in auth.list_users(str(db))] == [("ana", "editor"), ("bo", "viewer")]
    with pytest.raises(Exception, match="already exists"):
        auth.add_user(str(db), "ana", "viewer", "x")
    with pytest.raises(auth.AuthError, match="unknown role"):
        auth.add_user(str(db), "cy", "root", "x")
    with pytest.raises(auth.AuthError, match="invalid user name"):
        auth.add_user(str(db), "a b", "viewer", "x")
    assert auth.remove_user(str(db), "bo")
    with pytest.raises(auth.AuthError):
        auth.remove_user(str(db), "bo")


def test_auth_cli_user_add_list_remove(db, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(cli_app, ["user", "add", "dee", "--role", "editor", "--password", "s3cret", "--db", str(db)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("TUMEN_PASSWORD", "from-env")
    result = runner.invoke(cli_app, ["user", "add", "eve", "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli_app, ["user", "list", "--db", str(db)])
    assert re.search(r"^dee\teditor\t", result.output, re.M) and re.search(r"^eve\tviewer\t", result.output, re.M)
    with open_store(db) as store:
        assert auth.verify_password(store.user("eve")["password_hash"], "from-env")
    result = runner.invoke(cli_app, ["user", "remove", "eve", "--db", str(db)])
    assert result.exit_code == 0
    assert [u["name"] for u in auth.list_users(str(db))] == ["dee"]


# -- the app in login mode -----------------------------------------------------------
def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name, password):
    token = _csrf_from(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password,
                                       "next": "/"}, follow_redirects=False)


@pytest.fixture()
def users_db(db):
    for name, role in (("vic", "viewer"), ("ed", "editor"), ("ada", "admin")):
        auth.add_user(str(db), name, role, f"{name}-pw")
    return db


def test_auth_local_desk_mode_without_users(db):
    with TestClient(create_app(str(db))) as c:
        me = c.get("/api/me").json()
        assert me == {**me, "user": "local", "role": "admin", "login_required": False}
        assert c.get("/upload").status_code == 200


def test_auth_login_required_when_forced_or_not_loopback(db):
    for kwargs in ({"require_login": True}, {"host": "0.0.0.0"}):
        with TestClient(create_app(str(db), **kwargs)) as c:
            r = c.get("/incidents?type=arrest", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
            assert c.get("/api/search").status_code == 401
            assert c.get("/login").status_code == 200
            assert c.get("/static/tumen.css").status_code == 200


def test_auth_login_logout_and_cookie_flags(users_db):
    with TestClient(create_app(str(users_db))) as c:
        assert c.get("/api/me").status_code == 401
        r = login(c, "vic", "wrong")
        assert r.status_code == 401 and "wrong user name or password" in r.text
        r = login(c, "vic", "vic-pw")
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert c.get("/api/me").json()["user"] == "vic"
        token = _csrf_from(c.get("/").text)
        r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/api/me").status_code == 401


def test_auth_login_form_needs_csrf(users_db):
    with TestClient(create_app(str(users_db))) as c:
        c.get("/login")
        r = c.post("/login", data={"name": "vic", "password": "vic-pw"}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
        r = c.post("/login", data={"name": "vic", "password": "vic-pw", "csrf_token": "forged"},
                   follow_redirects=False)
        assert r.status_code == 403


def test_auth_roles(users_db):
    store = open_store(users_db)
    import hashlib

    from tumen.record import Report

    body = "In Hyesan, officials held a meeting."
    store.add_reports([Report(id="r-1", body=body, content_hash=hashlib.sha256(body.encode()).hexdigest())])
    store.close()
    with TestClient(create_app(str(users_db))) as c:
        login(c, "vic", "vic-pw")
        assert c.get("/reports/r-1").status_code == 200
        assert "/correct" not in c.get("/reports/r-1").text
        assert c.get("/reports/r-1/correct").status_code == 403
        assert c.get("/upload").status_code == 403
        assert c.get("/admin/users").status_code == 403
        token = c.get("/api/me").json()["csrf_token"]
        r = c.post("/api/reports/r-1/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "add", "changes": {"type": "meeting"}, "evidence": body})
        assert r.status_code == 403
    with TestClient(create_app(str(users_db))) as c:
        login(c, "ed", "ed-pw")
        assert c.get("/reports/r-1/correct").status_code == 200
        assert c.get("/upload").status_code == 200
        assert c.get("/admin/users").status_code == 403
    with TestClient(create_app(str(users_db))) as c:
        login(c, "ada", "ada-pw")
        page = c.get("/admin/users")
        assert page.status_code == 200
        token = _csrf_from(page.text)
        r = c.post("/admin/users", data={"csrf_token": token, "action": "add", "name": "fay",
                                         "role": "editor", "password": "fay-pw"}, follow_redirects=False)
        assert r.status_code == 303
        assert ("fay", "editor") in [(u["name"], u["role"]) for u in auth.list_users(str(users_db))]


def test_auth_removed_user_loses_access_at_once(users_db):
    with TestClient(create_app(str(users_db))) as c:
        login(c, "vic", "vic-pw")
        assert c.get("/api/me").status_code == 200
        auth.remove_user(str(users_db), "vic")
        assert c.get("/api/me").status_code == 401


def test_auth_tampered_cookie_is_ignored(users_db):
    with TestClient(create_app(str(users_db))) as c:
        login(c, "vic", "vic-pw")
        value = c.cookies.get(auth.SESSION_COOKIE)
        # the jar holds the server's cookie under its domain: replace it, do not add a second
        c.cookies.clear()
        c.cookies.set(auth.SESSION_COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
        assert c.get("/api/me").status_code == 401


def test_auth_no_open_redirect_after_login(users_db):
    with TestClient(create_app(str(users_db))) as c:
        token = _csrf_from(c.get("/login").text)
        r = c.post("/login", data={"csrf_token": token, "name": "vic", "password": "vic-pw",
                                   "next": "//evil.example/"}, follow_redirects=False)
        assert r.headers["location"] == "/"


def test_auth_cli_serve_is_documented():
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--host", "--port", "--require-login"):
        assert option in result.output
    docs = (Path(__file__).resolve().parents[1] / "docs" / "web.md").read_text(encoding="utf-8")
    for text in ("tumen serve", "tumen user add", "TUMEN_REQUIRE_LOGIN", "local desk mode"):
        assert text.lower() in docs.lower()
