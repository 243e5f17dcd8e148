"""bench/scan_load.py runs every phase end to end and prints every figure.

The issue's benchmark is not a test (it asserts nothing about speed, and
neither does this), but a bench that stops half-way is a bench nobody can
quote: a NameError in its reference phase went unseen for a session because
only full runs reached it. This runs it small (4 handhelds, 1 s per load,
3,000 movements for the lookup) and checks that each phase printed its line
and the summary judged every target.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_scan_load_runs_every_phase_and_prints_every_target():
    # A session of its own: on a timeout the bench's servers go down with it.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "scan_load.py"), "--seconds", "1", "--warmup", "0.5",
         "--clients", "4", "--socketio-clients", "1", "--movements", "3000", "--lookups", "20",
         "--replay-batches", "2", "--rate", "40"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    for heading in ("[1] floorscan", "[1b] floorscan at a set rate", "[2] batched replay",
                    "[3] naive reference (the same gunicorn settings", "[3] naive reference (gunicorn sync",
                    "on-hand lookup", "== summary"):
        assert heading in out, f"{heading!r} missing from:\n{out}"
    assert re.search(r"^jitter +a ~1 ms piece of work", out, re.M)
    # The supervisors count movements by seq from the start of the run: never more than
    # were recorded (a duplicate would be a bug). How many arrived before the count was
    # taken is the box's timing, so not asserted.
    got = re.search(r"every supervisor received at least ([\d,]+) of ([\d,]+) movements", out)
    assert got, out
    assert int(got.group(1).replace(",", "")) <= int(got.group(2).replace(",", ""))
    targets = out.split("targets (2-core box):", 1)[1]
    for target in ("durable commands/s >= 1,000", "p99 <= 50 ms flat out", "p99 <= 50 ms at 40 commands/s offered",
                   "no errors: 0", "ratio floorscan / reference, EdgeThreadWorker", "ratio floorscan / reference, sync x2"):
        assert re.search(r"(PASS|MISS)  " + re.escape(target), targets), f"{target!r} not judged:\n{targets}"
