"""The demo's item master and barcodes.

Every item gets an EAN-13 under GS1 company prefix 950 6000: 950 is GS1's own
prefix, used in GS1's published examples and never on a real product, so a
demo label can never be mistaken for a real one. Most items also get a case
GTIN-14 (indicator digit 1) for the carton they arrive in.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from edge.ledger import DECIMAL_UOMS
from edge.models import BarcodeIn, ItemIn
from edge.demo.words import CATEGORIES, Category

COMPANY_PREFIX = "9506000"
MAX_ITEMS = 10 ** (12 - len(COMPANY_PREFIX)) - 1
CASE_SHARE = 0.85
CASE_PACKS = (6, 12, 24)
CASE_PACKS_DECIMAL = (5, 10, 25)  # sacks and drums of kg / l
ABC_SHARES = (("A", 0.2), ("B", 0.3), ("C", 0.5))
FIRST_SKU = 100001


@dataclass
class DemoItem:
    item: ItemIn
    category: Category
    barcodes: list[BarcodeIn] = field(default_factory=list)

    @property
    def decimal(self) -> bool:
        return self.item.uom in DECIMAL_UOMS


def check_digit(body: str) -> str:
    """GS1 mod-10 check digit: weights 3, 1, 3, ... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def ean13(item_ref: int) -> str:
    body = f"{COMPANY_PREFIX}{item_ref:0{12 - len(COMPANY_PREFIX)}d}"
    return body + check_digit(body)


def case_gtin14(ean: str, indicator: str = "1") -> str:
    body = indicator + ean[:12]
    return body + check_digit(body)


def apportion(total: int, shares: list[float]) -> list[int]:
    """Split ``total`` by ``shares`` exactly (largest remainder)."""
    raw = [total * s / sum(shares) for s in shares]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


def _descriptions(rng: random.Random, category: Category, count: int) -> list[tuple[str, str]]:
    shuffled = rng.sample(variants := category.variants(), len(variants))
    out = []
    for i in range(count):
        desc, uom = shuffled[i % len(shuffled)]
        # A catalogue bigger than the word lists: the same goods from another supplier.
        again = i // len(shuffled)
        out.append((f"{desc} (supplier {again + 1})" if again else desc, uom))
    return out


def make_items(rng: random.Random, count: int) -> list[DemoItem]:
    if not 0 < count <= MAX_ITEMS:
        raise ValueError(f"the demo makes 1 to {MAX_ITEMS} items, not {count}")
    rows = []
    for category, n in zip(CATEGORIES, apportion(count, [c.share for c in CATEGORIES])):
        rows += [(category, desc, uom) for desc, uom in _descriptions(rng, category, n)]
    rng.shuffle(rows)
    classes = [abc for abc, n in zip("ABC", apportion(count, [s for _, s in ABC_SHARES])) for _ in range(n)]
    rng.shuffle(classes)
    items = []
    for ref, ((category, desc, uom), abc) in enumerate(zip(rows, classes), start=1):
        items.append(_item(rng, ref, category, desc, uom, abc))
    return items


def _item(rng, ref: int, category: Category, desc: str, uom: str, abc: str) -> DemoItem:
    decimal = uom in DECIMAL_UOMS
    serial = category.tracking == "serial"
    low, high = category.cost
    cost = round(math.exp(rng.uniform(math.log(low), math.log(high))), 2)
    pack = rng.choice(CASE_PACKS_DECIMAL if decimal else CASE_PACKS)
    has_case = not serial and rng.random() < CASE_SHARE
    if serial:
        point = {"A": rng.randint(4, 10), "B": rng.randint(2, 6), "C": rng.randint(1, 3)}[abc]
        reorder_qty = point * 2
    else:
        point = {"A": rng.randint(40, 150), "B": rng.randint(12, 60), "C": rng.randint(2, 20)}[abc]
        reorder_qty = math.ceil(point * 1.5 / pack) * pack
    zone = category.zone or {"A": "B", "B": rng.choice("AB"), "C": "A"}[abc]
    sku = f"SKU-{FIRST_SKU + ref - 1:06d}"
    item = ItemIn(sku=sku, description=desc, uom=uom, tracking=category.tracking,
                  perishable=category.perishable, abc_class=abc, unit_cost=max(cost, 0.01),
                  reorder_point=point, reorder_qty=reorder_qty, preferred_zone=zone)
    ean = ean13(ref)
    barcodes = [BarcodeIn(code=ean, sku=sku, pack_qty=1)]
    if has_case:
        barcodes.append(BarcodeIn(code=case_gtin14(ean), sku=sku, pack_qty=pack))
    return DemoItem(item, category, barcodes)
