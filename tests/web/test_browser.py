"""The console in a real browser (Playwright driving Debian's Chromium): sign in from a
one-time link, filter the table, open a check with its photo, add a site, create an
invite. Each page is saved as a screenshot in the test's temporary folder
(FIELDBOT_SCREENSHOTS=<folder> keeps them somewhere else, e.g. for CI artefacts)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving(app, port: int):
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("FIELDBOT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser_console(console):
    """The console served on loopback (its links point there) and a Chromium page."""
    from playwright.async_api import async_playwright

    from bot.web.app import create_app

    port = _free_port()
    config = console.config.with_values(web={"base_url": f"http://127.0.0.1:{port}"})
    console.config = config
    console.app = create_app(config, console.database)
    async with serving(console.app, port), async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.errors = errors
            yield console, page
        finally:
            await browser.close()


async def sign_in(console, page, who: str) -> None:
    await page.goto(await console.link(who))
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/overview" if who != "inspector" else "**/checks")


async def test_a_leader_signs_in_from_the_link_and_sees_the_dashboard_and_map(
    browser_console, screenshots, tg
):
    """The link comes from /web sent to the bot through the fake Telegram server."""
    from tests.telegram_harness import ADMIN
    from tests.web.conftest import chat_bot, link_from_chat

    console, page = browser_console
    async with chat_bot(tg, console):
        link = await link_from_chat(tg, ADMIN)
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/overview")
    rows = page.locator("#indicators tbody tr")
    assert await rows.count() == 8  # K1–K7 and coverage, as /summary
    assert "K3" in await page.locator("#indicators").inner_text()
    # Chartist drew the bars (an SVG per chart).
    await page.locator("#chart-years svg").wait_for()
    await page.screenshot(path=screenshots / "overview.png", full_page=True)
    await page.get_by_role("link", name="Bản đồ").first.click()
    await page.wait_for_load_state("load")
    assert not page.errors, page.errors
    await page.wait_for_function("document.getElementById('map').dataset.ready !== undefined")
    assert not page.errors, page.errors
    legend = await page.locator("#map-legend").inner_text()
    assert "Đạt yêu cầu: 1" in legend and "Chưa đạt: 2" in legend
    await page.screenshot(path=screenshots / "map.png", full_page=True)
    await page.get_by_role("link", name="English").click()
    assert "Not compliant: 2" in await page.locator("#map-legend").inner_text()
    await page.get_by_role("link", name="Deadlines").click()
    await page.locator("#deadlines").wait_for()
    await page.screenshot(path=screenshots / "deadlines.png", full_page=True)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/signed-out")
    await page.goto(page.url.replace("/signed-out", "/overview"))
    assert "not signed in" in await page.locator("#reason").inner_text()


async def test_a_head_filters_the_table_opens_a_check_with_its_photo_and_approves_it(
    browser_console, screenshots, tg
):
    """The approval reaches the inspector in the chat: the bot polling the fake Telegram
    server delivers the message the decision queued."""
    from tests.telegram_harness import INSPECTOR, Phone
    from tests.web.conftest import chat_bot

    console, page = browser_console
    await sign_in(console, page, "head")
    await page.get_by_role("link", name="Phiếu kiểm tra").first.click()
    assert "2 phiếu" in await page.locator("#checks-count").inner_text()
    await page.get_by_label("Cơ sở").fill("xxxx-no-such-site")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_function(
        "document.getElementById('checks-count').innerText.includes('0 phiếu')"
    )
    await page.get_by_label("Cơ sở").fill("")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_function(
        "document.getElementById('checks-count').innerText.includes('2 phiếu')"
    )
    await page.screenshot(path=screenshots / "checks.png", full_page=True)
    # The oldest check has the photo: sort by date ascending and open the first row.
    await page.get_by_role("link", name="Ngày nộp").click()
    await page.wait_for_function("location.search.includes('sort=')")
    await page.locator("table.checks tbody tr a").first.click()
    await page.locator("#answers").wait_for()
    assert "Quầy thu ngân dùng túi giấy" in await page.locator("#answers").inner_text()
    photo = page.locator(".photos img").first
    await photo.wait_for()
    loaded = await photo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert loaded, "the photo did not load"
    assert await page.locator("#review-state").inner_text() == "Chờ duyệt"
    await page.screenshot(path=screenshots / "check.png", full_page=True)
    async with chat_bot(tg, console):
        await page.locator("#review-decision").get_by_role("button", name="Duyệt").click()
        await page.locator("#review-notice").wait_for()
        assert "Đã duyệt phiếu" in await page.locator("#review-notice").inner_text()
        assert await page.locator("#review-state").inner_text() == "Đã duyệt"
        assert await page.locator("#review-decision").count() == 0
        told = await Phone(tg, INSPECTOR).expect("đã được duyệt")
        assert told.text.startswith("Phiếu #")
    await page.screenshot(path=screenshots / "check-approved.png", full_page=True)
    # The table shows the state, and its filter finds the approved check.
    await page.get_by_role("link", name="Phiếu kiểm tra").first.click()
    await page.locator("#check-filters select[name=review]").select_option("approved")
    await page.wait_for_function(
        "document.getElementById('checks-count').innerText.includes('1 phiếu')"
    )
    assert "Đã duyệt" in await page.locator("table.checks tbody").inner_text()
    assert not page.errors, page.errors


async def test_an_admin_adds_a_site_and_creates_an_invite(browser_console, screenshots):
    console, page = browser_console
    await sign_in(console, page, "admin")
    await page.get_by_role("link", name="Cơ sở").first.click()
    await page.locator("#add-site summary").click()
    await page.get_by_label("Mã").fill("SM-WEB-01")
    await page.get_by_label("Tên cơ sở").fill("Siêu thị Thử Nghiệm")
    await page.get_by_label("Xã, phường").fill("Phường Cẩm Thành")
    await page.get_by_label("Vĩ độ").fill("15.12")
    await page.get_by_label("Kinh độ").fill("108.80")
    await page.locator("#add-site").get_by_role("button", name="Lưu").click()
    await page.locator("#done").wait_for()
    assert "Siêu thị Thử Nghiệm" in await page.locator("#sites").inner_text()
    await page.screenshot(path=screenshots / "sites.png", full_page=True)
    await page.get_by_role("link", name="Người dùng").first.click()
    await page.locator("#new-invite summary").click()
    await page.locator("#new-invite select[name=role]").select_option("inspector")
    await page.locator("#new-invite select[name=department]").select_option("QLTM")
    await page.locator("#new-invite").get_by_role("button", name="Tạo mã mời").click()
    code = (await page.locator("#invite-code").inner_text()).strip()
    assert len(code) == 10
    assert await page.locator("#invite-qr svg").count() == 1
    await page.screenshot(path=screenshots / "people.png", full_page=True)
    # A phone-sized screen shows the same page without sideways scrolling of the body.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(page.url.replace("/people/invite", "/checks"))
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
    await page.screenshot(path=screenshots / "checks-phone.png", full_page=True)
    if os.environ.get("FIELDBOT_DOCS_SCREENSHOT"):
        shutil.copy(screenshots / "overview.png", os.environ["FIELDBOT_DOCS_SCREENSHOT"])
