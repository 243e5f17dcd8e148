"""The supervisor's screens (exceptions queue, live floor view, dashboard tile),
device settings, idle sign-out, the status bar, cluster and short picking in the handheld PWA:
real Chromium against a real edge on the demo warehouse (tests/_pwa_support.py)."""
from __future__ import annotations

import time
import uuid

import pytest

from _pwa_support import (  # noqa: F401  (fixtures are found by name)
    all_pages, api_session, assert_controls_ok, browser, context, edge, go, page, playwright, require_chromium,
    scan, screenshot, server, sign_in, stock_qty, wait_sent,
)

pytestmark = pytest.mark.browser
require_chromium()


def send(session, ctype, payload, replay=False):
    cmd = {"id": str(uuid.uuid4()), "type": ctype, "at": "2026-11-27T08:00:00Z", "replay": replay, "payload": payload}
    [result] = session.post(session.base + "/commands", json={"commands": [cmd]}).json()["results"]
    assert result["status"] == "applied", result
    return result


@pytest.fixture(scope="module")
def free_stock(edge):
    """Untracked items with free stock in storage bins and an each barcode, one row per item."""
    items = {i["sku"]: i for i in all_pages(edge, "/items")}
    bins = {b["code"]: b for b in all_pages(edge, "/bins")}
    eaches = {}
    for bc in all_pages(edge, "/barcodes"):
        if bc["pack_qty"] == 1:
            eaches.setdefault(bc["sku"], bc["code"])
    rows, seen = [], set()
    for r in edge.get(edge.base + "/stock", params={"limit": 2000}).json()["items"]:
        item = items.get(r["sku"])
        if (item and item["tracking"] == "none" and r["sku"] in eaches and r["sku"] not in seen
                and bins[r["bin"]]["kind"] in ("storage", "pick-face") and r["qty"] >= 10 and r["reserved"] == 0):
            seen.add(r["sku"])
            rows.append({**r, "barcode": eaches[r["sku"]]})
    return rows


def negative_stock(server, row):
    """A move replayed from an offline device that took more than the bin held: a negative_stock exception."""
    pat = api_session(server, "1111")
    to = "A-01-01-1" if row["bin"] != "A-01-01-1" else "A-01-01-2"
    send(pat, "move", {"sku": row["sku"], "qty": row["qty"] + 5, "from_bin": row["bin"], "to_bin": to}, replay=True)


def test_exceptions_queue_lists_live_resolves_and_reads_offline(page, context, server, edge, free_stock):
    negative_stock(server, free_stock.pop())
    sign_in(page, "4444")
    page.wait_for_function("window.floorscan.liveUp === true")
    assert_controls_ok(page, "home-supervisor")
    screenshot(page, "home-supervisor")
    tiles = page.locator(".tile").all_inner_texts()
    assert any("Exceptions" in t for t in tiles) and any("Floor" in t for t in tiles)
    assert page.locator("#tile-dashboard").get_attribute("href") == "/dashboard/"
    go(page, "exceptions")
    page.wait_for_selector("#exceptions-list li.card[data-kind=negative_stock]")
    first = int(page.locator("#exceptions-count").get_attribute("data-count"))
    negative_stock(server, free_stock.pop())  # exception.raised: the list re-reads itself
    page.wait_for_function(f"Number(document.getElementById('exceptions-count').dataset.count) === {first + 1}")
    assert_controls_ok(page, "exceptions")
    screenshot(page, "exceptions")

    exc = edge.get(edge.base + "/exceptions", params={"kind": "negative_stock"}).json()["items"][0]
    page.click(f"#exc-{exc['id']}-dismiss")
    page.click(f"#exc-{exc['id']}-go")  # no reason given
    page.wait_for_selector("#exceptions-note[data-kind=error]")
    assert "say why" in page.locator("#exceptions-note").inner_text()
    page.fill(f"#exc-{exc['id']}-why", "records were right; the driver miscounted")
    assert_controls_ok(page, "exceptions-resolve")
    screenshot(page, "exceptions-resolve")
    page.click(f"#exc-{exc['id']}-go")
    page.wait_for_selector(f"#exceptions-list li.card[data-id='{exc['id']}']", state="detached")
    done = edge.get(f"{edge.base}/exceptions/{exc['id']}").json()
    assert done["status"] == "resolved" and done["action"] == "dismiss"
    assert done["resolution"] == "records were right; the driver miscounted"

    context.set_offline(True)  # resolving needs the edge: offline the last copy, read-only
    go(page, "home")
    go(page, "exceptions")
    page.wait_for_selector("#exceptions-count:has-text('offline: last copy')")
    assert page.locator("#exceptions-list li.card button").first.is_disabled()
    context.set_offline(False)


