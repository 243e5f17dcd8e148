"""The handheld PWA in real Chromium against a real edge (`floorscan serve`).

Debian's chromium driven by Playwright for Python; nothing is downloaded.
In CI (CI=true) these tests must run: a missing /usr/bin/chromium fails them.
Screenshots of each screen at 360x640 go to test-artifacts/.
"""
from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest

from _pwa_support import (  # noqa: F401  (fixtures are found by name)
    ARGS, CHROMIUM, CONTROLS, PHONE, browser, context, edge, open_app, page, playwright, require_chromium, scan,
    screenshot, server, sign_in, stock_qty,
)
from _pwa_support import all_pages as _all

pytestmark = pytest.mark.browser
require_chromium()


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stock_pool(edge):
    """Stock rows a test can move without stepping on another test: untracked
    items with free stock in a storage bin and an each barcode."""
    items = {i["sku"]: i for i in _all(edge, "/items")}
    bins = {b["code"]: b for b in _all(edge, "/bins")}
    eaches = {}
    for bc in _all(edge, "/barcodes"):
        if bc["pack_qty"] == 1:
            eaches.setdefault(bc["sku"], bc["code"])
    rows = edge.get(edge.base + "/stock", params={"limit": 1000}).json()["items"]
    pool, used = [], set()
    for r in rows:
        item = items.get(r["sku"])
        if (item and item["tracking"] == "none" and r["sku"] in eaches and r["sku"] not in used
                and bins[r["bin"]]["kind"] == "storage" and r["qty"] - r["reserved"] >= 10 and r["reserved"] == 0):
            used.add(r["sku"])
            pool.append({**r, "barcode": eaches[r["sku"]]})
    targets = [code for code, b in bins.items() if b["kind"] == "storage" and b["active"]]
    assert len(pool) >= 8, "the demo site should have stock to move"
    return {"rows": pool, "targets": targets}


# -- helpers ----------------------------------------------------------------------------------

def take(pool, n=1):
    rows = [pool["rows"].pop() for _ in range(n)]
    return rows if n > 1 else rows[0]


def target_for(pool, row):
    return next(code for code in pool["targets"] if code != row["bin"])


def move_through_ui(page, row, to_bin, qty):
    page.wait_for_selector("#move-prompt[data-step=from]")
    scan(page, row["bin"])
    page.wait_for_selector("#move-prompt[data-step=item]")
    scan(page, row["barcode"])
    page.wait_for_selector("#move-prompt[data-step=to]")
    page.fill("#move-qty", str(qty))
    scan(page, to_bin)
    page.wait_for_selector("#move-prompt[data-step=from]")


# -- tests ------------------------------------------------------------------------------------

def test_sign_in_with_pin_shows_the_workflows_of_the_role(page):
    open_app(page)
    screenshot(page, "signin")
    sign_in(page, "1111")
    assert page.get_by_role("heading", name="Hello, Pat Picker").is_visible()
    tiles = page.locator(".tile").all_inner_texts()
    assert any("Move" in t for t in tiles) and any("Look up" in t for t in tiles)
    assert page.locator("#conn").inner_text() == "Online"
    assert page.locator("#pending").inner_text() == "All sent"
    page.wait_for_function("window.floorscan.liveUp === true")  # Socket.IO connected with the token
    screenshot(page, "home")


def test_wrong_pin_says_so_and_badge_scan_signs_in(page):
    open_app(page)
    for digit in "0000":
        page.get_by_role("button", name=f"Digit {digit}").click()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#signin-message[data-kind=error]")
    assert "wrong PIN" in page.locator("#signin-message").inner_text()
    scan(page, "BADGE-RECEIVER")
    page.wait_for_selector("[data-screen=home]")
    assert page.get_by_role("heading", name="Hello, Rae Receiver").is_visible()


def test_every_control_has_an_accessible_name_and_is_big_enough(page):
    open_app(page)
    assert page.evaluate(CONTROLS) == [], "signin"
    sign_in(page)
    for screen in ("home", "lookup", "move", "attention", "pick", "putaway", "settings"):
        page.goto(f"/app/#{screen}")
        page.wait_for_selector(f"[data-screen={screen}]")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(CONTROLS) == [], screen


