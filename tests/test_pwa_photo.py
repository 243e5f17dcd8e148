""""Scan from photo" on the look-up screen, in real Chromium against a real edge:
the photo goes to POST /api/v1/decode and every code in it is handled like a scan.
In CI (CI=true) a missing Chromium fails this test instead of skipping it."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from _decode_support import LABELS, encode, label, place, scene
from conftest import IN_CI, LiveServer, add_users, make_bin, make_item

CHROMIUM = os.environ.get("FLOORSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if IN_CI:
        pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests. Install it with "
                    "`make system-deps` (apt-get install chromium).", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these tests",
                allow_module_level=True)

from playwright import sync_api  # noqa: E402  (a dev dependency; after the chromium check)

EAN = LABELS["ean13"][1]


@pytest.fixture
def server(app, db_path):
    add_users(app)
    make_bin(app, "A-01", zone="A")
    make_item(app, "BOLT", barcodes=[(EAN, 1)], description="Hex bolt M8")
    live = LiveServer(db_path).start()
    yield live
    live.stop()


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=server.url)
        page = context.new_page()
        page.set_default_timeout(45000)  # a busy machine is slow, not wrong (as tests/_pwa_support.py)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


def choose_photo(page, **file):
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Scan from photo").click()
    assert chooser.value.element.get_attribute("capture") == "environment"
    chooser.value.set_files(file)


def test_scan_from_photo_reads_every_code_like_a_scan(page, tmp_path):
    page.goto("/app/")
    page.wait_for_selector("[data-screen=signin]")
    for digit in "1111":
        page.get_by_role("button", name=f"Digit {digit}").click()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-screen=home]")
    page.click("#tile-lookup")
    page.wait_for_selector("[data-screen=lookup]")
    assert page.locator("#photo-input").get_attribute("accept") == "image/*"

    rng = np.random.default_rng(4)
    frame, _ = place(scene((1280, 720), rng), label("gs1-datamatrix"), rng, at=(700, 200))
    frame, _ = place(frame, label("ean13"), rng, at=(100, 300))
    choose_photo(page, name="shelf.jpg", mimeType="image/jpeg", buffer=encode(frame, ".jpg"))
    page.wait_for_selector("#photo-message[data-kind=ok]")
    assert page.locator("#photo-message").inner_text() == "2 codes found in the photo"
    codes = page.locator("#scan-log li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert sorted(codes) == sorted(["]E0" + EAN, "]d2" + LABELS["gs1-datamatrix"][1]])
    kinds = page.locator("#scan-log li").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert "invalid" not in kinds

    # Only the EAN-13 now: the card shows the item as the edge knows it.
    frame, _ = place(scene((1280, 720), rng), label("ean13"), rng, at=(300, 300))
    choose_photo(page, name="carton.png", mimeType="image/png", buffer=encode(frame, ".png"))
    page.wait_for_function("document.querySelector('#photo-message').textContent === '1 code found in the photo'")
    page.wait_for_selector("#lookup-kind[data-kind=item]")
    assert page.locator("#lookup-kind").inner_text() == "BOLT"

    # What the edge refuses is said on the screen, with its reason.
    choose_photo(page, name="invoice.jpg", mimeType="image/jpeg", buffer=b"%PDF-1.7\n1 0 obj\n")
    page.wait_for_selector("#photo-message[data-kind=error]")
    assert "Unsupported media type" in page.locator("#photo-message").inner_text()
    choose_photo(page, name="floor.jpg", mimeType="image/jpeg", buffer=encode(scene((640, 480), rng), ".jpg"))
    page.wait_for_function("document.querySelector('#photo-message').textContent.startsWith('No barcode found')")
    assert page.locator("#scan-log li").count() == 3
