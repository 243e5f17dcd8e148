"""The `floorscan` command."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_DB = os.environ.get("FLOORSCAN_DATABASE", "floorscan.db")
# edge.csvio.IMPORT_KINDS, spelled out so `floorscan --help` does not load the
# importers; tests/test_import.py keeps the two equal.
IMPORT_KINDS = ("items", "bins", "barcodes", "stock", "purchase_orders", "sales_orders")


def db_arg(p, default=None, help="warehouse database file"):
    """--db for every subcommand, the areas' too: $FLOORSCAN_DATABASE, else floorscan.db."""
    default = default or os.environ.get("FLOORSCAN_DATABASE", "floorscan.db")
    p.add_argument("--db", default=default, metavar="PATH", help=f"{help} (default: {default})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="floorscan", description="Warehouse-floor scanning edge server.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("init", help="create an empty warehouse database (or migrate an old one)",
                       description="Create an empty warehouse database, or apply pending migrations to an existing one.")
    db_arg(p)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve the edge API and the handheld app",
                       description="Serve the edge server under gunicorn: FLOORSCAN_WORKERS workers with threads "
                                   "(2 on two or more cores) and, with several, the writer process that commits "
                                   "every worker's commands (docs/architecture.md, \"Serving\").")
    db_arg(p)
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--threads", type=int, default=64, help="request threads (default: 64)")
    p.add_argument("--central", metavar="URL", help="sync with central at URL in a process beside the server "
                   "(default: $FLOORSCAN_CENTRAL_URL; docs/sync-edge.md)")
    p.add_argument("--token", metavar="T", help="this warehouse's central token (default: $FLOORSCAN_CENTRAL_TOKEN)")
    p.add_argument("--tls", nargs="?", const="", default=None, metavar="DIR",
                   help="serve https with the certificates of `floorscan tls init` in DIR "
                        "(default: $FLOORSCAN_TLS_DIR or ./tls; docs/operations.md)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="build a demo warehouse and serve it",
                       description="Build a believable demo warehouse (3 zones, ~2,000 bins, ~5,000 items, "
                                   "opening stock, open orders, counts, returns and transfers for every floor "
                                   "workflow, one user per role) and serve it.")
    db_arg(p, default="demo.db")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="build the database and stop")
    p.add_argument("--reset", action="store_true", help="throw away an existing demo database first")
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("users", help="manage users", description="Add and list users.")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION")
    usub.required = True
    a = usub.add_parser("add", help="add a user", description="Add a user who signs in with a PIN and/or badge.")
    db_arg(a)
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["picker", "receiver", "counter", "supervisor", "admin"])
    a.add_argument("--pin", help="4 to 12 digits")
    a.add_argument("--badge", help="badge barcode value")
    a.set_defaults(func=cmd_users_add)
    a = usub.add_parser("list", help="list users", description="List users and roles.")
    db_arg(a)
    a.set_defaults(func=cmd_users_list)

    p = sub.add_parser("import", help="import a CSV file (all or nothing)",
                       description=f"Import a CSV file of one kind: {', '.join(IMPORT_KINDS)}. The whole file is "
                                   "checked first; any bad row is reported with its line number and nothing is "
                                   "written. `stock` posts opening-count movements through the ledger; "
                                   "purchase_orders and sales_orders replace a document only while nothing was "
                                   "received or allocated against it. Columns: docs/import-export.md.")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("file", help="CSV file with a header row ('-' for standard input)")
    db_arg(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export a table as CSV",
                       description="Export items, bins, barcodes, stock or movements as CSV.")
    p.add_argument("kind", choices=["items", "bins", "barcodes", "stock", "movements"])
    p.add_argument("file", nargs="?", default="-", help="output file (default: standard output)")
    db_arg(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("verify", help="check the stock projection against the ledger",
                       description="Rebuild stock from the movement ledger and report every difference from the "
                                   "stored projection, and every reserved quantity that the open order "
                                   "allocations do not add up to. Exit status 1 if there is any. --repair "
                                   "fixes them.")
    db_arg(p)
    p.add_argument("--repair", action="store_true", help="rewrite the projection from the ledger")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_verify)
    _add_extensions(sub)
    return parser


def _require_db(path: str) -> None:
    if not Path(path).exists():
        sys.exit(f"floorscan: no database at {path}; create one with: floorscan init --db {path}")


def cmd_init(args) -> int:
    from edge.db import init_db
    existed = Path(args.db).exists()
    init_db(args.db)
    print(f"{'migrated' if existed else 'created'} warehouse database {args.db}")
    return 0


def cmd_serve(args) -> int:
    _require_db(args.db)
    from edge.config import load
    from edge.serve import serve
    cfg = load()
    central, token = args.central or cfg["CENTRAL_URL"], args.token or cfg["CENTRAL_TOKEN"]
    if bool(central) != bool(token):
        sys.exit("floorscan: give both --central URL and --token T (or neither)")
    tls_files = None
    if args.tls is not None:
        from edge.ops import tls
        tls_dir = os.path.abspath(args.tls or tls.default_dir())
        try:
            tls_files = tls.server_files(tls_dir)
        except tls.TlsError as exc:
            sys.exit(f"floorscan: {exc}")
        os.environ["FLOORSCAN_TLS_DIR"] = tls_dir  # the workers' /ca page serves this CA
    serve(args.db, host=args.host, port=args.port, threads=args.threads, central=(central, token) if central else None,
          tls=tls_files)
    return 0


