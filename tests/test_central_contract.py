"""One contract, both backends: the central store over SQLite and over
PostgreSQL answers the sync protocol (docs/sync.md) the same way."""
from __future__ import annotations

import gzip
import itertools
import json
import threading

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from _central_support import Central, central_url, movement, movements
from conftest import assert_problem
from sync.central.errors import Conflict, Gap
from sync.central.ingest import COLS, movement_digest

_warehouse_numbers = itertools.count(1)
# (where the batch starts relative to cursor + 1, its length, how it is tampered with)
BATCHES = st.lists(st.tuples(st.integers(-15, 2), st.integers(1, 12), st.sampled_from(["", "", "", "qty", "id"])),
                   min_size=1, max_size=12)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request, tmp_path):
    with central_url(request.param, tmp_path) as url:
        c = Central(url)
        yield c
        assert c.store.stock_differences() == []  # the projection equals the ledger after every scenario
        c.close()


def held(c: Central, warehouse="WH1") -> list[tuple]:
    return [tuple(r[k] for k in COLS) for r in c.store.movements(warehouse=warehouse, limit=100_000)["items"]]


class TestCentralContract:
    # -- movements up -----------------------------------------------------------------

    def test_batch_is_inserted_and_cursor_answered(self, central):
        rows = movements(1, 50)
        r = central.send(rows)
        assert r.status_code == 200, r.get_json()
        assert r.get_json() == {"warehouse": "WH1", "cursor": 50, "inserted": 50, "duplicates": 0}
        assert central.client.get("/api/v1/sync/cursor", headers=central.wh()).get_json() == \
            {"warehouse": "WH1", "cursor": 50}
        expected = movement_digest(tuple(m[k] for k in COLS) for m in rows)
        assert central.store.movement_digest("WH1") == expected

    def test_resend_is_idempotent(self, central):
        rows = movements(1, 20)
        central.send(rows)
        r = central.send(rows)
        assert r.get_json() == {"warehouse": "WH1", "cursor": 20, "inserted": 0, "duplicates": 20}
        assert len(held(central)) == 20
        assert central.store.stock(("sku",)) == [{"sku": "SKU-1", "qty": 40.0}]  # never counted twice

    def test_overlap_inserts_only_the_new_part(self, central):
        rows = movements(1, 30)
        central.send(rows[:20])
        r = central.send(rows[10:])
        assert r.get_json() == {"warehouse": "WH1", "cursor": 30, "inserted": 10, "duplicates": 10}
        assert [m[0] for m in held(central)] == list(range(1, 31))
        assert central.store.stock(("warehouse", "sku")) == [{"warehouse": "WH1", "sku": "SKU-1", "qty": 60.0}]

    def test_gap_after_cursor_is_409_with_cursor(self, central):
        central.send(movements(1, 10))
        r = central.send(movements(12, 20))
        body = assert_problem(r, 409, field="movements[0].seq", detail="send from 11")
        assert body["cursor"] == 10 and body["type"].endswith("/gap")
        assert central.cursor() == 10

    def test_gap_inside_batch_is_409_and_nothing_applied(self, central):
        rows = movements(1, 5) + movements(7, 8)
        body = assert_problem(central.send(rows), 409, field="movements[5].seq")
        assert body["cursor"] == 0
        assert held(central) == [] and central.store.stock() == []

    def test_same_seq_other_content_is_conflict(self, central):
        rows = movements(1, 5)
        central.send(rows)
        changed = [dict(m) for m in rows[3:]] + movements(6, 8)
        changed[0]["qty"] = 5.0
        body = assert_problem(central.send(changed), 409, field="movements[0].qty")
        assert body["type"].endswith("/conflict") and body["cursor"] == 5
        assert central.cursor() == 5 and len(held(central)) == 5

    def test_id_reused_under_a_new_seq_is_conflict_and_nothing_applied(self, central):
        rows = movements(1, 5)
        central.send(rows)
        again = movements(6, 8)
        again[2]["id"] = rows[0]["id"]
        body = assert_problem(central.send(again), 409, field="movements[2].id", detail="WH1 seq 1")
        assert body["cursor"] == 5
        assert central.cursor() == 5 and len(held(central)) == 5
        assert central.store.stock(("sku",)) == [{"sku": "SKU-1", "qty": 10.0}]

    def test_id_of_another_warehouse_is_conflict(self, central):
        theirs = movements(1, 1, "WH2")
        central.send(theirs, "WH2")
        mine = movements(1, 1, id=theirs[0]["id"])
        assert_problem(central.send(mine), 409, field="movements[0].id", detail="WH2 seq 1")
        assert central.cursor("WH1") == 0

    def test_wrong_warehouse_token_is_403_and_nothing_applied(self, central):
        r = central.send(movements(1, 3, "WH2"), "WH2", token_of="WH1")
        body = assert_problem(r, 403, field="warehouse", detail="belongs to WH1")
        assert body["type"].endswith("/wrong-warehouse")
        rows = movements(1, 3)
        rows[2]["warehouse"] = "WH2"
        assert_problem(central.send(rows), 403, field="movements[2].warehouse")
        assert central.cursor("WH1") == 0 and central.cursor("WH2") == 0 and central.store.stock() == []

    def test_unknown_or_missing_token_is_401(self, central):
        r = central.client.post("/api/v1/sync/movements", json={"warehouse": "WH1", "movements": []},
                                headers={"Authorization": "Bearer nope"})
        assert_problem(r, 401, detail="unknown warehouse token")
        assert_problem(central.client.get("/api/v1/sync/cursor"), 401)
        # An ERP key is not a warehouse token.
        assert_problem(central.client.get("/api/v1/sync/cursor", headers=central.erp), 401)

    def test_gzip_body_is_accepted(self, central):
        r = central.send(movements(1, 100), gzipped=True)
        assert r.status_code == 200 and r.get_json()["cursor"] == 100

    def test_bad_gzip_and_truncated_gzip_are_400(self, central):
        headers = dict(central.wh(), **{"Content-Type": "application/json", "Content-Encoding": "gzip"})
        r = central.client.post("/api/v1/sync/movements", data=b"not gzip at all", headers=headers)
        assert_problem(r, 400, detail="not valid gzip")
        whole = gzip.compress(json.dumps({"warehouse": "WH1", "movements": movements(1, 50)}).encode())
        r = central.client.post("/api/v1/sync/movements", data=whole[: len(whole) // 2], headers=headers)
        assert_problem(r, 400, detail="truncated")
        assert central.cursor() == 0

    def test_unknown_content_encoding_is_415(self, central):
        headers = dict(central.wh(), **{"Content-Type": "application/json", "Content-Encoding": "br"})
        assert_problem(central.client.post("/api/v1/sync/movements", data=b"{}", headers=headers), 415)

    def test_bad_json_and_non_json_are_400_and_415(self, central):
        headers = dict(central.wh(), **{"Content-Type": "application/json"})
        assert_problem(central.client.post("/api/v1/sync/movements", data=b'{"warehouse": "WH1", "movem',
                                           headers=headers), 400, detail="not valid JSON")
        assert_problem(central.client.post("/api/v1/sync/movements", data=b"", headers=headers), 400,
                       detail="no body")
        assert_problem(central.client.post("/api/v1/sync/movements", data=b"warehouse=WH1",
                                           headers=dict(central.wh(), **{"Content-Type": "text/plain"})), 415)

    def test_bad_fields_are_422_per_field(self, central):
        rows = movements(1, 3)
        del rows[0]["sku"]
        rows[1]["qty"] = -1
        rows[2]["from_bin"] = rows[2]["to_bin"] = None
        body = assert_problem(central.send(rows), 422)
        fields = [e["field"] for e in body["errors"]]
        assert fields == ["movements[0].sku", "movements[1].qty", "movements[2]"]
        rows = movements(1, 1, extra_column=1)
        assert_problem(central.send(rows), 422, field="movements[0].extra_column")
        assert central.cursor() == 0

    def test_body_over_32_mib_after_gunzip_is_413(self, central):
        # A gzip bomb: 33 MiB of spaces compress to ~33 KB.
        body = gzip.compress(b'{"warehouse": "WH1", "movements": []' + b" " * (33 * 1024 * 1024) + b"}")
        headers = dict(central.wh(), **{"Content-Type": "application/json", "Content-Encoding": "gzip"})
        r = central.client.post("/api/v1/sync/movements", data=body, headers=headers)
        assert_problem(r, 413, detail="32 MiB")

    def test_concurrent_batches_of_two_warehouses_and_of_one(self, central):
        rows = {"WH1": movements(1, 400), "WH2": movements(1, 400, "WH2")}
        answers: list = []

        def push(wh, start):
            # Each thread re-sends overlapping windows; a gap answer says where to go on from.
            client = central.app.test_client()
            seq = start
            while seq <= 400:
                batch = rows[wh][seq - 1: seq - 1 + 50]
                r = client.post("/api/v1/sync/movements", json={"warehouse": wh, "movements": batch},
                                headers=central.wh(wh))
                answers.append(r.status_code)
                seq = r.get_json()["cursor"] + 1
        threads = [threading.Thread(target=push, args=(wh, 1)) for wh in ("WH1", "WH2") for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(answers) <= {200, 409}
        for wh in ("WH1", "WH2"):
            assert central.store.movement_digest(wh) == movement_digest(tuple(m[k] for k in COLS)
                                                                        for m in rows[wh])
        assert central.store.stock(("warehouse",)) == [{"warehouse": "WH1", "qty": 800.0},
                                                      {"warehouse": "WH2", "qty": 800.0}]

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(batches=BATCHES)
    def test_any_sequence_of_batches_keeps_the_invariants(self, central, batches):
        """Random windows of one edge ledger, some tampered with: central always holds exactly
        seq 1..cursor of it, refuses what it must, and its projection equals the ledger."""
        wh = f"P{next(_warehouse_numbers)}"
        central.store.add_warehouse(wh)
        ledger = [movement(s, wh, qty=float(s % 7 + 1), to_bin=f"B{s % 3}",
                           from_bin=None if s % 4 else "B9") for s in range(1, 53)]
        cursor = 0
        for offset, length, tamper in batches:
            start = min(max(1, cursor + 1 + offset), len(ledger))
            rows = [dict(m) for m in ledger[start - 1: start - 1 + length]]
            if tamper == "qty" and start <= cursor:  # a changed row central holds (a new one is just new)
                rows[0]["qty"] += 1
            elif tamper == "id" and start > 1:
                rows[-1]["id"] = ledger[0]["id"]
            else:
                tamper = ""
            end = rows[-1]["seq"]
            try:
                got = central.store.ingest(wh, rows)
            except Gap as exc:
                event("gap")
                assert start > cursor + 1 and exc.extra["cursor"] == cursor
            except Conflict:
                event(f"conflict ({tamper})")
                assert tamper and start <= cursor + 1
            else:
                event("applied with overlap" if start <= cursor else "applied")
                assert start <= cursor + 1 and not tamper
                assert got["duplicates"] == max(0, min(end, cursor) - start + 1)
                cursor = max(cursor, end)
                assert got["cursor"] == cursor
            assert central.store.movement_digest(wh) == movement_digest(
                tuple(m[k] for k in COLS) for m in ledger[:cursor])
        assert central.store.stock_differences() == []

    def test_stock_projection_follows_moves_and_lots(self, central):
        rows = [movement(1, to_bin="A", lot="L1", qty=10), movement(2, from_bin="A", to_bin="B", lot="L1", qty=4),
                movement(3, from_bin="B", to_bin=None, lot="L1", qty=1, kind="ship"),
                movement(4, to_bin="A", sku="SKU-2", qty=3)]
        central.send(rows)
        central.send(rows)  # a duplicate never counts twice
        assert central.store.stock() == [
            {"warehouse": "WH1", "bin": "A", "sku": "SKU-1", "lot": "L1", "qty": 6.0},
            {"warehouse": "WH1", "bin": "A", "sku": "SKU-2", "lot": "", "qty": 3.0},
            {"warehouse": "WH1", "bin": "B", "sku": "SKU-1", "lot": "L1", "qty": 3.0}]
        assert central.store.stock(("sku",), warehouse="WH1") == [{"sku": "SKU-1", "qty": 9.0},
                                                                  {"sku": "SKU-2", "qty": 3.0}]

    def test_every_sync_call_records_contact(self, central):
        assert central.store.warehouses()[0]["last_contact"] is None
        central.client.get("/api/v1/sync/cursor", headers=central.wh())
        first = central.store.warehouses()[0]["last_contact"]
        assert first is not None
        central.send(movements(5, 6))  # refused (gap), still contact
        assert central.store.warehouses()[0]["last_contact"] >= first
        assert central.store.warehouses()[1]["last_contact"] is None  # WH2 never called

    # -- changes down -----------------------------------------------------------------

    def test_change_feed_order_scope_and_compaction(self, central):
        erp = central.erp
        post = central.client.post
        assert post("/api/v1/items", json={"sku": "SKU-1", "description": "v1"}, headers=erp).status_code == 200
        post("/api/v1/items", json={"sku": "SKU-2"}, headers=erp)
        post("/api/v1/barcodes", json={"code": "0501", "sku": "SKU-1", "pack_qty": 12}, headers=erp)
        post("/api/v1/warehouses/WH2/bins", json={"code": "B-01"}, headers=erp)
        post("/api/v1/purchase-orders", json={"warehouse": "WH1", "id": "PO-1", "lines": [{"sku": "SKU-1", "qty": 5}]},
             headers=erp)
        post("/api/v1/sales-orders", json={"warehouse": "WH2", "id": "SO-1", "lines": [{"sku": "SKU-2", "qty": 1}]},
             headers=erp)
        first = central.changes("WH1")
        assert [(c["kind"], c["key"]) for c in first["changes"]] == [
            ("item", "SKU-1"), ("item", "SKU-2"), ("barcode", "0501"), ("purchase_order", "PO-1")]
        assert first["more"] is False and first["cursor"] == first["changes"][-1]["cursor"]
        assert [(c["kind"], c["key"]) for c in central.changes("WH2")["changes"]] == [
            ("item", "SKU-1"), ("item", "SKU-2"), ("barcode", "0501"), ("bin", "B-01"), ("sales_order", "SO-1")]
        # A newer version of SKU-1 replaces the old one and comes after everything else.
        post("/api/v1/items", json={"sku": "SKU-1", "description": "v2"}, headers=erp)
        again = central.changes("WH1")
        assert [(c["kind"], c["key"]) for c in again["changes"]] == [
            ("item", "SKU-2"), ("barcode", "0501"), ("purchase_order", "PO-1"), ("item", "SKU-1")]
        assert again["changes"][-1]["data"]["description"] == "v2"
        newer = central.changes("WH1", after=first["cursor"])
        assert [(c["kind"], c["key"], c["data"]["description"]) for c in newer["changes"]] == [
            ("item", "SKU-1", "v2")]
        assert central.changes("WH1", after=newer["cursor"]) == {"changes": [], "cursor": newer["cursor"],
                                                                 "more": False}
        cursors = [c["cursor"] for c in again["changes"]]
        assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)

    def test_change_feed_pages(self, central):
        for i in range(7):
            central.client.post("/api/v1/items", json={"sku": f"S{i}"}, headers=central.erp)
        seen, after = [], 0
        while True:
            page = central.changes("WH1", after=after, limit=3)
            seen += [c["key"] for c in page["changes"]]
            after = page["cursor"]
            if not page["more"]:
                break
        assert seen == [f"S{i}" for i in range(7)]
        r = central.client.get("/api/v1/sync/changes?after=-1&limit=0", headers=central.wh())
        body = assert_problem(r, 422)
        assert {e["field"] for e in body["errors"]} == {"query.after", "query.limit"}

    def test_deleting_master_data_sends_it_inactive(self, central):
        central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
        r = central.client.delete("/api/v1/items/SKU-1", headers=central.erp)
        assert r.status_code == 200
        [change] = central.changes("WH2")["changes"]
        assert change["op"] == "delete" and change["data"]["active"] is False
        assert_problem(central.client.delete("/api/v1/items/SKU-1", headers=central.erp), 404)

    # -- documents up and transfers ------------------------------------------------------

    def test_documents_are_idempotent(self, central):
        central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
        po = {"id": "PO-77", "supplier": "ACME", "lines": [{"sku": "SKU-1", "qty": 24}]}
        body = {"warehouse": "WH1", "documents": [{"kind": "purchase_order", "key": "PO-77", "data": po}]}
        r = central.client.post("/api/v1/sync/documents", json=body, headers=central.wh())
        assert r.get_json() == {"accepted": ["PO-77"], "duplicates": []}
        r = central.client.post("/api/v1/sync/documents", json=body, headers=central.wh())
        assert r.get_json() == {"accepted": [], "duplicates": ["PO-77"]}
        pos = [c for c in central.changes("WH1")["changes"] if c["kind"] == "purchase_order"]
        assert [c["data"]["supplier"] for c in pos] == ["ACME"] and pos[0]["data"]["lines"][0]["line_no"] == 1
        assert [c["kind"] for c in central.changes("WH2")["changes"]] == ["item"]

    def test_bad_documents_are_refused_whole(self, central):
        good = {"kind": "purchase_order", "key": "PO-1", "data": {"id": "PO-1", "lines": [{"sku": "S", "qty": 1}]}}
        bad = {"kind": "purchase_order", "key": "PO-2", "data": {"id": "PO-2", "lines": [{"sku": "S", "qty": 0}]}}
        r = central.client.post("/api/v1/sync/documents", json={"warehouse": "WH1", "documents": [good, bad]},
                                headers=central.wh())
        assert_problem(r, 422, field="documents[1].data.lines[0].qty")
        wrong_key = dict(good, key="PO-X")
        r = central.client.post("/api/v1/sync/documents", json={"warehouse": "WH1", "documents": [wrong_key]},
                                headers=central.wh())
        assert_problem(r, 422, field="documents[0].key")
        r = central.client.post("/api/v1/sync/documents", json={"warehouse": "WH2", "documents": [good]},
                                headers=central.wh())
        assert_problem(r, 403, field="warehouse")
        r = central.client.post("/api/v1/sync/documents",
                                json={"warehouse": "WH1", "documents": [dict(good, kind="invoice")]},
                                headers=central.wh())
        assert_problem(r, 422, field="documents[0].kind")
        assert central.changes("WH1")["changes"] == []

    def test_transfer_status_open_in_transit_received(self, central):
        erp = central.erp
        central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=erp)
        r = central.client.post("/api/v1/transfers", json={"from_warehouse": "WH1", "to_warehouse": "WH2",
                                                           "lines": [{"sku": "SKU-1", "qty": 4}]}, headers=erp)
        assert r.status_code == 201, r.get_json()
        tid = r.get_json()["id"]
        assert tid == "WH1-CT-000001" and r.get_json()["status"] == "open"
        order = [c for c in central.changes("WH1")["changes"] if c["kind"] == "transfer_order"]
        assert order[0]["data"] == {"id": tid, "to_site": "WH2", "note": None,
                                    "lines": [{"sku": "SKU-1", "qty": 4.0, "lot": None}]}
        assert not [c for c in central.changes("WH2")["changes"] if c["kind"].startswith("transfer")]
        # The source ships: its transfer_out movements put the transfer in transit.
        central.send([movement(1, to_bin="A"), movement(2, kind="transfer_out", from_bin="A", to_bin="TRANSIT",
                                                        qty=4, ref_type="transfer", ref_id=tid)])
        assert central.store.transfer(tid)["status"] == "in_transit"
        # It dispatches: the document goes to the destination as a `transfer` change.
        shipped = {"id": tid, "from_site": "WH1", "to_site": "WH2", "status": "shipped", "transit_bin": "TRANSIT",
                   "lines": [{"line_no": 1, "sku": "SKU-1", "lot": None, "qty": 4, "shipped": 4}],
                   "items": [{"sku": "SKU-1", "lot": None, "serial": None, "expiry": None, "shipped": 4,
                              "received": 0}]}
        body = {"warehouse": "WH1", "documents": [{"kind": "transfer", "key": tid, "data": shipped}]}
        assert central.client.post("/api/v1/sync/documents", json=body, headers=central.wh()).get_json() == \
            {"accepted": [tid], "duplicates": []}
        assert central.client.post("/api/v1/sync/documents", json=body, headers=central.wh()).get_json() == \
            {"accepted": [], "duplicates": [tid]}
        inbound = [c for c in central.changes("WH2")["changes"] if c["kind"] == "transfer"]
        assert len(inbound) == 1 and inbound[0]["data"]["from_site"] == "WH1"
        assert inbound[0]["data"]["items"][0]["shipped"] == 4.0
        # The destination receives.
        central.send([movement(1, "WH2", kind="transfer_in", from_bin="TRANSIT", to_bin="DOCK", qty=4,
                               ref_type="transfer", ref_id=tid)], "WH2")
        got = central.client.get(f"/api/v1/transfers/{tid}", headers=erp).get_json()
        assert got["status"] == "received" and got["in_transit_at"] and got["received_at"]
        # A late transfer_out never moves it back.
        central.send([movement(3, kind="transfer_out", from_bin="A", to_bin="TRANSIT", qty=1, ref_type="transfer",
                               ref_id=tid)])
        assert central.store.transfer(tid)["status"] == "received"
        listed = central.client.get("/api/v1/transfers?status=received", headers=erp).get_json()["items"]
        assert [t["id"] for t in listed] == [tid]

    def test_transfers_ordered_at_once_get_distinct_ids(self, central):
        central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
        answers: list = []

        def order():
            client = central.app.test_client()
            for _ in range(3):
                r = client.post("/api/v1/transfers", headers=central.erp, json={
                    "from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "SKU-1", "qty": 1}]})
                answers.append((r.status_code, r.get_json().get("id")))
        threads = [threading.Thread(target=order) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [a[0] for a in answers] == [201] * 12
        assert sorted(a[1] for a in answers) == [f"WH1-CT-{n:06d}" for n in range(1, 13)]
        orders = [c["key"] for c in central.changes("WH1")["changes"] if c["kind"] == "transfer_order"]
        assert sorted(orders) == [f"WH1-CT-{n:06d}" for n in range(1, 13)]

    def test_transfer_document_naming_another_source_is_403(self, central):
        doc = {"id": "WH2-TR-000001", "from_site": "WH2", "to_site": "WH1",
               "lines": [{"sku": "S", "qty": 1}], "items": [{"sku": "S", "shipped": 1}]}
        r = central.client.post("/api/v1/sync/documents", headers=central.wh(), json={
            "warehouse": "WH1", "documents": [{"kind": "transfer", "key": doc["id"], "data": doc}]})
        assert_problem(r, 403, field="documents[0].data.from_site")
        assert central.store.transfers() == []

    # -- ERP and read API ----------------------------------------------------------------

    def test_erp_validation_errors_name_fields(self, central):
        erp, post = central.erp, central.client.post
        assert_problem(post("/api/v1/items", json={"sku": "", "unit_cost": -1}, headers=erp), 422, field="sku")
        assert_problem(post("/api/v1/barcodes", json={"code": "1", "sku": "NOPE"}, headers=erp), 422, field="sku",
                       detail="NOPE")
        assert_problem(post("/api/v1/warehouses/WH9/bins", json={"code": "A"}, headers=erp), 422, field="warehouse")
        assert_problem(post("/api/v1/purchase-orders", json={"id": "PO-1", "lines": [{"sku": "S", "qty": 1}]},
                            headers=erp), 422, field="warehouse")
        assert_problem(post("/api/v1/purchase-orders", json={"warehouse": "WH1", "id": "PO-1",
                                                             "lines": [{"sku": "S", "qty": 1}]}, headers=erp),
                       422, field="lines[0].sku")
        assert_problem(post("/api/v1/sales-orders", json={"warehouse": "WH1", "id": "SO-1", "priority": 0,
                                                          "lines": []}, headers=erp), 422, field="lines")
        assert_problem(post("/api/v1/transfers", json={"from_warehouse": "WH1", "to_warehouse": "WH1",
                                                       "lines": [{"sku": "S", "qty": 1}]}, headers=erp), 422)
        assert_problem(post("/api/v1/items", json={"sku": "A"}, headers=central.wh()), 401)
        assert_problem(central.client.get("/api/v1/stock?by=colour", headers=erp), 422, field="query.by")

    def test_movement_history_is_keyset_paged(self, central):
        central.send(movements(1, 5))
        central.send(movements(1, 3, "WH2"), "WH2")
        seen, after = [], None
        while True:
            url = "/api/v1/movements?limit=3" + (f"&after={after}" if after else "")
            page = central.client.get(url, headers=central.erp).get_json()
            seen += [(m["warehouse"], m["seq"]) for m in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert seen == [("WH1", s) for s in range(1, 6)] + [("WH2", s) for s in range(1, 4)]

    def test_warehouses_show_sync_state(self, central):
        central.send(movements(1, 3, recorded_at="2026-11-27T06:00:00.000Z"))
        r = central.client.get("/api/v1/warehouses", headers=central.erp)
        wh1, wh2 = r.get_json()["items"]
        assert wh1["code"] == "WH1" and wh1["cursor"] == 3 and wh1["newest_recorded_at"] == "2026-11-27T06:00:00.000Z"
        assert wh1["lag_seconds"] > 0 and wh1["last_contact"]
        assert wh2["cursor"] == 0 and wh2["lag_seconds"] is None

    def test_openapi_document_is_served(self, central):
        doc = central.client.get("/api/v1/openapi.json").get_json()
        assert doc["openapi"] == "3.1.0"
        assert doc["paths"]["/api/v1/sync/movements"]["post"]["security"] == [{"warehouse": []}]
        assert doc["paths"]["/api/v1/items"]["post"]["security"] == [{"api_key": []}]
        assert "409" in doc["paths"]["/api/v1/sync/movements"]["post"]["responses"]

    def test_change_cursor_from_another_central_is_409(self, central):
        central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
        r = central.client.get("/api/v1/sync/changes?after=99", headers=central.wh())
        body = assert_problem(r, 409, field="after", detail="start again from 0")
        assert body["cursor"] == 1 and body["type"].endswith("/cursor-ahead")
        assert central.changes("WH1", after=1) == {"changes": [], "cursor": 1, "more": False}

    def test_nul_characters_are_refused_on_both_backends(self, central):
        rows = movements(1, 2)
        rows[1]["reason"] = "bad\x00reason"
        assert_problem(central.send(rows), 422, field="movements[1].reason", detail="U+0000")
        rows[1]["reason"] = "a backslash \\u0000 is just text"
        assert central.send(rows).status_code == 200
        assert_problem(central.client.get("/api/v1/stock?sku=a%00b", headers=central.erp), 422, field="query.sku")