def test_move_through_the_ui_changes_stock_on_the_edge(page, edge, stock_pool):
    row = take(stock_pool)
    to_bin = target_for(stock_pool, row)
    before_from, before_to = stock_qty(edge, row["bin"], row["sku"]), stock_qty(edge, to_bin, row["sku"])
    sign_in(page)
    page.click("#tile-move")
    scan(page, row["bin"])
    scan(page, row["barcode"])
    page.wait_for_selector("#move-prompt[data-step=to]")
    assert page.locator("#move-qty").input_value() == "1"
    scan(page, row["barcode"])  # a second each scanned: 2
    page.get_by_role("button", name="One more").click()  # and one counted by hand: 3
    assert page.locator("#move-qty").input_value() == "3"
    page.wait_for_selector("#move-qty-row .muted, #move-qty-row .warn, #move-qty", state="attached")
    screenshot(page, "move")
    scan(page, to_bin)
    page.wait_for_selector("#move-results li[data-status=done]")
    assert stock_qty(edge, row["bin"], row["sku"]) == before_from - 3
    assert stock_qty(edge, to_bin, row["sku"]) == before_to + 3
    assert page.locator("#pending").inner_text() == "All sent"
    screenshot(page, "move-done")


def test_scans_made_before_the_catalog_is_down_are_taken_in_order(context, page, stock_pool):
    """Straight after sign-in the device has no catalog yet and asks the edge about
    each scan. A slow answer for the first scan must not let the second overtake it,
    and the first answer learned must not stop the device asking about the second."""
    held_catalog, held_scans = [], []
    # The catalog download never finishes during this test (held, not failed).
    context.route("**/api/v1/barcodes?*", lambda route: held_catalog.append(route))
    row = take(stock_pool)
    to_bin = target_for(stock_pool, row)

    def slow_bin(route):
        if route.request.post_data_json.get("code") == row["bin"]:
            held_scans.append(route)  # answered below, after the item was scanned
        else:
            route.continue_()

    page.route("**/api/v1/scan", slow_bin)
    sign_in(page)
    page.click("#tile-move")
    scan(page, row["bin"])
    page.wait_for_function("window.floorscan.scans.length === 1")
    scan(page, row["barcode"])
    page.wait_for_function("window.floorscan.scans.length === 2")
    page.wait_for_timeout(800)  # time for an answer about the item to come back, if it was asked first
    assert len(held_scans) == 1 and page.evaluate("window.floorscan.catalog.fetched_at") is None
    held_scans[0].continue_()
    page.wait_for_selector("#move-prompt[data-step=to]", timeout=10000)
    assert page.locator("#move-step-from").inner_text() == row["bin"]
    assert page.locator("#move-step-item").inner_text().startswith(row["sku"])
    scan(page, to_bin)
    page.wait_for_selector("#move-results li[data-status=done]")


def test_wrong_scans_are_refused_on_the_device_at_once(page, stock_pool):
    row = stock_pool["rows"][0]
    sign_in(page)
    page.click("#tile-move")
    scan(page, row["barcode"])  # an item where the from-bin is expected
    page.wait_for_selector("#move-note[data-kind=error]")
    assert "is not a bin" in page.locator("#move-note").inner_text()
    assert page.locator("#flash").get_attribute("class") == "flash flash-error"
    scan(page, row["bin"])
    scan(page, row["bin"])  # the from-bin again where the item is expected
    page.wait_for_selector("#move-note[data-kind=error]")
    assert "is not an item" in page.locator("#move-note").inner_text()
    scan(page, row["barcode"])
    scan(page, row["bin"])  # put it back where it came from
    assert "is the bin you are taking from" in page.locator("#move-note").inner_text()


def test_a_refused_move_needs_attention_and_does_not_block_the_next(page, edge, stock_pool):
    short, good = take(stock_pool, 2)
    to_bin = target_for(stock_pool, short)
    sign_in(page)
    page.click("#tile-move")
    move_through_ui(page, short, to_bin, short["qty"] + 1000)
    move_through_ui(page, good, to_bin, 2)
    page.wait_for_selector("#move-results li[data-status=rejected]")
    page.wait_for_selector("#move-results li[data-status=done]")
    assert stock_qty(edge, good["bin"], good["sku"]) == good["qty"] - 2
    assert stock_qty(edge, short["bin"], short["sku"]) == short["qty"]
    page.wait_for_selector("#attention-link:not([hidden])")
    page.click("#attention-link")
    page.wait_for_selector("#attention-list li.card")
    text = page.locator("#attention-list").inner_text()
    assert f"{short['sku']}" in text and "cannot take" in text
    screenshot(page, "attention")
    page.get_by_role("button", name=f"Dismiss: Move {short['qty'] + 1000:g} × {short['sku']}", exact=False).click()
    page.wait_for_selector("#attention-list li.empty")
    assert page.locator("#attention-link").is_hidden()