def cmd_users_add(args) -> int:
    from pydantic import ValidationError
    from edge import auth
    from edge.models import UserIn
    from edge.writer import Writer
    _require_db(args.db)
    try:
        user = UserIn(name=args.name, role=args.role, pin=args.pin, badge=args.badge)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            print(f"floorscan: --{err['loc'][0]}: {err['msg']}", file=sys.stderr)
        return 2
    w = Writer(args.db)
    try:
        created = w.run(lambda conn: auth.create_user(conn, user))
    except auth.AuthError as exc:
        print(f"floorscan: {exc}", file=sys.stderr)
        return 2
    finally:
        w.close()
    print(f"added user {created['id']} {created['name']} ({created['role']})")
    return 0


def cmd_users_list(args) -> int:
    from edge.db import connect
    _require_db(args.db)
    conn = connect(args.db, readonly=True)
    for r in conn.execute("SELECT id, name, role, active FROM user ORDER BY id"):
        print(f"{r['id']:>4}  {r['name']:<24} {r['role']:<10} {'active' if r['active'] else 'inactive'}")
    return 0


def cmd_import(args) -> int:
    from edge import csvio
    _require_db(args.db)
    try:
        report = csvio.import_file(args.db, args.kind, args.file, progress=not args.no_progress)
    except csvio.ImportFailed as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_export(args) -> int:
    from edge import csvio
    _require_db(args.db)
    count = csvio.export_file(args.db, args.kind, args.file)
    if args.file != "-":
        print(f"exported {count} {args.kind} rows to {args.file}", file=sys.stderr)
    return 0


def cmd_verify(args) -> int:
    from edge.db import connect
    from edge.ledger import differences, serial_differences
    from edge.ledger.verify import reservation_differences
    from edge.writer import Writer
    _require_db(args.db)
    conn = connect(args.db, readonly=True)
    try:
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())
        diffs = differences(conn)
        serials = serial_differences(conn)
        reservations = reservation_differences(conn)  # stock.reserved vs open allocations
        movements = conn.execute("SELECT count(*) FROM movement").fetchone()[0]
    finally:
        conn.close()
    if args.json:
        print(json.dumps({"movements": movements, "integrity": integrity,
                          "differences": [d.__dict__ for d in diffs], "serials": serials,
                          "reservations": reservations}))
    else:
        print(f"checked {movements} movements; integrity {integrity}")
        for d in diffs:
            lot = f" lot {d.lot}" if d.lot else ""
            print(f"DIFF bin {d.bin} sku {d.sku}{lot}: ledger {d.ledger:g}, projection {d.projection:g}")
        for s in serials + reservations:
            print(f"DIFF {s}")
        if not diffs and not serials and not reservations:
            print("projection matches the ledger")
    if integrity != "ok":
        print("the database file is damaged: restore the last backup (docs/operations.md)", file=sys.stderr)
        return 1
    if (diffs or serials or reservations) and args.repair:
        w = Writer(args.db)
        try:
            fixed = w.run(_rebuild_all)
        finally:
            w.close()
        print(f"repaired {fixed} stock rows from the ledger")
        return 0
    return 1 if (diffs or serials or reservations) else 0


def _rebuild_all(conn) -> int:
    from edge.ledger import rebuild
    from edge.ledger.reserve import repair
    from edge.ledger.verify import reservations_wanted
    return rebuild(conn) + repair(conn, reservations_wanted(conn))


def cmd_demo(args) -> int:
    from edge import demo
    if args.reset:
        for suffix in ("", "-wal", "-shm"):
            Path(args.db + suffix).unlink(missing_ok=True)
    if Path(args.db).exists():
        print(f"using the existing demo warehouse {args.db} (--reset builds a fresh one)")
        users = demo.read_users(args.db)
    else:
        print(f"building the demo warehouse in {args.db} ...", flush=True)
        users = demo.build(args.db, seed=args.seed)
    demo.print_welcome(args.host, args.port, users)
    if args.no_serve:
        return 0
    from edge.serve import serve
    serve(args.db, host=args.host, port=args.port)
    return 0


# Subcommands that live with their area: each module has register(sub), which
# adds its parsers with set_defaults(func=...). Import costs stay lazy.
CLI_EXTENSIONS: tuple[str, ...] = (
    "sync.cli",               # floorscan sync
    "sync.central.cli",       # floorscan central serve / add-warehouse / ...
    "edge.decode.cli",        # floorscan camera
    "edge.ops.cli",           # floorscan tls / backup / restore
    "edge.analytics.cli",     # floorscan report
    "edge.labels.cli",        # floorscan labels
)


def _add_extensions(sub) -> None:
    import importlib
    from edge.api import installed
    for name in installed(CLI_EXTENSIONS):
        importlib.import_module(name).register(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