def test_floor_view_follows_the_floor_live(page, context, server, edge, free_stock):
    sign_in(page, "4444")
    page.wait_for_function("window.floorscan.liveUp === true")
    go(page, "floor")
    page.wait_for_selector("#floor-open-exceptions")
    summary = edge.get(edge.base + "/floor").json()
    assert page.locator("#floor-open-pick_lists").inner_text() == str(summary["open"]["pick_lists"])
    row = free_stock.pop()
    pat = api_session(server, "1111")
    to = "A-01-02-1" if row["bin"] != "A-01-02-1" else "A-01-02-2"
    send(pat, "move", {"sku": row["sku"], "qty": 1, "from_bin": row["bin"], "to_bin": to})
    page.wait_for_selector(f"#floor-feed li[data-kind=move]:has-text('Pat Picker: move 1 × {row['sku']}')")
    pat_id = next(u["id"] for u in edge.get(edge.base + "/users").json()["items"] if u["name"] == "Pat Picker")
    page.wait_for_selector(f"#floor-people tr[data-user='{pat_id}']:has-text('moving stock')")
    people = {p["name"]: p for p in edge.get(edge.base + "/floor").json()["people"]}
    assert people["Pat Picker"]["last_type"] == "move" and people["Pat Picker"]["doing"] == "moving stock"
    assert_controls_ok(page, "floor")
    screenshot(page, "floor")
    context.set_offline(True)
    go(page, "home")
    go(page, "floor")
    page.wait_for_selector("#floor-at:has-text('Offline: as of')")
    context.set_offline(False)


def test_supervisor_screens_are_not_offered_to_a_picker(page):
    sign_in(page, "1111")
    tiles = page.locator(".tile").all_inner_texts()
    assert not any(t.startswith(("Exceptions", "Floor", "Dashboard", "Receive", "Count")) for t in tiles)
    page.evaluate("window.floorscan.go('exceptions')")  # typed into the address bar
    page.wait_for_selector("[data-screen=home]")


def test_floor_summary_is_for_supervisors_only(server):
    pat = api_session(server, "1111")
    r = pat.get(pat.base + "/floor")
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    assert "a picker may not GET /api/v1/floor" in r.json()["detail"]
    sam = api_session(server)
    r = sam.get(sam.base + "/floor", params={"hours": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.hours"


def tab_scan(page, code, per_key=0.004):
    cdp = page.context.new_cdp_session(page)
    t = time.time()
    for i, ch in enumerate(code):
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch, "timestamp": t + i * per_key})
    tab = {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9, "timestamp": t + len(code) * per_key}
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **tab})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **tab})


def test_settings_change_the_wedge_and_idle_sign_out_is_checked_without_waiting(page):
    sign_in(page, "1111")
    go(page, "settings")
    assert_controls_ok(page, "settings")
    page.fill("#set-avg", "0")
    page.click("#settings-save")
    page.wait_for_selector("#settings-note[data-kind=error]")
    assert page.locator("#set-avg-error").inner_text() == "avgGapMs must be a whole number from 5 to 100"
    page.fill("#set-avg", "")
    page.click("#set-enter")  # this scanner ends codes with Tab only
    page.fill("#set-gs", "~")
    page.fill("#set-idle", "1")
    page.click("#set-sound")
    screenshot(page, "settings")
    page.click("#settings-save")
    page.wait_for_selector("#settings-note[data-kind=ok]")
    saved = page.evaluate("JSON.parse(localStorage.getItem('floorscan.settings'))")
    assert saved["wedge"] == {"suffixes": ["Tab"]} and saved["gsSubstitute"] == "~"
    assert saved["idleMinutes"] == 1 and saved["sound"] is False

    go(page, "lookup")
    tab_scan(page, "A-01-01-1")
    page.wait_for_selector("#scan-log li[data-code='A-01-01-1']")
    scan(page, "A-01-01-2")  # Enter is no longer a suffix: not a scan
    assert page.evaluate("window.floorscan.scans.map(s => s.raw)") == ["A-01-01-1"]

    assert page.evaluate("window.floorscan.checkIdle(Date.now())") is False
    assert page.evaluate("window.floorscan.checkIdle(Date.now() + 61000)") is True
    page.wait_for_selector("[data-screen=signin]")
    assert "idle" in page.locator("#toast").inner_text()
    page.reload()
    page.wait_for_selector("[data-screen=signin]")


