"""The demo site's bins: three storage zones walked in a serpentine, and a dock.

Walk order follows the path a picker pushes a cart along: in from the
receiving docks, up aisle 1 of zone A and down aisle 2, and so on through
ambient racking (A), the pick faces (B) and last the cold store (C), so chilled
goods spend the least time on the cart; then out to the dispatch staging lanes.
walk_seq steps by 10 so a bin added later can slot in between.
"""
from __future__ import annotations

from dataclasses import dataclass

from edge.models import BinIn

WALK_STEP = 10


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    kind: str  # bin kind of every bin in the zone
    aisles: int
    bays: int
    levels: int

    def capacity(self, level: int) -> float:
        # Rough eaches a location holds: the floor level takes a pallet.
        if self.kind == "pick-face":
            return 240.0 if level == 1 else 160.0
        return 400.0 if level == 1 else 200.0


ZONES = (
    Zone("A", "ambient racking", "storage", aisles=12, bays=20, levels=4),
    Zone("B", "pick faces", "pick-face", aisles=10, bays=20, levels=3),
    Zone("C", "cold store (2-6 °C)", "storage", aisles=6, bays=15, levels=4),
)
DOCK_ZONE = "D"
DOCKS = 6
STAGING_LANES = 6
TOTES = 50
QUARANTINE = "D-QUAR-01"
RETURNS = "D-RET-01"
IN_TRANSIT = "D-TRANSIT"


def scaled(n: int, scale: float, least: int) -> int:
    return max(least, round(n * scale))


def storage_bins(zone: Zone, scale: float, start_seq: int) -> list[BinIn]:
    """Every location of a zone in walk order: odd aisles walked up, even ones down."""
    bins = []
    seq = start_seq
    for aisle in range(1, scaled(zone.aisles, scale, 2) + 1):
        bays = range(1, zone.bays + 1)
        for bay in (bays if aisle % 2 else reversed(bays)):
            for level in range(1, zone.levels + 1):
                seq += WALK_STEP
                bins.append(BinIn(code=f"{zone.code}-{aisle:02d}-{bay:02d}-{level}", zone=zone.code,
                                  aisle=f"{zone.code}-{aisle:02d}", walk_seq=seq, kind=zone.kind,
                                  capacity=zone.capacity(level)))
    return bins


def site_bins(scale: float = 1.0) -> list[BinIn]:
    """All bins of the demo site, in walk order (totes and in-transit last, walk_seq 0)."""
    bins = [BinIn(code=f"D-DOCK-{n:02d}", zone=DOCK_ZONE, aisle="D-DOCK", walk_seq=n * WALK_STEP, kind="dock")
            for n in range(1, DOCKS + 1)]
    seq = bins[-1].walk_seq
    for zone in ZONES:
        bins += storage_bins(zone, scale, seq)
        seq = bins[-1].walk_seq
    for n in range(1, STAGING_LANES + 1):
        seq += WALK_STEP
        bins.append(BinIn(code=f"D-STAGE-{n:02d}", zone=DOCK_ZONE, aisle="D-STAGE", walk_seq=seq, kind="staging"))
    for code, kind in ((QUARANTINE, "quarantine"), (RETURNS, "returns")):
        seq += WALK_STEP
        bins.append(BinIn(code=code, zone=DOCK_ZONE, aisle="D-DOCK", walk_seq=seq, kind=kind))
    # Goods on a lorry between sites, and totes that ride around on carts:
    # no fixed place, so no place in the walk.
    bins.append(BinIn(code=IN_TRANSIT, zone=DOCK_ZONE, kind="in-transit"))
    bins += [BinIn(code=f"TOTE-{n:03d}", kind="tote") for n in range(1, scaled(TOTES, scale, 5) + 1)]
    return bins
