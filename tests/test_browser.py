"""The chat as staff use it: headless Chromium asks, follows a citation, likes the answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ui_client import SEED, SEED_SOURCE, serve_sample

from assistant.feedback import FeedbackStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCREENSHOT = Path(__file__).resolve().parent.parent / "artifacts" / "ui-chat.png"
ANSWER_TIMEOUT_MS = 240_000  # first question on a busy 2-core machine


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    url, assistant, demo = serve_sample(tmp_path_factory.mktemp("browser-data"))
    yield url, assistant
    demo.close()


@pytest.fixture()
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        browser.close()


def wait_for_rows(store: FeedbackStore, count: int, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = store.rows()
        if len(rows) >= count:
            return rows
        time.sleep(0.25)
    return store.rows()


@pytest.mark.slow
@pytest.mark.browser
def test_ask_follow_citation_and_like(app: tuple[str, Any], page: Any) -> None:
    url, assistant = app
    page.goto(url)
    backend = page.locator("#upr-backend")
    if backend.count():  # shown only when more than one backend is usable here
        page.get_by_text("Bộ lọc và cách trả lời").click()
        backend.locator("input").click()
        page.get_by_role("option", name="Trích nguyên câu từ nguồn (nhanh)").click()

    page.locator("#upr-question textarea").fill(SEED)
    page.locator("#upr-send").click()
    marker = page.locator("#upr-chat a.cite").first
    marker.wait_for(timeout=ANSWER_TIMEOUT_MS)
    answer = page.locator("#upr-chat .upr-answer").last
    assert "241" in answer.inner_text()

    marker.click()
    source = page.locator(f"#{marker.get_attribute('href').lstrip('#')}")
    assert source.evaluate("el => el.open") is True
    quote = source.locator("mark")
    assert quote.is_visible() and quote.inner_text().strip()
    assert SEED_SOURCE in page.locator("#upr-sources").inner_text()

    page.locator("#upr-comment textarea").fill("kiểm thử trình duyệt")
    page.locator("#upr-chat button[aria-label='Like']").last.click()
    rows = wait_for_rows(FeedbackStore(assistant.settings.data_dir / "feedback.sqlite"), 1)
    assert len(rows) == 1, "the like was not stored"
    row = rows[0]
    assert (row["question"], row["rating"], row["comment"]) == (SEED, 1, "kiểm thử trình duyệt")
    assert any(s["source"] == SEED_SOURCE for s in row["sources"])
    assert row["fingerprint"]["documents"] >= 1

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let the "thank you" toast settle
    page.screenshot(path=str(SCREENSHOT))
