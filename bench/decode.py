"""Barcode decoding speed and hit rate: each engine alone, each preprocessing
step, and the pipelines floorscan uses (docs/decoding.md).

    .venv/bin/python bench/decode.py              # engines + pipelines at 3 frame sizes, ~1-2 min
    .venv/bin/python bench/decode.py --ablation   # also: what each preprocessing step adds at 1280x720
    .venv/bin/python bench/decode.py --sizes 1280x720 --seeds 1   # a quick look

The corpus is tests/_decode_support.py's: 7 symbologies (Code 128, GS1-128,
EAN-13, UPC-A, ITF-14, QR, GS1 DataMatrix) x 8 conditions (clean, rotated 20
and 90 degrees, blurred, noisy, low contrast, perspective, small) x --seeds
placements, drawn by python-barcode, segno and zxing-cpp's writer onto a
cluttered frame of each size. "empty" is a frame with no code at all, what a
dock camera sees most of the time. Times are wall-clock per frame in this
process: CPU time of this process (all its threads), which other work on the
machine barely changes, and the wall-clock median beside it, which it does.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from _common import machine_header  # noqa: E402
from _decode_support import CLASSES, DEGRADATIONS, corpus, hit, scene  # noqa: E402
from edge.decode import regions  # noqa: E402
from edge.decode.engines import PyzbarEngine, ZxingEngine  # noqa: E402
from edge.decode.pipeline import Pipeline  # noqa: E402


def deciders() -> dict:
    camera, photo = Pipeline("camera"), Pipeline("photo")
    return {
        "pyzbar": PyzbarEngine().decode,
        "zxing-cpp (default options)": ZxingEngine(thorough=True).decode,
        "zxing-cpp fast": ZxingEngine().decode,
        "pipeline camera (default)": lambda im: camera.decode(im).codes,
        "pipeline photo": lambda im: photo.decode(im).codes,
    }


def ablation() -> dict:
    """One preprocessing step at a time, each in front of zxing-cpp fast."""
    fast, rot = ZxingEngine(), ZxingEngine(rotate=True)
    clahe = cv2.createCLAHE(2.0, (8, 8))

    def crops(im, engine):
        out = []
        for r in regions.find(im):
            out += engine.decode(r.crop(im)[0])
        return out

    return {
        "gray only": fast.decode,
        "+ CLAHE": lambda im: fast.decode(clahe.apply(im)),
        "+ Otsu threshold": lambda im: fast.decode(cv2.threshold(im, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]),
        "+ unsharp mask": lambda im: fast.decode(cv2.addWeighted(im, 1.8, cv2.GaussianBlur(im, (0, 0), 2), -0.8, 0)),
        "+ 2x upscale": lambda im: fast.decode(cv2.resize(im, None, fx=2, fy=2)),
        "+ 0.5x downscale": lambda im: fast.decode(cv2.resize(im, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)),
        "+ frame turned 90": lambda im: fast.decode(cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE)),
        "region crops only": lambda im: crops(im, fast),
        "region crops, zxing 90-degree tries": lambda im: crops(im, rot),
        "pyzbar on region crops": lambda im: crops(im, PyzbarEngine()),
    }


def measure(decode, samples, empty, repeat: int) -> dict:
    times, walls, hits, by_cls, by_deg = [], [], 0, Counter(), Counter()
    for s in samples:
        found = False
        for _ in range(repeat):
            t, w = time.process_time(), time.perf_counter()
            codes = decode(s.image)
            times.append((time.process_time() - t) * 1000)
            walls.append((time.perf_counter() - w) * 1000)
            found = hit(codes, s.text)
        hits += found
        by_cls[s.cls] += found
        by_deg[s.degradation] += found
    empty_times = []
    for im in empty:
        for _ in range(repeat):
            t = time.process_time()
            decode(im)
            empty_times.append((time.process_time() - t) * 1000)
    times.sort()
    return {"mean": statistics.fmean(times), "p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)],
            "wall": statistics.median(walls),
            "empty": statistics.fmean(empty_times), "hits": hits, "n": len(samples), "cls": by_cls, "deg": by_deg}


def row(name, m) -> str:
    return (f"| {name} | {m['mean']:.1f} | {m['p50']:.1f} | {m['p99']:.1f} | {m['empty']:.1f} | {m['wall']:.1f} | "
            f"{m['hits']}/{m['n']} ({100 * m['hits'] / m['n']:.0f} %) |")


HEADER = ("| | CPU ms/frame mean | p50 | p99 | empty frame | wall ms p50 | hit rate |\n"
          "|---|---|---|---|---|---|---|")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="640x480,1280x720,1920x1080")
    ap.add_argument("--seeds", type=int, default=2, help="placements per symbology x condition")
    ap.add_argument("--repeat", type=int, default=1, help="decode each frame this many times")
    ap.add_argument("--ablation", action="store_true", help="also measure each preprocessing step at 1280x720")
    args = ap.parse_args(argv)
    print("\n".join(machine_header()))
    print(f"corpus    {len(CLASSES)} symbologies x {len(DEGRADATIONS)} conditions x {args.seeds} placements\n")
    detail = None
    for size_text in args.sizes.split(","):
        size = tuple(int(v) for v in size_text.lower().split("x"))
        samples = corpus(size, seeds=args.seeds)
        empty = [scene(size, np.random.default_rng(i)) for i in range(5)]
        print(f"### {size[0]}x{size[1]}\n\n{HEADER}")
        for name, decode in deciders().items():
            decode(samples[0].image)   # warm-up: imports, first allocation
            m = measure(decode, samples, empty, args.repeat)
            print(row(name, m), flush=True)
            if size == (1280, 720) and name.startswith("pipeline camera"):
                detail = m
        print()
    if detail:
        print("### default pipeline at 1280x720, hits per symbology and condition\n")
        print("| " + " | ".join(CLASSES) + " |\n|" + "---|" * len(CLASSES))
        print("| " + " | ".join(f"{detail['cls'][c]}/{len(DEGRADATIONS) * args.seeds}" for c in CLASSES) + " |\n")
        print("| " + " | ".join(DEGRADATIONS) + " |\n|" + "---|" * len(DEGRADATIONS))
        print("| " + " | ".join(f"{detail['deg'][d]}/{len(CLASSES) * args.seeds}" for d in DEGRADATIONS) + " |\n")
    if args.ablation:
        samples = corpus((1280, 720), seeds=args.seeds)
        empty = [scene((1280, 720), np.random.default_rng(i)) for i in range(5)]
        print(f"### preprocessing steps at 1280x720 (zxing-cpp fast behind each)\n\n{HEADER}")
        for name, decode in ablation().items():
            print(row(name, measure(decode, samples, empty, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
