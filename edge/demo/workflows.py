"""Open documents for the demo: purchase orders with ASNs, sales orders ready
to wave, a count schedule. Each workflow adds its part through ``add(conn,
rng, today, users)``, called in this order after the opening stock."""
from __future__ import annotations

import random
from datetime import date

from edge.demo import counting_demo, picking_demo, receiving_demo, transfers_demo

PARTS = (receiving_demo, picking_demo, counting_demo, transfers_demo)


def add_all(writer, seed: int, today: date, users: dict[str, int]) -> None:
    for part in PARTS:
        rng = random.Random(f"{seed}:{part.__name__}")
        writer.run(lambda conn, p=part, r=rng: p.add(conn, r, today, users))
