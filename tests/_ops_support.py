"""Helpers for the tests of deploy/ and edge/ops (tests/test_ops_*.py)."""
from __future__ import annotations

import hashlib
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from conftest import PINS, ROOT, add_users, make_bin, make_item

DEPLOY = ROOT / "deploy"
FLOORSCAN = str(Path(sys.executable).parent / "floorscan")


def floorscan(*args: str, cwd: str | Path | None = None, env: dict | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `floorscan` command, as an operator types it."""
    return subprocess.run([FLOORSCAN, *args], cwd=cwd or ROOT, env=dict(os.environ, **(env or {})),
                          capture_output=True, text=True, timeout=timeout)


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit file's [Service]/[Unit]/[Install] keys (repeatable ones as lists)."""
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def exec_start(name: str) -> list[str]:
    [line] = unit(name)["ExecStart"]
    return shlex.split(line)


def unit_environment(name: str) -> dict[str, str]:
    env = {}
    for value in unit(name).get("Environment", []):
        for pair in shlex.split(value):
            k, _, v = pair.partition("=")
            env[k] = v
    return env


def seed(db_path: str) -> None:
    """Users of every role, a dock and a storage bin, one item: enough to receive."""
    from edge.app import create_app
    app = create_app({"DATABASE": db_path, "TESTING": True})
    try:
        add_users(app)
        make_bin(app, "DOCK", kind="dock")
        make_bin(app, "A-01")
        make_item(app, "SKU-1", barcodes=[("05012345678900", 1)])
    finally:
        app.extensions["floorscan"].close()


def movement_count(db_path: str | Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM movement").fetchone()[0]
    finally:
        conn.close()


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def receive(n: int = 1) -> list[dict]:
    return [{"id": str(uuid.uuid4()), "type": "receive", "at": "2026-11-27T08:00:00Z",
             "payload": {"sku": "SKU-1", "qty": 1, "to_bin": "DOCK"}} for _ in range(n)]


def sign_in(base: str, verify=True, role: str = "receiver") -> dict:
    r = requests.post(f"{base}/api/v1/session", json={"pin": PINS[role]}, timeout=30, verify=verify)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


class Load:
    """Threads posting receive commands until stopped; each thread has its own connection."""

    def __init__(self, base: str, threads: int = 4, per_post: int = 5, verify=True, fresh_connections=False):
        self.base, self.per_post, self.verify = base, per_post, verify
        self.fresh = fresh_connections
        self.applied = 0
        self.posts = 0  # answered 200
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.headers = sign_in(base, verify)
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def _run(self):
        session = requests.Session()
        while not self._stop.is_set():
            if self.fresh:
                session.close()
                session = requests.Session()
            try:
                r = session.post(f"{self.base}/api/v1/commands", json={"commands": receive(self.per_post)},
                                 headers=self.headers, timeout=30, verify=self.verify)
            except requests.RequestException as exc:
                self.errors.append(repr(exc))
                continue
            if r.status_code != 200:
                self.errors.append(f"{r.status_code} {r.text[:200]}")
                continue
            applied = sum(1 for x in r.json()["results"] if x["status"] == "applied")
            with self._lock:
                self.applied += applied
                self.posts += 1

    def wait_for(self, applied: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.applied < applied:
            assert time.monotonic() < deadline, f"only {self.applied} commands applied; errors {self.errors[:3]}"
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        for t in self._threads:
            t.join(60)
        return self.applied


class Process:
    """A server started from a command line, stopped with SIGTERM to its process group."""

    def __init__(self, argv: list[str], log_path: Path, env: dict | None = None):
        self.argv, self.log_path = argv, log_path
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=dict(os.environ, **(env or {})),
                                     stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"),
                                     start_new_session=True)

    def wait_ready(self, url: str, verify=True, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(url, timeout=2, verify=verify).status_code < 500:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"not ready in time: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode
