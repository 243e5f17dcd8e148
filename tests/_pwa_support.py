"""Shared by the PWA browser tests: Chromium launch, a demo edge per module,
sign-in, wedge-speed scans, screenshots and the accessibility check.

Each test module calls require_chromium() first and imports the fixtures it
uses (pytest finds fixtures imported into a test module)."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from conftest import IN_CI, ROOT, LiveServer, assert_verified

CHROMIUM = os.environ.get("FLOORSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 360, "height": 640}
PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444", "admin": "9999"}


def require_chromium() -> None:
    """Skip the module without Chromium, except in CI, where that is a failure."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests. Install it with "
                        "`make system-deps` (apt-get install chromium).", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these tests",
                    allow_module_level=True)


# -- fixtures (module scope: one demo edge and one browser per test file) ---------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from edge.demo import build
    path = tmp_path_factory.mktemp("pwa") / "demo.db"
    # The edge's day is the UTC date (count schedule, expiry); date.today() is the machine's local one.
    build(path, seed=7, scale=0.1, echo=lambda _: None, today=datetime.now(timezone.utc).date())
    live = LiveServer(str(path)).start()
    yield live
    live.stop()
    assert_verified(str(path))


def api_session(server, pin="4444"):
    """requests against the edge as someone (the supervisor by default) to set up and check."""
    session = requests.Session()
    token = session.post(server.url + "/api/v1/session", json={"pin": pin}).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"
    session.base = server.url + "/api/v1"
    return session


@pytest.fixture(scope="module")
def edge(server):
    return api_session(server)


@pytest.fixture(scope="module")
def playwright():
    from playwright import sync_api
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser, server):
    ctx = browser.new_context(viewport=PHONE, base_url=server.url, service_workers="allow")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    # The machine this runs on may be shared and busy: waits are for selectors, so a
    # longer ceiling costs nothing when things are quick.
    page.set_default_timeout(45000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert errors == [], f"JavaScript errors on the page: {errors}"


# -- helpers ------------------------------------------------------------------------------------

def all_pages(edge, path, **params):
    out, after = [], None
    while True:
        query = {"limit": 1000, **params, **({"after": after} if after else {})}
        page = edge.get(edge.base + path, params=query).json()
        out += page["items"]
        after = page.get("next_after")
        if not after:
            return out


def open_app(page):
    page.goto("/app/")
    page.wait_for_selector("body[data-ready=true]")


def sign_in(page, pin="1111"):
    open_app(page)
    page.wait_for_selector("[data-screen=signin]")
    for digit in pin:
        page.get_by_role("button", name=f"Digit {digit}").click()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-screen=home]")


def scan(page, code, per_key=0.004, at=None):
    """Type a barcode the way a wedge scanner does: a burst of keys a few ms
    apart, then Enter. The keys carry the scanner's own timestamps, as real
    HID input does; Playwright's keyboard.type would stamp each key when the
    page got round to it, so any pause on the page's main thread would look
    like a slow scanner. ``at``: the scanner's time (time.time()) of the first
    key, for a burst on the scanner's own clock; now by default."""
    cdp = getattr(page, "_scanner", None)
    if cdp is None:
        cdp = page._scanner = page.context.new_cdp_session(page)
    t = time.time() if at is None else at
    for i, ch in enumerate(code):
        # keyDown only: the wedge reads keydown, and half the round trips keeps 20 scans/s easy.
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch, "timestamp": t + i * per_key})
    end = t + len(code) * per_key
    enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", "timestamp": end, **enter})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "timestamp": end + per_key / 2, **enter})


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function("document.getElementById('flash').className === 'flash'")
    page.screenshot(path=str(ARTIFACTS / f"pwa-{name}.png"))


def go(page, screen):
    """Open a screen from the home screen's tile (as a person would)."""
    page.evaluate(f"window.floorscan.go('{screen}')")
    page.wait_for_selector(f"[data-screen={screen}]")


CONTROLS = """() => [...document.querySelectorAll('button, a[href], input, select')]
            .filter(el => el.offsetParent !== null)
            .map(el => {
              const r = el.getBoundingClientRect();
              const label = el.id && document.querySelector(`label[for="${el.id}"]`);
              const name = el.getAttribute('aria-label') || el.textContent.trim() || el.placeholder
                           || (label && label.textContent.trim());
              return {tag: el.tagName, id: el.id, name, h: r.height, w: r.width};
            })
            .filter(c => !c.name || c.h < 48 || c.w < 48)"""


def assert_controls_ok(page, screen):
    """Every visible control has an accessible name and is at least 48 x 48 px."""
    assert page.evaluate(CONTROLS) == [], screen


def stock_qty(edge, bin_code, sku, lot=None):
    params = {"bin": bin_code, "sku": sku, **({"lot": lot} if lot else {})}
    rows = edge.get(edge.base + "/stock", params=params).json()["items"]
    return sum(r["qty"] for r in rows)


def wait_sent(page, timeout=45000):
    """Everything the screen recorded has reached the edge. Asks the outbox
    itself: a screen shows its feedback before the command is in IndexedDB, so
    the status bar's count alone can still say 0 for a command about to be added."""
    page.wait_for_function("window.floorscan.outbox.idle()", timeout=timeout, polling=100)
    page.wait_for_selector("#pending[data-count='0']", timeout=timeout)
