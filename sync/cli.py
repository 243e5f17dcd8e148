"""`floorscan sync`: the edge's sync loop on its own (docs/sync-edge.md).

`floorscan serve --central URL --token T` runs the same loop in a process of
its own beside the server (sync.loop.SyncSupervisor, through ``python -m
sync.cli``); run this command instead when the sync should be supervised
separately (systemd), or with --once from cron or a test.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys


def _arguments(p: argparse.ArgumentParser) -> None:
    from edge.cli import db_arg
    db_arg(p)
    p.add_argument("--central", default=os.environ.get("FLOORSCAN_CENTRAL_URL"), metavar="URL",
                   help="central's base URL, e.g. https://central.example.com (default: $FLOORSCAN_CENTRAL_URL)")
    p.add_argument("--token", default=None, metavar="T",
                   help="this warehouse's token from `floorscan central add-warehouse` "
                        "(default: $FLOORSCAN_CENTRAL_TOKEN; prefer the variable: arguments show in `ps`)")
    p.add_argument("--batch", type=int, default=1000, help="movements per POST (default: 1000)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between rounds while all is well (default: 2)")
    p.add_argument("--max-wait", type=float, default=60.0,
                   help="longest wait between attempts while central is away, seconds (default: 60)")
    p.add_argument("--once", action="store_true", help="one round, then exit: 0 when caught up, 1 on failure")
    p.add_argument("--wait-for-lock", action="store_true",
                   help="wait while another sync process runs for this database instead of exiting")
    # `serve --central` starts us with this: stop if the server was killed outright.
    p.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)


def register(sub) -> None:
    p = sub.add_parser("sync", help="sync this edge with central (movements up, master data down)",
                       description="Send this edge's movement ledger and outbox to central and apply central's "
                                   "master data and documents, in a loop with backoff while central is away. "
                                   "Protocol: docs/sync.md; operating it: docs/sync-edge.md.")
    _arguments(p)
    p.set_defaults(func=cmd_sync)


def cmd_sync(args) -> int:
    from pathlib import Path
    from sync.loop import AlreadyRunning, run_process
    token = args.token or os.environ.get("FLOORSCAN_CENTRAL_TOKEN")
    if not args.central or not token:
        print("floorscan sync: give --central URL and --token T (or FLOORSCAN_CENTRAL_URL and "
              "FLOORSCAN_CENTRAL_TOKEN)", file=sys.stderr)
        return 2
    if args.batch < 1 or args.batch > 50_000:
        print("floorscan sync: --batch is 1 to 50000", file=sys.stderr)
        return 2
    if not Path(args.db).exists():
        print(f"floorscan sync: no database at {args.db}; create one with: floorscan init --db {args.db}",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return run_process(args.db, args.central, token, batch=args.batch, once=args.once,
                           interval=args.interval, backoff_cap=args.max_wait, wait_for_lock=args.wait_for_lock,
                           exit_with_parent=args.exit_with_parent)
    except AlreadyRunning as exc:
        print(f"floorscan sync: {exc}", file=sys.stderr)
        return 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.cli", description="The edge's sync loop.")
    _arguments(parser)
    return cmd_sync(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
