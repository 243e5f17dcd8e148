"""`floorscan report NAME [--as-of DATE] [--csv]`: any report on the terminal,
as JSON or CSV; `--apply` writes ABC classes (the cycle-count hook) or stores
the replenishment plan and refreshes low-stock alerts."""
from __future__ import annotations

import json
import sys

# Spelled out so `floorscan --help` does not import numpy; tests keep it equal to reports.REPORTS.
REPORT_NAMES = ("stock", "expiry", "valuation", "fifo_layers", "turnover", "dead_slow", "abc", "accuracy",
                "receiving", "productivity", "replenishment")


def register(sub) -> None:
    from edge.cli import db_arg
    p = sub.add_parser("report", help="print an analytics report (JSON, or CSV with --csv)",
                       description="Compute a report from the movement ledger, as of the end of a day (UTC). "
                                   "Reports: " + ", ".join(REPORT_NAMES) + ". docs/reports.md explains each.")
    p.add_argument("name", choices=REPORT_NAMES)
    db_arg(p)
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="end of this day, UTC (default: now)")
    p.add_argument("--csv", action="store_true", help="CSV with a header row instead of JSON")
    p.add_argument("--days", type=int, help="window length in days (reports that take one)")
    p.add_argument("--by", help="stock: bin|zone|item|lot|bin_item_lot; accuracy: day|week|month")
    p.add_argument("--zone", help="stock: only this zone")
    p.add_argument("--sku", help="fifo_layers: the item")
    p.add_argument("--dead-days", type=int, help="dead_slow: no demand for this long is dead (default 180)")
    p.add_argument("--slow-days", type=int, help="dead_slow: more days of supply than this is slow (default 90)")
    p.add_argument("--history-days", type=int, help="replenishment: demand history to forecast from (default 182)")
    p.add_argument("--limit", type=int, help="print at most this many rows")
    p.add_argument("--apply", action="store_true",
                   help="abc: write the classes to the items (drives the cycle-count schedule); "
                        "replenishment: store the plan and refresh low-stock alerts")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from datetime import date
    from pathlib import Path

    from edge.analytics import csv as csv_mod, reports
    from edge.db import connect, init_db, pending_migrations
    from edge.ledger import LedgerError

    if not Path(args.db).exists():
        print(f"no database at {args.db}; run `floorscan init --db {args.db}` first", file=sys.stderr)
        return 2
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"--as-of wants a date YYYY-MM-DD, not {args.as_of!r}", file=sys.stderr)
        return 2
    params = {"days": args.days, "by": args.by, "zone": args.zone, "sku": args.sku, "dead_days": args.dead_days,
              "slow_days": args.slow_days, "history_days": args.history_days}
    if pending_migrations(args.db):  # a database from before the reports existed
        init_db(args.db)
    conn = connect(args.db, readonly=True)
    try:
        result = reports.run(conn, args.name, as_of, params, limit=args.limit)
    except LedgerError as exc:
        print(f"{exc.field or 'error'}: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    if args.apply:
        if args.name not in ("abc", "replenishment"):
            print("--apply works with the abc and replenishment reports", file=sys.stderr)
            return 2
        _apply(args.db, args.name, as_of, params, result)
    if args.csv:
        sys.stdout.write(csv_mod.to_csv(result["rows"]))
    else:
        print(json.dumps(result, indent=1, default=str))
    return 0


def _apply(db: str, name: str, as_of, params: dict, result: dict) -> None:
    from edge.analytics import abc, alerts, replenishment
    from edge.writer import Writer

    writer = Writer(db)
    try:
        if name == "abc":
            done = writer.run(lambda conn: abc.apply_classes(conn, {r["sku"]: r["abc_class"] for r in result["rows"]}))
            print(f"abc classes applied: {done['changed']} items changed; {done['classes']}", file=sys.stderr)
        else:
            def job(conn):
                plans = replenishment.compute_plans(conn, as_of, history_days=params.get("history_days")
                                                    or replenishment.HISTORY_DAYS)
                replenishment.save_plans(conn, plans, as_of)
                return len(plans), alerts.refresh(conn)
            count, changed = writer.run(job, timeout=3600)
            print(f"plan stored for {count} items; {len(changed)} alerts raised or cleared", file=sys.stderr)
    finally:
        writer.close()
