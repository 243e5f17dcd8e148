"""Up: a document central refuses for what it says is set aside for a supervisor,
not sent again every round. Before, one refused document raised out of the
round: neither the documents after it nor any movement went up again until
someone emptied the outbox by hand."""
from __future__ import annotations

import gzip
import json

import pytest

from _sync_support import Scripted, make_edge, sync_state, write
from edge.db import connect
from edge.workflows import exceptions
from sync.client import CentralClient, Refused
from sync.status import read as read_status
from sync.up import push_outbox
from test_sync_apply import q

PROBLEM = "application/problem+json"


def ok(*keys):
    return (200, "application/json", json.dumps({"accepted": list(keys), "duplicates": []}).encode())


def refused(status=422, detail="documents[0].data.items: at most 5000 items"):
    return (status, PROBLEM, json.dumps({"type": "about:blank", "title": "Invalid input", "status": status,
                                         "detail": detail}).encode())


@pytest.fixture
def edge(tmp_path):
    path = make_edge(str(tmp_path / "edge.db"), "WH1")

    def queue(conn):
        for key in ("WH1-TR-000001", "WH1-TR-000002", "WH1-TR-000003"):
            conn.execute("INSERT INTO sync_outbox (kind, key, body, created_at) VALUES ('transfer', ?, ?, "
                         "'2026-11-28T00:00:00Z')", (key, json.dumps({"id": key})))
    write(path, queue)
    return path


def push(path, central) -> int:
    read = connect(path, readonly=True)
    try:
        return push_outbox(read, lambda job: write(path, job), CentralClient(central.url, "t"), "WH1")
    finally:
        read.close()


def keys_sent(central) -> list[list[str]]:
    return [[d["key"] for d in json.loads(gzip.decompress(body))["documents"]] for _, _, body in central.requests]


def test_a_refused_document_is_set_aside_and_the_others_go(edge):
    central = Scripted()
    central.replies = [refused(), ok("WH1-TR-000001"), refused(), ok("WH1-TR-000003")]
    try:
        assert push(edge, central) == 2
        assert keys_sent(central) == [["WH1-TR-000001", "WH1-TR-000002", "WH1-TR-000003"],
                                      ["WH1-TR-000001"], ["WH1-TR-000002"], ["WH1-TR-000003"]]
        assert push(edge, central) == 0 and len(central.requests) == 4  # nothing is sent again
    finally:
        central.close()
    rows = q(edge, "SELECT key, sent_at IS NOT NULL AS sent, refused_at IS NOT NULL AS refused, refusal "
                   "FROM sync_outbox ORDER BY id")
    assert [(r["key"], r["sent"], r["refused"]) for r in rows] == [
        ("WH1-TR-000001", 1, 0), ("WH1-TR-000002", 0, 1), ("WH1-TR-000003", 1, 0)]
    assert "422" in rows[1]["refusal"] and "at most 5000 items" in rows[1]["refusal"]
    assert sync_state(edge)["documents_sent"] == 2
    conn = connect(edge, readonly=True)
    try:
        assert (read_status(conn)["outbox_pending"], read_status(conn)["outbox_refused"]) == (0, 1)
        [exc] = exceptions.list_exceptions(conn, kind="sync_document_refused")
    finally:
        conn.close()
    assert (exc["ref_type"], exc["ref_id"]) == ("transfer", "WH1-TR-000002")
    assert "at most 5000 items" in exc["detail"]
    assert "send_again" in [a["name"] for a in exc["actions"]]
    # A supervisor fixed it at central: send it again.
    write(edge, lambda conn: exceptions.resolve(conn, exc["id"], user={"id": None}, action_name="send_again",
                                                resolution="fixed at central"))
    central = Scripted()
    central.replies = [ok("WH1-TR-000002")]
    try:
        assert push(edge, central) == 1
    finally:
        central.close()


@pytest.mark.parametrize("status", [401, 429, "proxy 403"])
def test_a_token_rate_or_proxy_refusal_stops_the_round_and_sets_nothing_aside(edge, status):
    central = Scripted()
    central.replies = [(403, "text/html", b"<h1>Forbidden</h1>") if status == "proxy 403" else refused(status, "no")]
    try:
        with pytest.raises(Refused):
            push(edge, central)
    finally:
        central.close()
    assert q(edge, "SELECT count(*) AS n FROM sync_outbox WHERE refused_at IS NOT NULL") == [{"n": 0}]
