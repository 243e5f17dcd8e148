"""Helpers for the central store tests (and for the edge-side sync tests that
need a central): a fresh PostgreSQL schema per use, movement rows, a client
wrapper with a warehouse token and an ERP key."""
from __future__ import annotations

import gzip
import json
import os
import uuid
from contextlib import contextmanager

import pytest

from conftest import IN_CI

PG_URL = os.environ.get("FLOORSCAN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def postgres_or_skip() -> None:
    """PostgreSQL must be there in CI (the test FAILS); locally a missing server skips."""
    import psycopg
    try:
        psycopg.connect(PG_URL, connect_timeout=15).close()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable and CI must run the PostgreSQL contract tests: {exc}",
                        pytrace=False)
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable ({exc}); CI runs these tests")


@contextmanager
def pg_schema_url():
    """A URL whose search_path is a fresh schema fs_<random>, dropped afterwards, so parallel runs never meet."""
    import psycopg
    postgres_or_skip()
    schema = "fs_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def central_url(backend: str, tmp_path):
    """A store URL of the backend: a SQLite file in tmp_path or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield str(tmp_path / "central.db")
    else:
        with pg_schema_url() as url:
            yield url


def movement(seq: int, warehouse: str = "WH1", **kw) -> dict:
    row = {"seq": seq, "id": str(uuid.uuid4()), "kind": "receive", "sku": "SKU-1", "lot": "", "serial": None,
           "qty": 2.0, "from_bin": None, "to_bin": "A-01", "ref_type": None, "ref_id": None, "reason": None,
           "user_id": 4, "device_id": "hh-07", "command_id": None, "replayed": 0,
           "scanned_at": "2026-11-27T06:01:02.345Z", "recorded_at": "2026-11-27T06:01:02.400Z",
           "warehouse": warehouse}
    row.update(kw)
    return row


def movements(first: int, last: int, warehouse: str = "WH1", **kw) -> list[dict]:
    return [movement(s, warehouse, **kw) for s in range(first, last + 1)]


class Central:
    """A central app with warehouses WH1 and WH2 and an ERP key, spoken to through Flask's test client."""

    def __init__(self, url: str):
        from sync.central.app import create_app
        self.url = url
        self.app = create_app(url, {"TESTING": True})
        self.store = self.app.extensions["central"]
        self.client = self.app.test_client()
        self.tokens = {wh: self.store.add_warehouse(wh) for wh in ("WH1", "WH2")}
        self.key = self.store.add_api_key("erp")

    def wh(self, warehouse: str = "WH1") -> dict:
        return {"Authorization": f"Bearer {self.tokens[warehouse]}"}

    @property
    def erp(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}

    def send(self, rows: list[dict], warehouse: str = "WH1", *, token_of: str | None = None, gzipped=False):
        body = json.dumps({"warehouse": warehouse, "movements": rows}).encode()
        headers = dict(self.wh(token_of or warehouse), **{"Content-Type": "application/json"})
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.client.post("/api/v1/sync/movements", data=body, headers=headers)

    def cursor(self, warehouse: str = "WH1") -> int:
        return self.store.cursor(warehouse)

    def changes(self, warehouse: str = "WH1", after: int = 0, limit: int = 500) -> dict:
        r = self.client.get(f"/api/v1/sync/changes?after={after}&limit={limit}", headers=self.wh(warehouse))
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def close(self) -> None:
        self.store.close()
