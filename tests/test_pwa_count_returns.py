"""Blind counts and customer returns in the handheld PWA: real Chromium against
a real edge on the demo warehouse (see tests/_pwa_support.py)."""
from __future__ import annotations

import pytest

from _pwa_support import (  # noqa: F401  (fixtures are found by name)
    assert_controls_ok, browser, context, edge, go, page, playwright, require_chromium, scan, screenshot, server,
    sign_in, stock_qty, wait_sent,
)

pytestmark = pytest.mark.browser
require_chromium()


def users(edge):
    return {u["name"]: u["id"] for u in edge.get(edge.base + "/users").json()["items"]}


def test_a_blind_count_never_shows_the_expected_quantity(page, edge):
    task = edge.get(edge.base + "/count-tasks/5").json()  # the demo's bin count assigned to Cody
    [b] = task["bins"]
    held = {r["sku"]: r["qty"] for r in edge.get(edge.base + "/stock", params={"bin": b["bin"]}).json()["items"]}
    sign_in(page, "3333")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "count")
    page.wait_for_selector("#count-task-5")
    assert_controls_ok(page, "count-tasks")
    screenshot(page, "count-tasks")
    page.click("#count-task-5")
    page.wait_for_selector("#count-prompt[data-stage=bin]")
    assert page.locator("#count-bin").inner_text() == b["bin"]
    scan(page, "A-01-01-1")
    page.wait_for_selector("#count-note[data-kind=error]")
    assert "bin A-01-01-1 is not part of count task 5" in page.locator("#count-note").inner_text()
    scan(page, b["bin"])
    page.wait_for_selector("#count-prompt[data-stage=items]")
    first = b["look_for"][0]
    each = next(c["code"] for c in first["barcodes"] if c["pack_qty"] == 1)
    scan(page, each)
    page.wait_for_function(f"document.querySelector(\"[data-sku='{first['sku']}'] input\").value === '1'")
    for look in b["look_for"]:  # type what is there, as a counter does for loose pieces
        page.get_by_role("spinbutton", name=f"Counted {look['sku']}").fill(str(int(held.get(look["sku"], 0))))
    # Blind: nothing on the device carries the records' figure.
    cached = page.evaluate("window.floorscan.store.cacheGet('count:task:5')")
    assert all("qty" not in look and "expected" not in look for bb in cached["bins"] for look in bb["look_for"])
    assert_controls_ok(page, "count-bin")
    screenshot(page, "count-bin")
    page.click("#count-send")
    page.wait_for_selector("#count-prompt[data-stage=done]")
    wait_sent(page)
    review = edge.get(edge.base + "/count-tasks/5/review").json()
    assert {l["sku"]: l["status"] for l in review["lines"]} == {look["sku"]: "matched" for look in b["look_for"]}


def test_new_counts_arrive_live_an_offline_count_is_sent_and_its_recount_shows_up(page, context, edge):
    ids = users(edge)
    bin_code = next(r["bin"] for r in edge.get(edge.base + "/stock", params={"limit": 400}).json()["items"]
                    if r["bin"].startswith("A-02") and r["reserved"] == 0)
    sign_in(page, "3333")
    page.wait_for_function("window.floorscan.catalog.size > 0 && window.floorscan.liveUp === true")
    go(page, "count")
    page.wait_for_selector("#count-tasks, #count-none")
    page.wait_for_load_state("networkidle")
    made = edge.post(edge.base + "/count-tasks", json={"kind": "bin", "bins": [bin_code],
                                                        "assigned_to": ids["Cody Counter"]}).json()
    page.wait_for_selector(f"#count-task-{made['id']}")  # count.requested / task.assigned: no reload
    page.click(f"#count-task-{made['id']}")
    page.wait_for_selector("#count-prompt[data-stage=bin]")
    wait_sent(page)  # the claim (count.start) went online
    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]")
    scan(page, bin_code)
    page.wait_for_selector("#count-prompt[data-stage=items]")
    page.click("#count-send")  # nothing found: every listed item goes as 0
    page.wait_for_selector("#count-prompt[data-stage=done]")
    page.wait_for_selector("#pending[data-count='1']")
    queued = page.evaluate("window.floorscan.outbox.pending()")
    assert [c["type"] for c in queued] == ["count"] and queued[0]["replay"] is True
    context.set_offline(False)
    wait_sent(page)
    review = edge.get(f"{edge.base}/count-tasks/{made['id']}/review").json()
    assert {l["status"] for l in review["lines"]} == {"recount"}
    recount = next(t for t in edge.get(edge.base + "/count-tasks", params={"kind": "recount"}).json()["items"]
                   if t["recount_of"] == made["id"])
    # Cody may not recount his own count; the supervisor's list shows it.
    go(page, "home")
    go(page, "count")
    page.wait_for_selector("#count-tasks")
    assert page.locator(f"#count-task-{recount['id']}").count() == 0
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("[data-screen=signin]")
    sign_in(page, "4444")
    go(page, "count")
    page.wait_for_selector(f"#count-task-{recount['id']}[data-kind=recount]")