def test_offline_moves_survive_a_reload_and_reach_the_edge_exactly_once(page, context, edge, stock_pool):
    rows = take(stock_pool, 3)
    sign_in(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    befores = {(r["bin"], r["sku"]): stock_qty(edge, r["bin"], r["sku"]) for r in rows}
    to_bin = target_for(stock_pool, rows[0])
    to_before = {r["sku"]: stock_qty(edge, to_bin, r["sku"]) for r in rows}

    context.set_offline(True)
    page.click("#tile-move")
    page.wait_for_selector("#conn[data-state=offline]")
    move_through_ui(page, rows[0], to_bin, 2)
    move_through_ui(page, rows[1], to_bin, 3)
    page.wait_for_selector("#pending[data-count='2']")
    screenshot(page, "move-offline")

    page.reload()  # offline: the service worker serves the shell
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-screen=move]")
    page.wait_for_selector("#pending[data-count='2']")
    move_through_ui(page, rows[2], to_bin, 4)
    page.wait_for_selector("#pending[data-count='3']")
    queued = page.evaluate("window.floorscan.outbox.pending()")
    assert [c["replay"] for c in queued] == [True, True, True]
    assert [c["payload"]["sku"] for c in queued] == [r["sku"] for r in rows]

    context.set_offline(False)
    page.wait_for_selector("#pending[data-count='0']")
    for r, qty in zip(rows, (2, 3, 4)):
        assert stock_qty(edge, r["bin"], r["sku"]) == befores[(r["bin"], r["sku"])] - qty
        assert stock_qty(edge, to_bin, r["sku"]) == to_before[r["sku"]] + qty
    for c in queued:
        movements = edge.get(edge.base + "/movements", params={"sku": c["payload"]["sku"], "kind": "move"}).json()
        assert [m["id"] for m in movements["items"]].count(c["id"]) == 1
    # Sending it all again changes nothing: each id counts once.
    again = edge.post(edge.base + "/commands", json={"commands": [
        {k: c[k] for k in ("id", "type", "at", "replay", "payload")} for c in queued]}).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3


def test_a_wedge_burst_of_50_scans_at_20_per_second_is_recorded_in_order(page, stock_pool):
    codes = [r["bin"] if i % 2 else r["barcode"]
             for i, r in enumerate((stock_pool["rows"] * 50)[:50])]
    per_key = 0.002  # a USB scanner: a 13-digit code and its Enter well inside the 50 ms between scans
    sign_in(page)
    page.click("#tile-lookup")
    page.wait_for_selector("[data-screen=lookup]")
    page.locator("body").click(position={"x": 5, "y": 600})  # focus nowhere in particular
    # The burst is on the scanner's clock: scan i starts 50 ms after scan i-1, as its
    # keys' timestamps say, however long the harness's DevTools round trips take on a
    # busy machine (the harness only keeps from running ahead of that clock). How fast
    # the page itself is belongs to bench/pwa_latency.py.
    start, t0 = time.monotonic(), time.time()
    for i, code in enumerate(codes):
        delay = start + i * 0.05 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        scan(page, code, per_key=per_key, at=t0 + i * 0.05)
    print(f"the harness sent 50 scans in {time.monotonic() - start:.2f} s")
    page.wait_for_function("document.querySelectorAll('#scan-log li').length === 50")
    seen = page.eval_on_selector_all("#scan-log li", "els => els.map(e => e.dataset.code)")
    assert list(reversed(seen)) == codes
    assert page.evaluate("window.floorscan.scans.map(s => s.raw)") == codes
    # Each scan was taken at the scanner's pace: it carries its own Enter key's time,
    # and those are the burst's, 50 ms apart (give or take the codes' lengths).
    seen_at = page.evaluate("window.floorscan.scans.map(s => s.t)")
    enters = [(i * 0.05 + len(code) * per_key) * 1000 for i, code in enumerate(codes)]
    gaps = [round(b - a, 1) for a, b in zip(seen_at, seen_at[1:])]
    want = [round(b - a, 1) for a, b in zip(enters, enters[1:])]
    assert all(abs(g - w) < 1 for g, w in zip(gaps, want)), list(zip(gaps, want))
    screenshot(page, "lookup")


