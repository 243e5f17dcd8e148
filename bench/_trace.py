"""Reads what bench/trace/sitecustomize.py wrote (`bench/scan_load.py --trace`)
and prints a scan's time by stage for the measured window."""
from __future__ import annotations

from pathlib import Path

from _common import percentile

QUANTILES = (50, 90, 95, 99)


def _read(directory: Path, kind: str, span: tuple[float, float]) -> list[float]:
    values = []
    for path in directory.glob(f"{kind}-*"):
        for line in path.read_text().splitlines():
            end, seconds = map(float, line.split())
            if span[0] <= end <= span[1]:
                values.append(seconds)
    return sorted(values)


def stage_lines(directory: Path, span: tuple[float, float], end_to_end: list[float]) -> list[str]:
    """The table's lines: end to end (the load generator's), worker, writer process."""
    rows = [("the handheld's request, end to end", sorted(end_to_end)),
            ("from the worker's send to the writer's answer", _read(directory, "worker", span)),
            ("inside the writer process (batch, fsync, send)", _read(directory, "writer", span))]
    lines = [f"  {'stage':<48}" + "".join(f"{f'p{q} ms':>9}" for q in QUANTILES) + f"{'scans':>9}"]
    for label, values in rows:
        if not values:
            lines.append(f"  {label:<48} (nothing recorded)")
            continue
        lines.append(f"  {label:<48}" + "".join(f"{percentile(values, q) * 1e3:>9.1f}" for q in QUANTILES)
                     + f"{len(values):>9,}")
    lines.append("  (the gap between the last two rows is mostly the wait for the batch already running, "
                 "and the answer's way back)")
    return lines
