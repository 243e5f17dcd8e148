"""Opening stock for the demo: a list of movements for the ledger to post.

Nothing here touches the database. Movement ids are uuid5 of the seed and
position, so the same seed plans the very same movements. Expiry dates are
relative to ``today`` so every demo has lots that expired last week, lots
that expire in the next fortnight, and most lots months ahead.
"""
from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from edge.demo.items import DemoItem
from edge.demo.layout import QUARANTINE, RETURNS
from edge.ledger import Movement
from edge.models import BinIn

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://floorscan.dev/demo/opening-stock")
EMPTY_BIN_SHARE = 0.10     # left empty for putaway
OUT_OF_STOCK_SHARE = 0.05  # items with nothing on hand
BASE_QTY = {"A": (40, 160), "B": (12, 70), "C": (2, 25)}
SERIAL_UNITS = {"A": (3, 6), "B": (2, 4), "C": (1, 2)}


@dataclass
class Lot:
    code: str
    expiry: str | None


@dataclass
class Placement:
    bin: BinIn
    item: DemoItem


class Planner:
    def __init__(self, rng: random.Random, seed: int, today: date):
        self.rng = rng
        self.seed = seed
        self.today = today
        self.movements: list[Movement] = []
        self.lots: dict[str, list[Lot]] = {}
        self.serials: set[str] = set()
        self.perishable_lots = 0

    # -- lots and serials ---------------------------------------------------

    def expiry(self) -> str:
        # The first two perishable lots are always one expired and one about
        # to expire, so even a tiny demo has something to show.
        n, self.perishable_lots = self.perishable_lots, self.perishable_lots + 1
        r = self.rng.random()
        if n == 0 or (n > 1 and r < 0.08):
            days = -self.rng.randint(1, 7)
        elif n == 1 or r < 0.25:
            days = self.rng.randint(1, 14)
        else:
            days = self.rng.randint(30, 240)
        return (self.today + timedelta(days=days)).isoformat()

    def lots_of(self, it: DemoItem) -> list[Lot]:
        if it.item.sku not in self.lots:
            codes, count = set(), self.rng.randint(1, 3)
            while len(codes) < count:
                codes.add(f"L{self.rng.randrange(10 ** 6):06d}")
            self.lots[it.item.sku] = [Lot(c, self.expiry() if it.item.perishable else None) for c in sorted(codes)]
        return self.lots[it.item.sku]

    def serial(self, it: DemoItem) -> str:
        brand = it.item.description[:3].upper()
        while True:
            code = f"{brand}{self.rng.randrange(10 ** 8):08d}"
            if code not in self.serials:
                self.serials.add(code)
                return code

    # -- movements ----------------------------------------------------------

    def add(self, it: DemoItem, to_bin: str, qty: float, lot: Lot | None = None, serial: str | None = None,
            reason: str = "opening stock") -> None:
        n = len(self.movements)
        self.movements.append(Movement(
            id=str(uuid.uuid5(NAMESPACE, f"{self.seed}:{n}")), kind="opening", sku=it.item.sku, qty=qty,
            to_bin=to_bin, lot=lot.code if lot else None, serial=serial, expiry=lot.expiry if lot else None,
            ref_type="demo", ref_id=f"seed-{self.seed}", reason=reason))

    def quantity(self, it: DemoItem, b: BinIn, room: float) -> float:
        low, high = BASE_QTY[it.item.abc_class]
        # A third of the bin at most, so bins hold a few items as real ones do.
        qty = min(self.rng.uniform(low, high), room, (b.capacity or high) / 3)
        if it.decimal:
            return round(qty * 4) / 4  # quarter kg / l
        return float(int(qty))

    def place(self, p: Placement, room: dict[str, float]) -> None:
        it, code = p.item, p.bin.code
        if it.item.tracking == "serial":
            low, high = SERIAL_UNITS[it.item.abc_class]
            for _ in range(min(self.rng.randint(low, high), int(room[code]))):
                self.add(it, code, 1, serial=self.serial(it))
                room[code] -= 1
            return
        lots = self.lots_of(it) if it.item.tracking == "lot" else [None]
        for lot in self.rng.sample(lots, self.rng.randint(1, min(2, len(lots)))):
            qty = self.quantity(it, p.bin, room[code])
            if qty <= 0:
                return
            self.add(it, code, qty, lot=lot)
            room[code] -= qty


def placements(rng: random.Random, items: list[DemoItem], bins: list[BinIn]) -> list[Placement]:
    """Where each item's stock goes: every filled bin gets at least one item.

    Items sit in their preferred zone; A-class pick-face items also keep a
    reserve location in the ambient racking.
    """
    by_zone: dict[str, list[BinIn]] = defaultdict(list)
    for b in bins:
        if b.kind in ("storage", "pick-face"):
            by_zone[b.zone].append(b)
    stocked = [it for it in items if rng.random() >= OUT_OF_STOCK_SHARE]
    wanted: dict[str, list[DemoItem]] = defaultdict(list)
    for it in stocked:
        wanted[it.item.preferred_zone].append(it)
        if it.item.abc_class == "A" and it.item.preferred_zone == "B":
            wanted["A"].append(it)
    out = []
    for zone in sorted(by_zone):
        zone_bins, zone_items = list(by_zone[zone]), wanted.get(zone, [])
        if not zone_items:
            continue
        rng.shuffle(zone_bins)
        filled = zone_bins[:len(zone_bins) - round(len(zone_bins) * EMPTY_BIN_SHARE)]
        rng.shuffle(zone_items)
        # Every filled bin first (cycling the items if the zone has few), then
        # the remaining items share bins at random.
        for i, b in enumerate(filled):
            out.append(Placement(b, zone_items[i % len(zone_items)]))
        out += [Placement(rng.choice(filled), it) for it in zone_items[len(filled):]]
    return out


def opening_movements(rng: random.Random, seed: int, today: date, items: list[DemoItem],
                      bins: list[BinIn]) -> list[Movement]:
    planner = Planner(rng, seed, today)
    room = {b.code: b.capacity or float("inf") for b in bins}
    for p in placements(rng, items, bins):
        planner.place(p, room)
    # A little stock waiting for a decision: damaged goods and customer returns.
    plain = [it for it in items if it.item.tracking == "none" and not it.decimal]
    for code, reason in ((QUARANTINE, "damaged in transit"), (RETURNS, "customer return")):
        for it in rng.sample(plain, min(3, len(plain))):
            planner.add(it, code, float(rng.randint(1, 6)), reason=reason)
    return planner.movements
