"""Needs attention, "Send again", in Chromium on the real IndexedDB store: the
command goes back to the outbox in one transaction (before, it was dismissed
first and added after, so a tab closed between the two lost it) and reaches the
edge once what it lacked is fixed."""
from __future__ import annotations

import uuid

import pytest

from _pwa_support import (  # noqa: F401  (fixtures are found by name)
    browser, context, edge, page, playwright, require_chromium, server, sign_in, stock_qty, wait_sent,
)
from test_pwa_browser import move_through_ui, stock_pool, take, target_for  # noqa: F401  (stock_pool: fixture)

pytestmark = pytest.mark.browser
require_chromium()


def test_send_again_after_the_stock_is_found(page, edge, stock_pool):
    short = take(stock_pool)
    to_bin = target_for(stock_pool, short)
    want = short["qty"] + 5
    sign_in(page)
    page.click("#tile-move")
    move_through_ui(page, short, to_bin, want)
    page.wait_for_selector("#move-results li[data-status=rejected]")
    page.click("#attention-link")
    page.wait_for_selector("#attention-list li.card")
    # The supervisor finds the missing 5 and books them.
    found = edge.post(edge.base + "/commands", json={"commands": [{
        "id": str(uuid.uuid4()), "type": "adjust", "at": "2026-11-28T02:00:00Z",
        "payload": {"sku": short["sku"], "bin": short["bin"], "delta": 5, "reason": "found"}}]}).json()
    assert found["results"][0]["status"] == "applied", found
    page.get_by_role("button", name="Send again:", exact=False).click()
    page.wait_for_selector("#attention-list li.empty")
    wait_sent(page)
    assert page.evaluate("window.floorscan.outbox.attention().then((a) => a.length)") == 0
    assert stock_qty(edge, short["bin"], short["sku"]) == 0
    assert stock_qty(edge, to_bin, short["sku"]) >= want
