"""The supervisor dashboard in real Chromium against a real edge (`floorscan serve`).

It renders, updates live when a movement is posted (Socket.IO hint, REST
refresh: no reload), fits desktop and tablet widths, keeps a big report table
virtual, and previews labels. Screenshots go to test-artifacts/dashboard-*.png.
In CI (CI=true) a missing /usr/bin/chromium fails these tests.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from conftest import IN_CI, ROOT, LiveServer, assert_verified

CHROMIUM = os.environ.get("FLOORSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if IN_CI:
        pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (apt-get install chromium).",
                    pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these tests",
                allow_module_level=True)

from playwright import sync_api  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from edge.demo import build
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    build(path, seed=11, scale=0.1, echo=lambda _: None)
    live = LiveServer(str(path)).start()
    yield live
    live.stop()
    assert_verified(str(path))


@pytest.fixture(scope="module")
def edge(server):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + s.post(server.url + "/api/v1/session", json={"pin": "4444"}).json()["token"]
    s.base = server.url + "/api/v1"
    return s


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def new_page(browser, server, viewport):
    context = browser.new_context(viewport=viewport, base_url=server.url)
    page = context.new_page()
    # The machine may be shared and busy: waits are for conditions, so a long ceiling costs nothing.
    page.set_default_timeout(45000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return context, page


@pytest.fixture
def desktop(browser, server):
    context, page = new_page(browser, server, DESKTOP)
    yield page
    assert page.errors == [], f"JavaScript errors on the page: {page.errors}"
    context.close()


def sign_in(page, pin="4444"):
    page.goto("/dashboard/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#pin", pin)
    page.click("#signin-form button[type=submit]")


def wait_for_board(page):
    page.wait_for_selector("#board:not([hidden])")
    page.wait_for_function("document.querySelector('[data-kpi=receipts]').textContent !== '–'")
    page.wait_for_selector("#live[data-state=on]")


def kpi(page, name) -> int:
    return int(page.text_content(f"[data-kpi={name}]").replace(",", "").strip())


def movable(edge):
    """A stock row of an untracked item in a storage bin, and another storage bin."""
    items = {i["sku"]: i for i in edge.get(edge.base + "/items", params={"limit": 1000}).json()["items"]}
    bins = {b["code"]: b for b in edge.get(edge.base + "/bins", params={"limit": 1000}).json()["items"]}
    for row in edge.get(edge.base + "/stock", params={"limit": 1000}).json()["items"]:
        if (items[row["sku"]]["tracking"] == "none" and bins[row["bin"]]["kind"] == "storage"
                and row["qty"] - row["reserved"] >= 2):  # two: a second try may need it
            target = next(c for c, b in bins.items() if b["kind"] == "storage" and c != row["bin"])
            return row, target
    raise AssertionError("the demo has no stock to move")


def _utc_hour() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H")


def test_renders_and_updates_live_when_a_movement_is_posted(desktop, edge):
    sign_in(desktop)
    wait_for_board(desktop)
    assert desktop.locator("#chart-movements canvas").count() == 1
    row, target = movable(edge)
    # "Movements this hour" starts again from 0 at the top of each hour (UTC): if the hour
    # turns between reading the figure and the page's refresh, try once more in the new hour.
    for attempt in (1, 2):
        hour = _utc_hour()
        before = kpi(desktop, "moves-hour")
        cmd = {"id": str(uuid.uuid4()), "type": "move", "at": "2026-11-27T08:00:00Z",
               "payload": {"sku": row["sku"], "qty": 1, "from_bin": row["bin"], "to_bin": target}}
        r = edge.post(edge.base + "/commands", json={"commands": [cmd]})
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
        # No reload: the Socket.IO hint makes the page fetch the figures again.
        try:
            desktop.wait_for_function(f"Number(document.querySelector('[data-kpi=\"moves-hour\"]').textContent"
                                      f".replace(/\\D/g, '')) === {before + 1}")
            break
        except sync_api.TimeoutError:
            if attempt == 2 or _utc_hour() == hour:
                raise
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)


def test_tablet_layout_fits_without_sideways_scrolling(browser, server):
    context, page = new_page(browser, server, TABLET)
    try:
        sign_in(page)
        wait_for_board(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-tablet.png"), full_page=True)
        assert page.errors == []
    finally:
        context.close()


def test_report_table_is_virtual(desktop):
    sign_in(desktop)
    wait_for_board(desktop)
    desktop.wait_for_function("document.querySelectorAll('#report-name option').length > 1")
    desktop.select_option("#report-name", "stock")
    desktop.wait_for_function("/rows/.test(document.getElementById('report-count').textContent)")
    total = int(desktop.text_content("#report-count").split(" of ")[1].split()[0].replace(",", ""))
    in_dom = desktop.locator("#report-table .row").count()
    assert total > 60 and 0 < in_dom < 60, (total, in_dom)
    desktop.fill("#report-filter", "zzz-no-such-thing")
    desktop.wait_for_function("document.getElementById('report-count').textContent.startsWith('0 of')")


def test_label_preview(desktop, edge):
    sign_in(desktop)
    wait_for_board(desktop)
    code = edge.get(edge.base + "/bins", params={"limit": 5}).json()["items"][0]["code"]
    desktop.fill("#label-form [name=codes]", code)
    desktop.check("#label-form [name=qr]")
    desktop.click("#label-form button[type=submit]")
    desktop.wait_for_selector("#label-preview img")
    desktop.wait_for_function("document.querySelector('#label-preview img').naturalWidth === 812")
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.locator("#labels").screenshot(path=str(ARTIFACTS / "dashboard-labels.png"))
    desktop.fill("#label-form [name=codes]", "NO-SUCH-BIN")
    desktop.click("#label-form button[type=submit]")
    desktop.wait_for_function("document.getElementById('label-error').textContent.includes('no bin NO-SUCH-BIN')")


def test_floor_roles_and_wrong_pins_are_refused(desktop):
    sign_in(desktop, "1111")  # the picker
    desktop.wait_for_function("document.getElementById('signin-error').textContent.includes('supervisors and admins')")
    sign_in(desktop, "0000")
    desktop.wait_for_function("document.getElementById('signin-error').textContent.includes('wrong PIN')")
    assert desktop.is_hidden("#board")


def test_100k_row_report_stays_virtual_and_scrolls_to_the_end(desktop):
    """A report of 100,000 rows (served by a route that stands in for a big site's
    stock report) keeps a few dozen rows in the DOM and still reaches the last one."""
    import json
    rows = [{"bin": f"A-{i // 50:04d}", "sku": f"SKU-{i:06d}", "qty": i % 97} for i in range(100_000)]
    body = json.dumps({"report": "stock", "as_of": "2026-11-27", "count": len(rows), "rows": rows})
    desktop.route("**/api/v1/reports/stock?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=body))
    sign_in(desktop)
    wait_for_board(desktop)
    desktop.wait_for_function("document.querySelectorAll('#report-name option').length > 1")
    desktop.select_option("#report-name", "stock")
    desktop.wait_for_function("document.getElementById('report-count').textContent.startsWith('100,000 of 100,000')")
    assert desktop.locator("#report-table .row").count() < 60
    desktop.eval_on_selector("#report-table", "el => { el.scrollTop = el.scrollHeight; }")
    desktop.wait_for_function("[...document.querySelectorAll('#report-table .row .cell')]"
                              ".some(c => c.textContent === 'SKU-099999')")
    assert desktop.locator("#report-table .row").count() < 60
    desktop.fill("#report-filter", "SKU-09999")
    desktop.wait_for_function("document.getElementById('report-count').textContent.startsWith('10 of')")


def test_tile_drills_down_to_its_report(desktop):
    sign_in(desktop)
    wait_for_board(desktop)
    desktop.wait_for_function("document.querySelectorAll('#report-name option').length > 1")
    desktop.click("#tile-receipts")
    desktop.wait_for_function("document.getElementById('report-name').value === 'receiving'")
    desktop.wait_for_function("/ rows/.test(document.getElementById('report-count').textContent)")
