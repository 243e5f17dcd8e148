"""How fast does `floorscan import` load a warehouse's master data and opening count?

Generates 100,000 items, 2,000 bins, 100,000 barcodes and 50,000 opening stock
rows as CSV, imports them in that order into a fresh database with the real
command line (one process per file, so interpreter start-up is included),
then imports the items and stock files a second time (all updates; nothing new
to record). Prints
figures and the machine; asserts nothing.

    .venv/bin/python bench/import_items.py [--items 100000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_csv(path: Path, header: list[str], rows) -> int:
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def sku(i: int) -> str:
    return f"SKU-{i:06d}"


def tracking_of(i: int) -> str:
    # Mostly plain items, some lots, a few serials: like a general warehouse.
    return "serial" if i % 50 == 0 else "lot" if i % 10 == 0 else "none"


def items(n: int, rng: random.Random):
    for i in range(n):
        t = tracking_of(i)
        yield [sku(i), f"Item {i} {rng.choice(['bolt', 'nut', 'cable', 'box', 'valve', 'lamp'])}",
               "kg" if i % 17 == 0 else "ea", t, "yes" if t == "lot" and i % 20 == 0 else "",
               rng.choice(["A", "B", "C", ""]), f"{rng.uniform(0.1, 500):.2f}", rng.randint(0, 50) or "",
               rng.randint(0, 200) or "", rng.choice(["Z1", "Z2", "Z3"]), "true"]


def bins(n: int):
    for i in range(n):
        zone = f"Z{i % 3 + 1}"
        yield [f"{zone}-{i // 40:02d}-{i % 40:02d}", zone, f"{i // 40:02d}", i, "storage", ""]


def barcodes(n: int, n_items: int):
    for i in range(n):
        pack = 12 if i % 4 == 3 else 1
        yield [f"{400000000000 + i:013d}", sku(i % n_items), pack]


def stock(n: int, n_items: int, bin_codes: list[str]):
    serial_no = 0
    for i in range(n):
        item = (i * 7) % n_items
        b = bin_codes[i % len(bin_codes)]
        t = tracking_of(item)
        if t == "serial":
            serial_no += 1
            yield [b, sku(item), "", "", f"SN{serial_no:08d}", 1]
        elif t == "lot":
            yield [b, sku(item), f"L{i:07d}", "2027-06-30", "", 24]
        else:
            yield [b, sku(item), "", "", "", 5.5 if item % 17 == 0 else 10]


def floorscan(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "edge.cli", *args], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"floorscan {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return took, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--bins", type=int, default=2_000)
    ap.add_argument("--barcodes", type=int, default=100_000)
    ap.add_argument("--stock", type=int, default=50_000)
    ap.add_argument("--keep", help="write the files and database here and keep them")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="floorscan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    db = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    bin_rows = list(bins(args.bins))
    files = [
        ("items", write_csv(work / "items.csv", ["sku", "description", "uom", "tracking", "perishable", "abc_class",
                                                 "unit_cost", "reorder_point", "reorder_qty", "preferred_zone",
                                                 "active"], items(args.items, rng))),
        ("bins", write_csv(work / "bins.csv", ["code", "zone", "aisle", "walk_seq", "kind", "capacity"], bin_rows)),
        ("barcodes", write_csv(work / "barcodes.csv", ["code", "sku", "pack_qty"],
                               barcodes(args.barcodes, args.items))),
        ("stock", write_csv(work / "stock.csv", ["bin", "sku", "lot", "expiry", "serial", "qty"],
                            stock(args.stock, args.items, [r[0] for r in bin_rows]))),
    ]

    print(f"machine: {platform.platform()}, python {platform.python_version()}, {os.cpu_count()} cpus")
    print(f"files in {work}")
    floorscan("init", "--db", str(db))
    print(f"{'import':<16}{'rows':>10}{'seconds':>10}{'rows/s':>12}  summary")
    total = 0.0
    # Again: items are all updates; stock rows are all already recorded.
    runs = files + [("items (again)", files[0][1]), ("stock (again)", files[-1][1])]
    for kind, rows in runs:
        name = kind.split()[0]
        took, summary = floorscan("import", name, str(work / f"{name}.csv"), "--db", str(db), "--no-progress")
        total += took
        print(f"{kind:<16}{rows:>10,}{took:>10.2f}{rows / took:>12,.0f}  {summary}")
    print(f"{'total':<16}{sum(r for _, r in runs):>10,}{total:>10.2f}")
    took, out = floorscan("verify", "--db", str(db))
    print(f"verify: {out.splitlines()[-1]} ({took:.2f} s)")
    for kind in ("items", "stock"):
        took, _ = floorscan("export", kind, str(work / f"export-{kind}.csv"), "--db", str(db))
        print(f"export {kind}: {took:.2f} s")
    print(f"database: {db.stat().st_size / 1e6:.1f} MB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
