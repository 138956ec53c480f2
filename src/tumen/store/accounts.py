"""The small tables the web writes, on every store: settings, stored models (the house
tag model, as bytes), users and the login limiter, editors' corrections.

``Accounts`` is part of the read model (``readmodel.ReadModel``): its SQL is written
once with ``?`` placeholders and run through the backend's ``_x``/``_xmany``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

from tumen.errors import StoreError


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _correction(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "report_id": row["report_id"], "action": row["action"],
            "target": row["target"], "changes": json.loads(row["changes_json"]),
            "author": row["author"], "created_at": row["created_at"]}


class Accounts:
    """Settings, models, users, login failures and corrections over ``self.conn``."""

    # A duplicate key on insert, in the backend's driver.
    IntegrityError: type[BaseException] = Exception
    # the backend's (see ReadModel): run one statement, many, a write transaction
    _x: Callable[..., Any]
    _xmany: Callable[..., None]
    _write: Callable[[], AbstractContextManager[Any]]

    # -- settings ------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self._x("SELECT value FROM web_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting_default(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there; return the stored value."""
        self._x("INSERT INTO web_settings VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))
        return self.setting(key) or value

    def put_setting(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        self._x("INSERT INTO web_settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value", (key, value))

    def delete_setting(self, key: str) -> None:
        self._x("DELETE FROM web_settings WHERE key = ?", (key,))

    # -- stored models (the house tag model) ------------------------------------------
    def put_model(self, name: str, data: bytes) -> None:
        """Store a model's bytes under ``name``, replacing an earlier one."""
        self.put_setting(name, base64.b64encode(data).decode("ascii"))

    def model(self, name: str) -> bytes | None:
        """A stored model's bytes, or None."""
        text = self.setting(name)
        return base64.b64decode(text) if text else None

    def transaction(self) -> AbstractContextManager[Any]:
        """Several writes as one: all stored or none (holds the store's write lock)."""
        return self._write()

    # -- users and the login limiter -------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        try:
            self._x("INSERT INTO users VALUES (?, ?, ?, ?)", (name, role, password_hash, _now()))
        except self.IntegrityError as exc:
            raise StoreError(f"user {name!r} already exists") from exc

    def set_user(self, name: str, role: str | None = None,
                 password_hash: str | None = None) -> bool:
        if role:
            self._x("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if password_hash:
            self._x("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))
        return self.user(name) is not None

    def user(self, name: str) -> dict[str, Any] | None:
        row = self._x("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def list_users(self) -> list[dict[str, Any]]:
        return [{"name": r["name"], "role": r["role"], "created_at": r["created_at"]}
                for r in self._x("SELECT * FROM users ORDER BY name")]

    def remove_user(self, name: str) -> bool:
        return self._x("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def count_users(self) -> int:
        return self._x("SELECT count(*) FROM users").fetchone()[0]

    def login_failures(self, key: str, since: float) -> list[float]:
        """Times (Unix seconds, ascending) of ``key``'s failed logins after ``since``."""
        return [row[0] for row in self._x(
            "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))]

    def add_login_failure(self, keys: Iterable[str], at: float, forget_before: float) -> None:
        """Record a failed login at ``at`` under each key; forget failures at or before
        ``forget_before`` (they have left every window)."""
        self._xmany("INSERT INTO login_failures VALUES (?, ?)", [(key, at) for key in keys])
        self._x("DELETE FROM login_failures WHERE at <= ?", (forget_before,))

    # -- corrections -----------------------------------------------------------------
    def add_correction(self, report_id: str, action: str, target: str | None,
                       changes: dict[str, Any], author: str) -> int:
        cur = self._x(
            "INSERT INTO corrections (report_id, action, target, changes_json, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (report_id, action, target, json.dumps(changes, ensure_ascii=False), author, _now()))
        return int(cur.fetchone()[0])

    def get_corrections(self, report_id: str) -> list[dict[str, Any]]:
        """Editors' corrections of one report's record, oldest first, in the shape
        ``tumen.store.corrections.apply_corrections`` takes."""
        rows = self._x("SELECT * FROM corrections WHERE report_id = ? ORDER BY id",
                       (report_id,)).fetchall()
        return [_correction(r) for r in rows]

    def corrected_report_ids(self) -> set[str]:
        """Ids of the reports that have at least one editor's correction."""
        return {r[0] for r in self._x("SELECT DISTINCT report_id FROM corrections").fetchall()}

    def tag_corrections(self) -> dict[str, list[str]]:
        """Report id -> the tag line of its latest ``tags`` correction (editors' fixes)."""
        rows = self._x("SELECT report_id, changes_json FROM corrections WHERE action = 'tags'"
                       " ORDER BY id").fetchall()
        return {r[0]: list(json.loads(r[1]).get("tags") or []) for r in rows}


__all__ = ["Accounts"]
