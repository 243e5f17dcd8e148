"""The handheld app in Chromium: scan-to-feedback latency online and offline,
and how fast the outbox replays 1,000 queued commands when the network returns.

    .venv/bin/python bench/pwa_latency.py [--scans 300] [--commands 1000] [--keep]

Needs Debian's chromium (/usr/bin/chromium) and the dev extra (playwright).
Scans are typed as a wedge scanner types them (keys with the scanner's own
timestamps, through Chrome DevTools input events) on the look-up screen, which
judges every scan on the device. Two figures per scan:

  key -> colour     from the scan's Enter key being sent to the colour going up
                    (browser input pipeline + the app's own work)
  in page           from the page receiving that key to the colour going up
                    (the app's own work: wedge, scan.js, feedback)

The replay phase queues moves while offline (each written to IndexedDB first,
as in use), then goes online and times until the edge has answered them all.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Server, free_port, machine_header, make_workdir, percentile, python, remove_workdir,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def scan(cdp, code: str, per_key: float = 0.004) -> None:
    t = time.time()
    for i, ch in enumerate(code):
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch, "timestamp": t + i * per_key})
    enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", "timestamp": time.time(), **enter})


DONE = """(n) => window.floorscan.scans.length === n &&
    Number(document.getElementById('flash').dataset.at) >= window.floorscan.scans.at(-1).received"""


def latencies(page, cdp, codes: list[str]) -> tuple[list[float], list[float]]:
    key_to_colour, in_page = [], []
    seen = page.evaluate("window.floorscan.scans.length")
    for code in codes:
        scan(cdp, code)

        deadline = time.monotonic() + 10
        while not page.evaluate(DONE, seen + 1):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no feedback for scan {code!r}: " + str(page.evaluate("[window.floorscan.scans.length, Number(document.getElementById('flash').dataset.at), window.floorscan.scans.slice(-2)]")) + f" seen={seen}")
            time.sleep(0.002)
        seen += 1
        a, b = page.evaluate("""() => { const s = window.floorscan.scans.at(-1);
            const at = Number(document.getElementById('flash').dataset.at); return [at - s.t, at - s.received]; }""")
        key_to_colour.append(a)
        in_page.append(b)
        time.sleep(0.02)
    return sorted(key_to_colour), sorted(in_page)


def line(label: str, values: list[float]) -> str:
    return (f"  {label:<16} p50 {percentile(values, 50):6.2f} ms   p99 {percentile(values, 99):6.2f} ms   "
            f"max {values[-1]:6.2f} ms   (n={len(values)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=300)
    ap.add_argument("--commands", type=int, default=1000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from edge.demo import build

    tmp = make_workdir("floorscan-pwa-bench-")
    db = tmp / "demo.db"
    build(db, seed=3, scale=0.1, echo=lambda _: None)
    port = free_port()
    server = Server([python(), "-m", "edge.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
                     "--port", str(port)], port, tmp / "server.log").start("/api/v1/health")
    print("\n".join(machine_header()))
    print(f"chromium  {CHROMIUM}, headless, 360x640; edge: floorscan serve on a demo site (scale 0.1)")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            ctx = browser.new_context(viewport={"width": 360, "height": 640}, base_url=server.url)
            page = ctx.new_page()
            page.goto("/app/")
            page.wait_for_selector("body[data-ready=true]")
            for digit in "1111":
                page.get_by_role("button", name=f"Digit {digit}").click()
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector("[data-screen=home]")
            page.wait_for_function("window.floorscan.catalog.size > 0 && navigator.serviceWorker.controller")
            catalog = page.evaluate("""() => { const c = window.floorscan.catalog;
                return [[...c.bins.keys()].slice(0, 50), [...c.barcodes.keys()].slice(0, 50)]; }""")
            codes = [c for pair in zip(*catalog) for c in pair]
            codes = (codes * (args.scans // len(codes) + 1))[:args.scans]
            page.click("#tile-lookup")
            cdp = ctx.new_cdp_session(page)
            print(f"\nscan -> feedback (beep, vibration, colour) on the look-up screen, {len(codes)} scans each")
            for label, offline in (("online", False), ("offline", True)):
                ctx.set_offline(offline)
                key, own = latencies(page, cdp, codes)
                print(f" {label}:")
                print(line("key -> colour", key))
                print(line("in page", own))

            # Outbox replay: queue while offline, then let it drain.
            ctx.set_offline(True)
            # Moves of 1 back and forth between a bin that holds the item and
            # another: in order, stock never goes negative.
            api = requests.Session()
            api.headers["Authorization"] = "Bearer " + requests.post(
                server.url + "/api/v1/session", json={"pin": "4444"}).json()["token"]
            bins = page.evaluate("""() => [...window.floorscan.catalog.bins.values()]
                .filter(b => b.kind === 'storage').map(b => b.code)""")
            row = next(r for r in api.get(server.url + "/api/v1/stock", params={"limit": 500}).json()["items"]
                       if r["bin"] in bins and r["lot"] is None and r["qty"] - r["reserved"] >= 1)
            sku, pair = row["sku"], [row["bin"], next(b for b in bins if b != row["bin"])]
            before = len(api.get(server.url + "/api/v1/movements", params={"sku": sku, "kind": "move", "limit": 1000}
                                 ).json()["items"])
            started = time.perf_counter()
            page.evaluate("""async ([n, sku, a, b]) => { for (let i = 0; i < n; i++)
                await window.floorscan.outbox.add('move', {sku, qty: 1, from_bin: i % 2 ? b : a, to_bin: i % 2 ? a : b}); }""",
                          [args.commands, sku, pair[0], pair[1]])
            queued = time.perf_counter() - started
            page.wait_for_function(f"document.getElementById('pending').dataset.count === '{args.commands}'")
            started = time.perf_counter()
            ctx.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_function("document.getElementById('pending').dataset.count === '0'", timeout=300000)
            drained = time.perf_counter() - started
            moved = len(api.get(server.url + "/api/v1/movements", params={"sku": sku, "kind": "move", "limit": 1000}
                                ).json()["items"]) - before
            print(f"\noutbox: {args.commands} moves queued offline in {queued:.2f} s "
                  f"({args.commands / queued:,.0f} /s into IndexedDB)")
            print(f"        replayed on reconnect in {drained:.2f} s ({args.commands / drained:,.0f} commands/s, "
                  f"batches of 100); the edge recorded {moved} movements")
            browser.close()
    finally:
        server.stop()
        remove_workdir(tmp, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
