"""`floorscan central ...`: init, serve, add-warehouse, add-key.

Imports stay inside the functions so `floorscan --help` stays fast."""
from __future__ import annotations

import os
import sys

DEFAULT_DB = os.environ.get("FLOORSCAN_CENTRAL_DB", "central.db")


def _db_arg(p) -> None:
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL",
                   help=f"SQLite file, sqlite:///abs/path or postgresql://... (default: {DEFAULT_DB})")


def register(sub) -> None:
    p = sub.add_parser("central", help="the central store every warehouse syncs with",
                       description="The company's central store: edges sync movements up and master data and "
                                   "documents down (docs/sync.md); an ERP writes through its API.")
    csub = p.add_subparsers(dest="central_command", metavar="ACTION")
    csub.required = True

    a = csub.add_parser("init", help="create or migrate central's database",
                        description="Create central's schema, or apply pending migrations; safe to run again.")
    _db_arg(a)
    a.set_defaults(func=cmd_init)

    a = csub.add_parser("serve", help="serve the central API under gunicorn",
                        description="Serve the central API under gunicorn: FLOORSCAN_CENTRAL_WORKERS processes "
                                    "(default 2 on two or more cores) of --threads threads each.")
    _db_arg(a)
    a.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")
    a.add_argument("--port", type=int, default=8100, help="port (default: 8100)")
    a.add_argument("--threads", type=int, default=8, help="threads per worker (default: 8)")
    a.add_argument("--read-only", action="store_true",
                   help="serve only the read API and write nothing, e.g. over a PostgreSQL streaming replica")
    a.set_defaults(func=cmd_serve)

    a = csub.add_parser("add-warehouse", help="register a warehouse and print its sync token once",
                        description="Register a warehouse (its code is the edge's site id) and print its token. "
                                    "Central keeps only a SHA-256 of it; --rotate replaces a lost one.")
    a.add_argument("code", help="warehouse code, e.g. WH1")
    a.add_argument("--rotate", action="store_true", help="give an existing warehouse a new token")
    _db_arg(a)
    a.set_defaults(func=cmd_add_warehouse)

    a = csub.add_parser("add-key", help="create an ERP API key and print it once",
                        description="Create a key for the ERP / web-shop API and print it; only a hash is kept.")
    a.add_argument("name", help="who uses the key, e.g. erp or webshop")
    _db_arg(a)
    a.set_defaults(func=cmd_add_key)


def _open(url: str):
    from sync.central.store import open_store
    return open_store(url).init()


def _fail(exc) -> int:
    print(f"error: {getattr(exc, 'detail', exc)}", file=sys.stderr)
    return 1


def cmd_init(args) -> int:
    store = _open(args.db)
    print(f"central database ready: {args.db} (schema version {store.schema_version()})")
    store.close()
    return 0


def cmd_add_warehouse(args) -> int:
    from sync.central.errors import StoreError
    store = _open(args.db)
    try:
        token = store.add_warehouse(args.code, rotate=args.rotate)
    except StoreError as exc:
        return _fail(exc)
    finally:
        store.close()
    print(token)
    print(f"warehouse {args.code}: give this token to its edge (floorscan serve --central URL --token ...); "
          "it is not shown again", file=sys.stderr)
    return 0


def cmd_add_key(args) -> int:
    from sync.central.errors import StoreError
    store = _open(args.db)
    try:
        key = store.add_api_key(args.name)
    except StoreError as exc:
        return _fail(exc)
    finally:
        store.close()
    print(key)
    print(f"API key {args.name}: send it as Authorization: Bearer <key>; it is not shown again", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from sync.central.serve import serve
    if not args.read_only:
        _open(args.db).close()  # migrate once, before the workers start
    return serve(args.db, args.host, args.port, args.threads, read_only=args.read_only)