def _new_order(edge, order_id, lines):
    r = edge.post(edge.base + "/sales-orders", json={"id": order_id, "customer": "Test", "lines": lines})
    assert r.status_code == 201, r.text


def _empty_totes(edge):
    return [b["code"] for b in all_pages(edge, "/bins") if b["kind"] == "tote"
            and not edge.get(edge.base + "/stock", params={"bin": b["code"]}).json()["items"]]


def test_cluster_pick_puts_each_order_in_its_own_tote(page, edge, free_stock):
    pat = next(u["id"] for u in edge.get(edge.base + "/users").json()["items"] if u["name"] == "Pat Picker")
    a, b = free_stock.pop(), free_stock.pop()
    _new_order(edge, "SO-PWA-C1", [{"sku": a["sku"], "qty": 2}])
    _new_order(edge, "SO-PWA-C2", [{"sku": b["sku"], "qty": 1}])
    made = edge.post(edge.base + "/pick-lists", json={"order_ids": ["SO-PWA-C1", "SO-PWA-C2"], "kind": "cluster",
                                                      "assign_to": pat})
    assert made.status_code == 201, made.text
    [made_list] = made.json()["lists"]
    list_id = made_list["id"]
    detail = edge.get(f"{edge.base}/pick-lists/{list_id}").json()
    tote1, tote2 = _empty_totes(edge)[:2]
    sign_in(page, "1111")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "pick")
    page.click(f"#pick-list-{list_id}")
    page.wait_for_selector("#pick-prompt[data-stage=tote]")
    first_order = detail["orders"][0]["order_id"]
    assert f"Scan a tote for order {first_order} (slot 1)" == page.locator("#pick-prompt").inner_text()
    scan(page, tote1)
    page.wait_for_function("document.getElementById('pick-prompt').textContent.includes('slot 2')")
    scan(page, tote1)  # the same tote for the second order
    page.wait_for_selector("#pick-note[data-kind=error]")
    assert f"{tote1} already holds order {first_order}" in page.locator("#pick-note").inner_text()
    scan(page, tote2)
    page.wait_for_selector("#pick-prompt[data-stage=bin]")
    screenshot(page, "pick-cluster")
    by_sku = {a["sku"]: a, b["sku"]: b}
    for n, line in enumerate(detail["lines"]):
        page.wait_for_selector(f"#pick-bin:text-is('{line['bin']}')")
        expected_tote = tote1 if line["order_id"] == first_order else tote2
        assert f"into {expected_tote}" in page.locator("#pick-detail").inner_text()
        scan(page, line["bin"])
        for _ in range(int(line["remaining"])):
            scan(page, by_sku[line["sku"]]["barcode"])
        page.wait_for_selector(f"#pick-progress[data-done='{n + 1}']")
    page.wait_for_selector("#pick-prompt[data-stage=done]")
    wait_sent(page)
    orders = {o["order_id"]: o["tote"] for o in edge.get(f"{edge.base}/pick-lists/{list_id}").json()["orders"]}
    assert orders == {first_order: tote1, detail["orders"][1]["order_id"]: tote2}
    assert stock_qty(edge, tote1, a["sku"] if first_order == "SO-PWA-C1" else b["sku"]) > 0
    assert stock_qty(edge, tote2, b["sku"] if first_order == "SO-PWA-C1" else a["sku"]) > 0


def test_a_short_pick_in_the_browser_records_what_was_there(page, edge, free_stock):
    pat = next(u["id"] for u in edge.get(edge.base + "/users").json()["items"] if u["name"] == "Pat Picker")
    row = free_stock.pop()
    _new_order(edge, "SO-PWA-S1", [{"sku": row["sku"], "qty": 3}])
    [made] = edge.post(edge.base + "/pick-lists", json={"order_ids": ["SO-PWA-S1"], "assign_to": pat}).json()["lists"]
    list_id = made["id"]
    tote = _empty_totes(edge)[0]
    sign_in(page, "1111")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "pick")
    page.click(f"#pick-list-{list_id}")
    scan(page, tote)
    page.wait_for_selector("#pick-prompt[data-stage=bin]")
    line = edge.get(f"{edge.base}/pick-lists/{list_id}").json()["lines"][0]
    scan(page, line["bin"])
    scan(page, row["barcode"])  # only one of three is there
    page.wait_for_selector("#pick-prompt[data-stage=qty]")
    page.click("#pick-short")
    page.wait_for_selector("#pick-note[data-kind=warn]")
    assert "reported short: 1 found" in page.locator("#pick-note").inner_text()
    wait_sent(page)
    after = edge.get(f"{edge.base}/pick-lists/{list_id}").json()["lines"][0]
    assert after["picked_qty"] == 1 and after["status"] == "short"
    shorts = edge.get(edge.base + "/exceptions", params={"kind": "short_pick", "bin": line["bin"]}).json()["items"]
    assert any(e["sku"] == row["sku"] for e in shorts)


