"""Demo documents of the counting workflow: today's ABC cycle counts (the
schedule with the default settings), a count of one aisle of the cold store,
a few bin counts (one assigned to the demo counter) and a count request left
by a short pick, which becomes a task the first time a counter lists tasks."""
from __future__ import annotations

from edge.workflows import counting_tasks as tasks
from edge.workflows.counting_schedule import run_schedule

BIN_COUNTS = 5


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open counting documents to the demo warehouse (issue 3)."""
    now = f"{today.isoformat()}T06:00:00.000Z"
    supervisor, counter = users.get("supervisor"), users.get("counter")
    run_schedule(conn, today, now)
    aisle = conn.execute("SELECT zone, aisle FROM bin WHERE zone = 'C' AND aisle <> '' ORDER BY walk_seq "
                         "LIMIT 1").fetchone()
    if aisle is not None:
        codes = tasks.zone_bins(conn, aisle["zone"], aisle["aisle"])
        tasks.create_task(conn, kind="zone", zone=aisle["zone"], aisle=aisle["aisle"], now=now,
                          bins=[(c, None) for c in codes], created_by=supervisor,
                          note=f"monthly count of cold-store aisle {aisle['aisle']}")
    stocked = [r["bin"] for r in conn.execute(
        "SELECT DISTINCT s.bin FROM stock s JOIN bin b ON b.code = s.bin WHERE b.zone = 'A' "
        "AND b.kind = 'storage' AND NOT EXISTS (SELECT 1 FROM count_task_bin tb WHERE tb.bin = s.bin) "
        "ORDER BY s.bin")]
    for n, code in enumerate(sorted(rng.sample(stocked, min(BIN_COUNTS, len(stocked))))):
        tasks.create_task(conn, kind="bin", bins=[(code, None)], now=now, created_by=supervisor,
                          assigned_to=counter if n == 0 else None,
                          note="label damaged: check what is in the bin" if n == 0 else "")
    short = conn.execute("SELECT s.bin, s.sku FROM stock s JOIN bin b ON b.code = s.bin WHERE b.zone = 'B' "
                         "AND NOT EXISTS (SELECT 1 FROM count_task_bin tb WHERE tb.bin = s.bin) "
                         "ORDER BY s.bin LIMIT 1").fetchone()
    if short is not None:
        conn.execute("INSERT INTO count_request (bin, sku, reason, created_at) VALUES (?,?,?,?)",
                     (short["bin"], short["sku"], "short_pick: the picker found fewer than the records say (demo)",
                      now))
