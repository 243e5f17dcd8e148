"""`floorscan tls`, `floorscan backup` and `floorscan restore` (docs/operations.md)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def register(sub) -> None:
    from edge.cli import db_arg
    p = sub.add_parser("tls", help="certificates for https on the LAN (phone cameras need https)",
                       description="A local certificate authority and a server certificate for this box, so "
                                   "handhelds get camera access and offline mode over https. Handhelds trust "
                                   "the CA once (open https://THIS-BOX/ca).")
    tsub = p.add_subparsers(dest="tls_command", metavar="ACTION")
    tsub.required = True
    a = tsub.add_parser("init", help="create the CA (once) and a server certificate",
                        description="Create the CA in DIR if there is none (an existing one is kept: the "
                                    "handhelds already trust it) and issue a server certificate for the given "
                                    "host names and IP addresses (default: this box's names and LAN addresses). "
                                    "Run it again when the box gets a new name or address, then restart serve.")
    a.add_argument("--dir", default=None, metavar="DIR",
                   help="where the certificates live (default: $FLOORSCAN_TLS_DIR or ./tls)")
    a.add_argument("--hosts", nargs="+", metavar="HOST",
                   help="host names and IP addresses the handhelds use to reach this box")
    a.add_argument("--new-ca", action="store_true",
                   help="replace the CA too (every handheld must then trust the new one)")
    a.set_defaults(func=cmd_tls_init)
    a = tsub.add_parser("show", help="print the server certificate's names and the CA fingerprint",
                        description="Print what the server certificate is valid for and the CA's fingerprint.")
    a.add_argument("--dir", default=None, metavar="DIR")
    a.set_defaults(func=cmd_tls_show)

    p = sub.add_parser("backup", help="copy the live database into a backup directory (with rotation)",
                       description="Make a consistent copy of the edge database while it serves (SQLite's "
                                   "online backup API), check it, and keep the newest --keep copies.")
    db_arg(p)
    p.add_argument("--dir", default=None, metavar="DIR",
                   help="backup directory (default: $FLOORSCAN_BACKUP_DIR or backups/ beside the database)")
    keep = os.environ.get("FLOORSCAN_BACKUP_KEEP", "14")
    p.add_argument("--keep", type=int, default=int(keep) if keep.isdigit() else 14, metavar="N",
                   help="backups of this database to keep (default: 14)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with a backup, after checking it",
                       description="Check the backup (integrity, schema, and `floorscan verify` on a migrated "
                                   "copy) and only then put it in place of the database; the old database is "
                                   "kept beside it as <db>.before-restore-<time>. Stop `floorscan serve` first.")
    p.add_argument("file", help="backup file (from `floorscan backup`)")
    db_arg(p, help="warehouse database file to replace")
    p.set_defaults(func=cmd_restore)


def _fail(message: str) -> int:
    print(f"floorscan: {message}", file=sys.stderr)
    return 1


def _tls_dir(args) -> str:
    from edge.ops.tls import default_dir
    return args.dir or default_dir()


def cmd_tls_init(args) -> int:
    from edge.ops import tls
    directory = _tls_dir(args)
    try:
        issued = tls.init(directory, args.hosts, new_ca=args.new_ca)
    except tls.TlsError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the certificates in {directory}: {exc}")
    print(f"{'created a new' if issued.ca_created else 'kept the'} CA: {issued.ca_cert}")
    print(f"server certificate: {issued.server_cert} (key {issued.server_key}), valid until "
          f"{issued.not_after:%Y-%m-%d}")
    print(f"  for: {', '.join(issued.dns_names + issued.addresses)}")
    print(f"CA fingerprint (SHA-256): {tls.fingerprint(issued.ca_cert.read_bytes())}")
    print(f"next: floorscan serve --tls {directory} ... ; on each handheld open https://<this box>/ca")
    return 0


def cmd_tls_show(args) -> int:
    from edge.ops import tls
    directory = _tls_dir(args)
    try:
        tls.server_files(directory)
    except tls.TlsError as exc:
        return _fail(str(exc))
    print(f"server certificate for: {', '.join(tls.server_hosts(directory))}")
    pem = tls.ca_pem(directory)
    if pem:
        print(f"CA fingerprint (SHA-256): {tls.fingerprint(pem)}")
    return 0


def cmd_backup(args) -> int:
    from edge.ops import backup
    directory = args.dir or os.environ.get("FLOORSCAN_BACKUP_DIR") or str(Path(args.db).resolve().parent / "backups")
    try:
        made = backup.take(args.db, directory, keep=args.keep)
    except backup.BackupError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the backup in {directory}: {exc}")
    print(f"backed up {args.db} ({made.movements} movements, {made.size / 2**20:.1f} MB) to {made.path}")
    for old in made.removed:
        print(f"removed old backup {old}")
    return 0


def cmd_restore(args) -> int:
    import argparse
    from edge.cli import cmd_verify
    from edge.ops import backup
    db = Path(args.db)
    try:
        backup.check_file(args.file)
        staged = backup.prepare(args.file, db)
    except backup.BackupError as exc:
        return _fail(f"{exc}; nothing was changed")
    except OSError as exc:
        return _fail(f"cannot restore into {db}: {exc}; nothing was changed")
    print(f"checking the backup {args.file} (migrated copy {staged}):")
    if cmd_verify(argparse.Namespace(db=str(staged), repair=False, json=False)) != 0:
        backup.discard(staged)
        return _fail(f"the backup {args.file} does not pass `floorscan verify`; nothing was changed "
                     f"(try an older backup, or restore this one by hand and run verify --repair)")
    try:
        kept = backup.replace(staged, db)
    except backup.BackupError as exc:
        backup.discard(staged)
        return _fail(f"{exc}; nothing was changed")
    print(f"restored {db} from {args.file}")
    if kept:
        print(f"the database it replaced is kept at {kept}")
    return 0