def test_the_status_bar_shows_the_newest_count_when_reads_overlap(page):
    """Two status renders overlap and the older read answers last: its stale
    count must not be what the picker sees."""
    sign_in(page)
    page.evaluate("""async () => {
        const outbox = window.floorscan.outbox;
        const real = outbox.count.bind(outbox);
        let calls = 0;
        outbox.count = async () => {
            calls += 1;
            if (calls === 1) {  // the first read is slow and stale
                await new Promise((r) => setTimeout(r, 300));
                return 3;
            }
            return real();
        };
        const first = window.floorscan.renderStatus();
        const second = window.floorscan.renderStatus();
        await Promise.all([first, second]);
        outbox.count = real;
    }""")
    assert page.locator("#pending").inner_text() == "All sent"


def test_the_status_bar_still_shows_the_connection_when_the_newest_read_fails(page):
    """The newest status render's outbox read fails (the device's storage), while
    an older one is still reading: the bar must show that the edge is now out of
    reach, with the last counts it knew, instead of staying as it was."""
    sign_in(page)
    assert page.locator("#conn").inner_text() == "Online"
    errors = page.evaluate("""async () => {
        const app = window.floorscan, outbox = app.outbox;
        const real = outbox.count.bind(outbox);
        let calls = 0;
        outbox.count = async () => {
            calls += 1;
            if (calls === 1) {  // slow, and stale by the time it answers
                await new Promise((r) => setTimeout(r, 300));
                return 3;
            }
            throw new Error("IndexedDB: the read failed");
        };
        outbox.reachable = false;  // the edge went out of reach meanwhile
        const first = app.renderStatus();
        const second = app.renderStatus();
        const outcomes = await Promise.allSettled([first, second]);
        outbox.count = real;
        return outcomes.filter((o) => o.status === "rejected").map((o) => String(o.reason));
    }""")
    assert errors == []
    assert page.locator("#conn").inner_text() == "No edge"
    assert page.locator("#pending").inner_text() == "All sent"



def test_a_lookup_whose_stock_read_is_refused_says_so_instead_of_throwing(page):
    """The session ends while a lookup is on its way (idle sign-out, a revoked
    token): the stock read comes back 401. That must end in a message, not in
    an error escaping the page (the page fixture fails on any). Seen in CI when
    the idle sign-out of the settings test overtook its last lookup."""
    sign_in(page, "1111")
    go(page, "lookup")
    page.evaluate("""async () => {
        const { ApiError } = await import(new URL("js/api.js", document.baseURI).href);
        window.floorscan.api.stock = async () => {
            throw new ApiError({ title: "Unauthorized", status: 401,
                                 detail: "send Authorization: Bearer <token> from POST /api/v1/session" });
        };
    }""")
    scan(page, "A-01-01-1")
    page.wait_for_selector("#lookup-result .message[data-kind=error]")
    assert "send Authorization" in page.locator("#lookup-result .message[data-kind=error]").inner_text()


def test_pick_lists_refused_say_so_instead_of_throwing(page):
    """The same for the pick screen's list of pick lists."""
    sign_in(page, "1111")
    page.evaluate("""async () => {
        const { ApiError } = await import(new URL("js/api.js", document.baseURI).href);
        const api = window.floorscan.api, real = api.get.bind(api);
        api.get = async (path, ...rest) => {
            if (path === "/pick-lists") throw new ApiError({ title: "Forbidden", status: 403, detail: "not yours" });
            return real(path, ...rest);
        };
    }""")
    go(page, "pick")
    page.wait_for_selector("#pick-error")
    assert page.locator("#pick-error").inner_text() == "not yours"