def test_book_a_return_and_decide_restock_and_quarantine(page, edge):
    sign_in(page, "2222")
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "returns")
    page.wait_for_selector("#return-RET-DEMO-1")
    assert_controls_ok(page, "returns")
    screenshot(page, "returns")
    page.click("#returns-book")
    scan(page, "9506000000442")
    page.wait_for_selector("#returns-prompt[data-stage=reason]")
    page.click("#returns-reason-unwanted")
    page.wait_for_selector("#returns-prompt[data-stage=bin]")
    assert_controls_ok(page, "returns-book")
    screenshot(page, "returns-book")
    scan(page, "A-01-01-1")
    page.wait_for_selector("#returns-note[data-kind=error]")
    assert "customer returns go into a returns bin" in page.locator("#returns-note").inner_text()
    scan(page, "D-RET-01")
    page.wait_for_selector("#returns-id")
    rid = page.locator("#returns-id").inner_text().removeprefix("Return ")
    wait_sent(page)
    booked = edge.get(f"{edge.base}/returns/{rid}").json()
    assert [(l["sku"], l["qty"], l["reason"]) for l in booked["lines"]] == [("SKU-100044", 1, "unwanted")]

    page.click("#returns-done")
    page.click("#return-RET-DEMO-1")
    page.wait_for_selector("#returns-lines li.card")
    assert page.locator("[id^=returns-scrapit]").count() == 0  # a receiver may not scrap
    assert_controls_ok(page, "returns-decide")
    ret = edge.get(edge.base + "/returns/RET-DEMO-1").json()
    one, two = ret["lines"]
    before = stock_qty(edge, one["suggested_bin"], one["sku"])
    quarantined = stock_qty(edge, "D-QUAR-01", two["sku"])
    page.click("#returns-restock-1")
    page.wait_for_selector("#returns-prompt[data-stage=bin]")
    scan(page, "D-STAGE-01")
    page.wait_for_selector("#returns-note[data-kind=error]")
    assert "restock into a storage or pick-face bin" in page.locator("#returns-note").inner_text()
    scan(page, one["suggested_bin"])
    page.wait_for_selector("#returns-lines li.card[data-line='2']")
    screenshot(page, "returns-decide")
    page.click("#returns-quarantine-2")
    page.wait_for_selector("#returns-decided")
    wait_sent(page)
    assert stock_qty(edge, one["suggested_bin"], one["sku"]) == before + one["awaiting"]
    assert stock_qty(edge, "D-QUAR-01", two["sku"]) == quarantined + two["awaiting"]
    assert edge.get(edge.base + "/returns/RET-DEMO-1").json()["status"] == "closed"


def test_a_counter_scraps_a_returned_line_offline(page, context, edge):
    sign_in(page, "3333")
    go(page, "returns")
    page.click("#return-RET-DEMO-2")
    page.wait_for_selector("#returns-lines li.card")
    [line] = edge.get(edge.base + "/returns/RET-DEMO-2").json()["lines"]
    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]")
    page.click(f"#returns-scrapit-{line['line_no']}")
    page.wait_for_selector("#returns-prompt[data-stage=scrap]")
    page.click("#returns-scrap-defective")
    page.wait_for_selector("#returns-decided")
    page.wait_for_selector("#pending[data-count='1']")
    context.set_offline(False)
    wait_sent(page)
    after = edge.get(edge.base + "/returns/RET-DEMO-2").json()
    assert after["status"] == "closed"
    assert [d["action"] for d in after["lines"][0]["dispositions"]] == ["scrap"]
