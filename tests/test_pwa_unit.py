"""The PWA's pure JavaScript modules (wedge parser, GS1 matcher, outbox) under
node:test, and the generated files the PWA ships with being up to date."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import IN_CI, ROOT

PWA = ROOT / "pwa"
NODE = shutil.which("node")


def _need_node():
    if NODE is None:
        if IN_CI:
            pytest.fail("node is missing: CI must run the PWA's JavaScript tests (apt-get install nodejs)")
        pytest.skip("node is not installed")


def test_javascript_unit_tests_pass():
    _need_node()
    files = sorted(str(p.relative_to(PWA)) for p in (PWA / "tests").glob("*.test.mjs"))
    assert files, "no pwa/tests/*.test.mjs found"
    run = subprocess.run([NODE, "--test", *files], cwd=PWA, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


@pytest.mark.parametrize("script", ["gen-gs1-ais.py", "pwa-precache.py"])
def test_generated_files_are_up_to_date(script):
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_vendored_libraries_are_pinned_with_their_licences():
    lines = [line.split() for line in (PWA / "vendor" / "VERSIONS").read_text().splitlines()
             if line and not line.startswith("#")]
    names = {parts[0] for parts in lines}
    assert names == {"idb", "socket.io-client", "barcode-detector", "zxing-wasm"}
    for folder in ("idb", "socket.io-client", "barcode-detector", "zxing-wasm"):
        assert (PWA / "vendor" / folder / "LICENSE").is_file()


def test_nothing_is_loaded_from_a_cdn():
    """The ponyfill's default wasm URL is a CDN; camera.js must override it, and
    no other file may reference one."""
    assert "locateFile" in (PWA / "js" / "camera.js").read_text()
    for path in list((PWA / "js").rglob("*.js")) + [PWA / "index.html", PWA / "sw.js"]:
        text = path.read_text()
        for host in ("jsdelivr", "unpkg", "cdnjs", "googleapis"):
            assert host not in text, f"{path} mentions {host}"
