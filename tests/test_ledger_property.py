"""A state machine of handhelds sending receive / move / adjust commands,
re-sending old ones, replaying offline batches in any order and reusing ids.

A plain dict of (bin, sku, lot) -> qty is the model. After every step the
real database must agree with it, and with itself: the projection equals the
ledger's sum, each command id is applied at most once, and only a replayed
movement ever drives a bin negative.
"""
from __future__ import annotations

import copy
import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from edge import masterdata as md
from edge.commands import apply_batch
from edge.db import connect, init_db
from edge.ledger import differences
from edge.models import BinIn, ItemIn
from edge.writer import Writer

BINS = ("B1", "B2", "B3")
EPS = 1e-6
USER = {"id": 1, "role": "supervisor", "device_id": "HH-1"}


@st.composite
def lines(draw):
    """sku, lot, qty: whole eaches, kilograms in tenths, or a lot-tracked item."""
    sku = draw(st.sampled_from(["EA", "KG", "LOT"]))
    lot = draw(st.sampled_from(["L1", "L2"])) if sku == "LOT" else None
    qty = draw(st.integers(1, 40)) / 10 if sku == "KG" else draw(st.integers(1, 8))
    return sku, lot, qty


two_bins = st.permutations(BINS).map(lambda p: p[:2])


def payload(sku, lot, **fields) -> dict:
    out = {"sku": sku, **fields}
    if lot is not None:
        out["lot"] = lot
    return out


def new_command(kind: str, line, bins, *, replay: bool) -> dict:
    sku, lot, qty = line
    src, dst = bins
    if kind == "receive":
        body = payload(sku, lot, qty=qty, to_bin=dst)
    elif kind == "move":
        body = payload(sku, lot, qty=qty, from_bin=src, to_bin=dst)
    else:  # adjust: take when the draw says so, else add
        body = payload(sku, lot, bin=src, delta=-qty if kind == "take" else qty, reason="count")
        kind = "adjust"
    return {"id": str(uuid.uuid4()), "type": kind, "at": "2026-11-27T08:00:00Z", "replay": replay, "payload": body}


def effects(cmd: dict) -> list[tuple[tuple, float]]:
    """(bin, sku, lot) deltas the command makes when applied; takes first."""
    p = cmd["payload"]
    lot = p.get("lot") or ""
    if cmd["type"] == "receive":
        return [((p["to_bin"], p["sku"], lot), p["qty"])]
    if cmd["type"] == "move":
        return [((p["from_bin"], p["sku"], lot), -p["qty"]), ((p["to_bin"], p["sku"], lot), p["qty"])]
    return [((p["bin"], p["sku"], lot), p["delta"])]


class Floor(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="floorscan-prop-")
        self.path = str(Path(self.dir) / "edge.db")
        init_db(self.path)
        # Durability is not the question here; NORMAL keeps 1,500 commits quick.
        self.writer = Writer(self.path, synchronous="NORMAL")
        self.writer.run(self._master_data)
        self.reader = connect(self.path, readonly=True)
        self.model: dict[tuple, float] = {}
        self.sent: list[dict] = []        # every command sent, verbatim
        self.applied: dict[str, dict] = {}  # command id -> its first 'applied' result
        self.replayed: set[str] = set()
        self.exceptions = 0

    @staticmethod
    def _master_data(conn):
        for code in BINS:
            md.save_bin(conn, BinIn(code=code))
        md.save_item(conn, ItemIn(sku="EA"))
        md.save_item(conn, ItemIn(sku="KG", uom="kg"))
        md.save_item(conn, ItemIn(sku="LOT", tracking="lot"))

    def teardown(self):
        self.reader.close()
        self.writer.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- talking to the edge, and predicting what it says ---------------------

    def send(self, commands: list[dict]) -> list[dict]:
        outcome = self.writer.run(lambda conn: apply_batch(conn, copy.deepcopy(commands), user=USER,
                                                           device_id="HH-1"))
        assert len(outcome.results) == len(commands)
        for cmd, result in zip(commands, outcome.results):
            self.check(cmd, result)
        self.sent.extend(commands)
        return outcome.results

    def check(self, cmd: dict, result: dict) -> None:
        cid = cmd["id"]
        assert result["id"] == cid
        if cid in self.applied:
            assert result["status"] == "duplicate", result
            assert result["movements"] == self.applied[cid]["movements"]
            return
        takes = [(key, -d) for key, d in effects(cmd) if d < 0]
        short = [key for key, qty in takes if self.model.get(key, 0.0) + EPS < qty]
        if short and not cmd["replay"]:
            assert result["status"] == "rejected", result
            assert result["problem"]["status"] == 409
            assert result["problem"]["type"].endswith("/insufficient-stock")
            assert result["movements"] == []
            return
        assert result["status"] == "applied", result
        assert len(result["movements"]) == 1
        assert len(result.get("exceptions", [])) == len(short)
        self.exceptions += len(short)
        for key, delta in effects(cmd):
            self.model[key] = round(self.model.get(key, 0.0) + delta, 6)
        self.applied[cid] = result
        if cmd["replay"]:
            self.replayed.add(cid)

    def stock(self) -> dict[tuple, float]:
        return {(r["bin"], r["sku"], r["lot"]): r["qty"] for r in self.reader.execute("SELECT * FROM stock")}

    # -- rules ------------------------------------------------------------------

    @rule(line=lines(), bins=two_bins)
    def receive(self, line, bins):
        self.send([new_command("receive", line, bins, replay=False)])

    @rule(line=lines(), bins=two_bins)
    def move(self, line, bins):
        before = self.stock()
        self.send([new_command("move", line, bins, replay=False)])
        self.assert_no_new_negative(before)

    @rule(line=lines(), bins=two_bins, take=st.booleans())
    def adjust(self, line, bins, take):
        before = self.stock()
        self.send([new_command("take" if take else "adjust", line, bins, replay=False)])
        self.assert_no_new_negative(before)

    @rule(data=st.data(), size=st.integers(1, 6))
    def replay_offline_batch(self, data, size):
        """A handheld back from a dead zone sends what happened, in whatever order it kept."""
        kinds = st.sampled_from(["receive", "move", "take", "adjust"])
        batch = [new_command(data.draw(kinds), data.draw(lines()), data.draw(two_bins), replay=True)
                 for _ in range(size)]
        self.send(data.draw(st.permutations(batch)))

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def resend_earlier(self, data):
        """The device lost the answers and sends old commands again, verbatim, maybe twice in one batch."""
        picks = data.draw(st.lists(st.sampled_from(self.sent), min_size=1, max_size=5))
        duplicates_only = all(c["id"] in self.applied for c in picks)
        before = self.stock()
        self.send(picks)
        if duplicates_only:
            assert self.stock() == before

    @precondition(lambda self: self.applied)
    @rule(data=st.data(), bump=st.integers(1, 3))
    def reuse_an_id_for_something_else(self, data, bump):
        cmd = copy.deepcopy(data.draw(st.sampled_from([c for c in self.sent if c["id"] in self.applied])))
        body = cmd["payload"]
        if "delta" in body:
            body["delta"] += bump
        else:
            body["qty"] += bump
        before = self.stock()
        outcome = self.writer.run(lambda conn: apply_batch(conn, [copy.deepcopy(cmd)], user=USER, device_id=None))
        [result] = outcome.results
        assert result["status"] == "rejected"
        assert result["problem"]["type"].endswith("/id-conflict")
        assert result["problem"]["status"] == 409
        assert self.stock() == before

    def assert_no_new_negative(self, before):
        """An interactive step never drives a bin below zero."""
        for key, qty in self.stock().items():
            if qty < 0:
                assert before.get(key, 0.0) <= qty + EPS, (key, before.get(key), qty)

    # -- invariants ---------------------------------------------------------------

    @invariant()
    def projection_equals_ledger(self):
        assert differences(self.reader) == []

    @invariant()
    def projection_equals_model(self):
        model = {k: v for k, v in self.model.items() if abs(v) > EPS}
        stock = self.stock()
        assert stock.keys() == model.keys()
        for key, qty in stock.items():
            assert abs(qty - model[key]) <= EPS, (key, qty, model[key])

    @invariant()
    def each_command_applied_at_most_once(self):
        counts = dict(self.reader.execute("SELECT command_id, count(*) FROM movement GROUP BY command_id"))
        assert set(counts) == set(self.applied)
        assert set(counts.values()) <= {1}
        commands = {r[0] for r in self.reader.execute("SELECT id FROM command")}
        assert commands == set(self.applied)

    @invariant()
    def only_replays_drive_stock_negative(self):
        for (bin_code, sku, lot), qty in self.stock().items():
            if qty < 0:
                replayed_take = self.reader.execute(
                    "SELECT 1 FROM movement WHERE replayed = 1 AND from_bin = ? AND sku = ? AND lot = ? LIMIT 1",
                    (bin_code, sku, lot)).fetchone()
                assert replayed_take is not None, (bin_code, sku, lot, qty)
        interactive_replayed = self.reader.execute(
            "SELECT count(*) FROM movement WHERE replayed = 1").fetchone()[0]
        assert interactive_replayed == len(self.replayed)

    @invariant()
    def every_short_replay_raised_one_exception_and_a_count(self):
        assert self.reader.execute("SELECT count(*) FROM exception").fetchone()[0] == self.exceptions
        assert self.reader.execute(
            "SELECT count(*) FROM count_request WHERE exception_id IS NOT NULL").fetchone()[0] == self.exceptions


Floor.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestFloor = Floor.TestCase
