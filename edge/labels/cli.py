"""`floorscan labels bins|items`: label jobs as ZPL or PDF files, or straight to a Zebra printer."""
from __future__ import annotations

import sys


def _common(p) -> None:
    from edge.cli import db_arg
    db_arg(p)
    p.add_argument("--format", choices=["zpl", "pdf"], default="zpl", help="ZPL for Zebra printers, PDF for "
                   "office printers (default: zpl)")
    p.add_argument("--size", choices=["4x2", "2x1"], default="4x2", help="label size in inches, 203 dpi "
                   "(default: 4x2)")
    p.add_argument("--sheet", choices=["a4", "letter", "label"], default="a4",
                   help="PDF only: N-up on A4 or Letter, or one label per page (default: a4)")
    p.add_argument("--copies", type=int, default=1, help="copies of each label (ZPL ^PQ; default 1)")
    p.add_argument("--out", metavar="FILE", help="write the job here ('-' for standard output)")
    p.add_argument("--printer", metavar="HOST:PORT", help="send the ZPL job to this printer (port 9100 raw)")
    p.add_argument("--timeout", type=float, default=5.0, help="printer connect/send timeout in s (default 5)")


def register(sub) -> None:
    p = sub.add_parser("labels", help="print bin, item and case labels (ZPL or PDF)",
                       description="Make bin, item and case labels as ZPL for Zebra printers (written to a file "
                                   "or sent raw to HOST:9100) or as PDF sheets for office printers. See "
                                   "docs/labels.md.")
    lsub = p.add_subparsers(dest="labels_command", metavar="KIND")
    lsub.required = True
    b = lsub.add_parser("bins", help="bin labels: Code 128 and large text (optional QR)",
                        description="Bin labels by code, or every active bin of a zone / aisle in walk order.")
    b.add_argument("codes", nargs="*", help="bin codes (or use --zone / --aisle)")
    b.add_argument("--zone")
    b.add_argument("--aisle")
    b.add_argument("--qr", action="store_true", help="add a QR code of the bin code (phone cameras)")
    _common(b)
    b.set_defaults(func=cmd_labels)
    i = lsub.add_parser("items", help="item or case labels: GS1-128 / GS1 DataMatrix with (01)(17)(10)",
                        description="Item labels (each GTIN) or, with --case, case labels (the case GTIN and "
                                    "its pack quantity). Lot and expiry go into the GS1 data.")
    i.add_argument("skus", nargs="+", help="item skus")
    i.add_argument("--case", action="store_true", help="case labels: the barcode with the largest pack qty")
    i.add_argument("--lot")
    i.add_argument("--expiry", help="YYYY-MM-DD (default: the lot's expiry in the lot master)")
    i.add_argument("--symbology", choices=["auto", "gs1-128", "gs1-datamatrix", "code128", "datamatrix", "qr"],
                   default="auto", help="auto: GS1-128 when it fits the label, else GS1 DataMatrix")
    _common(i)
    i.set_defaults(func=cmd_labels)


def cmd_labels(args) -> int:
    from edge.cli import _require_db
    from edge.db import connect
    from edge.labels import make_job
    from edge.labels.errors import LabelError
    _require_db(args.db)
    if not args.out and not args.printer:
        print("say where the labels go: --out FILE and/or --printer HOST:PORT", file=sys.stderr)
        return 2
    if args.printer and args.format != "zpl":
        print("--printer takes ZPL; drop --format pdf or use --out", file=sys.stderr)
        return 2
    conn = connect(args.db, readonly=True)
    try:
        if args.labels_command == "bins":
            which = dict(codes=args.codes or None, zone=args.zone, aisle=args.aisle, qr=args.qr)
        else:
            which = dict(skus=args.skus, case=args.case, lot=args.lot, expiry=args.expiry,
                         symbology=args.symbology)
        job = make_job(conn, args.labels_command, fmt=args.format, size=args.size, sheet=args.sheet,
                       copies=args.copies, **which)
        if args.out:
            data = job.body if isinstance(job.body, bytes) else job.body.encode("utf-8")
            if args.out == "-":
                sys.stdout.buffer.write(data)
            else:
                with open(args.out, "wb") as fh:
                    fh.write(data)
                print(f"wrote {job.count} {args.labels_command[:-1]} labels ({args.format}) to {args.out}",
                      file=sys.stderr)
        if args.printer:
            from edge.labels import printer
            sent = printer.send(args.printer, job.body, timeout=args.timeout)
            print(f"sent {job.count} labels ({sent['bytes']} bytes) to {sent['printer']}", file=sys.stderr)
    except LabelError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0
