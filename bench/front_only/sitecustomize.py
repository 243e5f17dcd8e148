"""`bench/scan_load.py --front-only`: the scan path with the ledger taken out.

The bench puts this directory on PYTHONPATH of the server it starts, so every
Python process of that server imports this module at start-up, the writer
process among them. With FLOORSCAN_BENCH_FRONT_ONLY=1 it swaps the command
lane's writer-side function, once ``edge.commands.lane`` is imported, for one
that checks the bearer token as the real one does and then answers every
command "applied" with no movements: no SQL write, no JSON of results, no live
events. What is left is the HTTP front (gunicorn, the worker, the lane, the hop
to the writer process and back), so the run shows what the front alone costs
(docs/performance.md, "Where the time goes now"). Never on a real site: the
variable is set only by the bench.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys

TARGET = "edge.commands.lane"


def _front_only_apply_request(lane):
    from edge.auth import authenticate

    def apply_request(conn, token, body, limit):
        if authenticate(conn, token) is None:
            return lane.UNKNOWN_TOKEN
        commands = json.loads(body)["commands"]
        results = [{"id": c.get("id"), "status": "applied", "movements": []} for c in commands]
        return lane.encode_answer({"results": results}), ["applied"] * len(results), []
    return apply_request


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Let edge.commands.lane load as usual, then replace apply_request."""

    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            module.apply_request = _front_only_apply_request(module)
        spec.loader.exec_module = exec_module
        return spec


if os.environ.get("FLOORSCAN_BENCH_FRONT_ONLY") == "1":
    sys.meta_path.insert(0, _PatchOnImport())