def test_typing_into_the_code_field_is_not_mistaken_for_a_scan(page, stock_pool):
    row = stock_pool["rows"][0]
    sign_in(page)
    page.click("#tile-lookup")
    page.click("#scan-input")
    page.keyboard.type(row["bin"], delay=120)
    assert page.locator("#scan-input").input_value() == row["bin"]
    page.keyboard.press("Enter")
    page.wait_for_selector("#stock-table")
    assert page.locator("#lookup-kind").inner_text() == f"Bin {row['bin']}"


def test_camera_ponyfill_decodes_with_the_local_wasm_even_offline(page, context, server):
    import segno
    buf = io.BytesIO()
    segno.make_qr("A-01-01-1", error="m").save(buf, kind="png", scale=8, border=4)
    png = base64.b64encode(buf.getvalue()).decode()
    foreign = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else foreign.append(r.url))
    sign_in(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    found = page.evaluate("""async (b64) => {
        const { detector } = await import('/app/js/camera.js');
        const reader = await detector({ preferNative: false });
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const image = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        return (await reader.detect(image)).map((c) => [c.rawValue, c.format]);
    }""", png)
    assert found == [["A-01-01-1", "qr_code"]]
    assert foreign == []


# Records, for every scan, whether the colour was already up when the app's scan
# handler returned: feedback in the same task as the scan is judged, before anything
# could wait on the network (how many ms that is: bench/pwa_latency.py).
_WATCH_FEEDBACK = """() => {
    const app = window.floorscan, handle = app.onScan.bind(app);
    window.feedbackAtOnce = [];
    app.onScan = (scan) => {
        handle(scan);
        window.feedbackAtOnce.push(Number(document.getElementById('flash').dataset.at) >= scan.received);
    };
}"""


def test_scan_feedback_comes_at_once_online_and_offline(page, context, stock_pool):
    row = stock_pool["rows"][0]
    sign_in(page)
    page.wait_for_function("window.floorscan.catalog.size > 0")
    page.click("#tile-move")
    page.evaluate(_WATCH_FEEDBACK)
    scans = page.evaluate("window.floorscan.scans.length")
    for offline in (False, True):
        context.set_offline(offline)
        for code, step in ((row["bin"], "item"), (row["bin"], "item"), (row["barcode"], "to"), ("NOT-A-BIN", "to")):
            scan(page, code)
            scans += 1
            page.wait_for_selector(f"#move-prompt[data-step={step}]")
            page.wait_for_function(f"window.floorscan.scans.length === {scans} && "
                                   "Number(document.getElementById('flash').dataset.at)"
                                   " >= window.floorscan.scans.at(-1).received")
        page.click("#move-reset")
    assert page.evaluate("window.feedbackAtOnce") == [True] * 8


def test_sign_out_returns_to_the_pin_pad(page):
    sign_in(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("[data-screen=signin]")
    page.reload()
    page.wait_for_selector("[data-screen=signin]")


def _pick_list(edge, list_id):
    return edge.get(f"{edge.base}/pick-lists/{list_id}").json()


def _empty_tote(edge):
    for b in _all(edge, "/bins"):
        if b["kind"] == "tote" and not edge.get(edge.base + "/stock", params={"bin": b["code"]}).json()["items"]:
            return b["code"]
    raise AssertionError("no empty tote in the demo")


def test_pick_a_list_going_offline_midway(page, context, edge):
    lists = edge.get(edge.base + "/pick-lists", params={"status": "open"}).json()["items"]
    pat = next(u["id"] for u in edge.get(edge.base + "/users").json()["items"] if u["name"] == "Pat Picker")
    mine = next(pl for pl in lists if pl["assigned_to"] == pat and pl["kind"] != "cluster")
    detail = _pick_list(edge, mine["id"])
    tote = _empty_tote(edge)
    sign_in(page, "1111")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    page.click("#tile-pick")
    page.click(f"#pick-list-{mine['id']}")
    page.wait_for_selector("#pick-prompt[data-stage=tote]")
    scan(page, detail["lines"][0]["bin"])  # a storage bin is no tote
    page.wait_for_selector("#pick-note[data-kind=error]")
    assert "scan a tote" in page.locator("#pick-note").inner_text()
    scan(page, tote)
    page.wait_for_selector("#pick-prompt[data-stage=bin]")
    screenshot(page, "pick")

    for n, line in enumerate(detail["lines"]):
        if n == 1:
            context.set_offline(True)
            page.wait_for_selector("#conn[data-state=offline]")
        if n == 2:
            page.reload()
            page.wait_for_selector("body[data-ready=true]")
            page.click(f"#pick-list-{mine['id']}")
        page.wait_for_selector(f"#pick-bin:text-is('{line['bin']}')")
        wrong_bin = detail["lines"][(n + 1) % len(detail["lines"])]["bin"]
        scan(page, wrong_bin)
        page.wait_for_selector("#pick-note[data-kind=error]")
        assert f"wrong bin: line {line['seq']} is in bin {line['bin']}" in page.locator("#pick-note").inner_text()
        scan(page, line["bin"])
        page.wait_for_selector("#pick-prompt[data-stage=item]")
        other = detail["lines"][(n + 1) % len(detail["lines"])]
        scan(page, other["barcodes"][0]["code"])
        assert f"wrong item: line {line['seq']} wants {line['sku']}" in page.locator("#pick-note").inner_text()
        each = next(b["code"] for b in line["barcodes"] if b["pack_qty"] == 1)
        for i in range(int(line["remaining"])):
            scan(page, each)
            if i == 0 and line["lot"]:
                page.wait_for_selector("#pick-prompt[data-stage=lot]")
                scan(page, line["lot"])
        page.wait_for_selector(f"#pick-progress[data-done='{n + 1}']")
    page.wait_for_selector("#pick-prompt[data-stage=done]")
    screenshot(page, "pick-done")
    queued = page.evaluate("window.floorscan.outbox.pending()")
    assert len(queued) == 2 and all(c["replay"] for c in queued)

    context.set_offline(False)
    page.wait_for_selector("#pending[data-count='0']")
    after = _pick_list(edge, mine["id"])
    assert after["status"] == "picked", after
    assert [l["picked_qty"] for l in after["lines"]] == [l["qty"] for l in detail["lines"]]
    held = {(r["sku"], r["lot"]): r["qty"] for r in edge.get(edge.base + "/stock", params={"bin": tote}).json()["items"]}
    assert held == {(l["sku"], l["lot"]): l["qty"] for l in detail["lines"]}


def _y4m(text: str, path: Path, width=640, height=480, frames=5) -> None:
    """A still video of a QR code (what Chromium's fake camera plays, in a loop)."""
    import segno
    qr = segno.make_qr(text, error="m")
    matrix = [list(row) for row in qr.matrix]
    size = len(matrix) + 8  # quiet zone of 4 modules each side
    scale = min(width, height) * 3 // 4 // size
    left, top = (width - size * scale) // 2, (height - size * scale) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + (y + 4) * scale + dy) * width + left + (x + 4) * scale
                    luma[start:start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma)


def test_camera_scans_through_the_real_camera_path(playwright, server, stock_pool, tmp_path):
    row = stock_pool["rows"][0]
    video = tmp_path / "qr.y4m"
    _y4m(row["bin"], video)
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        ctx = chromium.new_context(viewport=PHONE, base_url=server.url, permissions=["camera"])
        page = ctx.new_page()
        page.set_default_timeout(45000)  # as the page fixture: a busy machine is slow, not wrong
        sign_in(page)
        page.click("#tile-lookup")
        page.get_by_role("button", name="Scan with camera").click()
        page.wait_for_selector("#camera-box video")
        page.wait_for_selector(f"#scan-log li[data-code='{row['bin']}']", )
        page.wait_for_selector("#stock-table")
        assert page.evaluate("window.floorscan.scans.at(-1).symbology") == "qr_code"
        screenshot(page, "lookup-camera")
        page.get_by_role("button", name="Stop camera").click()
        # The floor screens have the same camera: on Move the bin label fills the from-bin.
        page.evaluate("window.floorscan.go('move')")
        page.wait_for_selector("#move-prompt[data-step=from]")
        page.get_by_role("button", name="Scan with camera").click()
        page.wait_for_selector("#move-prompt[data-step=item]", )
        assert page.locator("#move-step-from").inner_text() == row["bin"]
        page.evaluate("window.floorscan.go('home')")  # leaving the screen turns the camera off
        assert page.evaluate("document.querySelectorAll('video').length") == 0
    finally:
        chromium.close()
