"""The demo page in a real headless Chromium: one text as six bars, a batch as a table with a CSV download, and
API errors as readable messages. Chromium and chromedriver are Debian's (make install adds them where apt-get
runs as root); the screenshots land in logs/test-artifacts/ (or $TEST_ARTIFACTS)."""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from emotion.data.labels import EMOTIONS
from tests.conftest import ROOT
from tests.helpers.service import call, running_service

pytestmark = pytest.mark.slow  # a real browser

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "logs" / "test-artifacts"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1000,1300",
)


@pytest.fixture(scope="module")
def service(exported) -> str:
    with running_service(exported[0], "--max-texts", "4", "--max-chars", "100") as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "no system Chromium + chromedriver (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have them: make install installs them")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def wait_for(browser, condition, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda _: condition())


def visible(browser, element_id: str) -> bool:
    return browser.find_element("id", element_id).is_displayed()


def test_the_page_needs_nothing_from_outside(service: str) -> None:
    page = urllib.request.urlopen(f"{service}/", timeout=30).read().decode()
    assert "<textarea" in page and "/predict" in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page), "the page loads something from elsewhere"
    assert "@import" not in page and "url(" not in page


def test_one_text_shows_six_bars_and_the_top_emotion(browser, service: str) -> None:
    browser.get(f"{service}/")
    text = "i feel so happy and grateful today"
    browser.find_element("id", "text").send_keys(text)
    browser.find_element("id", "classify").click()
    wait_for(browser, lambda: visible(browser, "result"))
    bars = browser.find_elements("css selector", "#bars .bar")
    assert [bar.get_attribute("data-label") for bar in bars] == list(EMOTIONS)
    shown = {
        bar.get_attribute("data-label"): float(bar.find_element("class name", "value").text.rstrip("%")) for bar in bars
    }
    assert sum(shown.values()) == pytest.approx(100.0, abs=0.5)
    expected = call(f"{service}/predict", {"text": text})[1]["predictions"][0]
    assert browser.find_element("id", "top-label").text == expected["label"]
    for label, probability in expected["probabilities"].items():
        assert shown[label] == pytest.approx(100 * probability, abs=0.051)
    assert [b.get_attribute("data-label") for b in bars if "is-top" in b.get_attribute("class")] == [expected["label"]]
    assert not visible(browser, "busy") and not visible(browser, "error")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo_page_one_text.png"))


def classify_batch(browser, service: str, lines: str) -> list:
    """The page with `lines` in its batch box, classified: the table's rows."""
    browser.get(f"{service}/")
    browser.find_element("id", "texts").send_keys(lines)
    browser.find_element("id", "classify-batch").click()
    wait_for(browser, lambda: visible(browser, "batch-result"))
    return browser.find_elements("css selector", "#table tbody tr")


def test_a_batch_becomes_a_table_with_a_csv_download(browser, service: str) -> None:
    texts = ["i am so happy today", "this is terrifying", "i miss you so much", "what a surprise", "i am furious"]
    rows = classify_batch(browser, service, "\n".join(texts))  # 5 texts: two requests at --max-texts 4
    assert [row.find_elements("tag name", "td")[0].text for row in rows] == texts
    csv_text = browser.execute_async_script(
        "const done = arguments[0]; fetch(document.getElementById('download').href).then(r => r.text()).then(done);"
    )
    lines = csv_text.strip().split("\n")
    assert lines[0] == "text,label,score," + ",".join(f"p_{e}" for e in EMOTIONS)
    assert [line.split(",")[0] for line in lines[1:]] == texts
    labels = [p["label"] for p in call(f"{service}/predict", {"texts": texts[:4]})[1]["predictions"]]
    assert [row.find_elements("tag name", "td")[1].text for row in rows[:4]] == labels
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo_page_batch.png"))


def test_a_text_file_fills_the_batch_box(browser, service: str, tmp_path: Path) -> None:
    browser.get(f"{service}/")
    upload = tmp_path / "tweets.txt"
    upload.write_text("i feel great\nso scared right now\n")
    browser.find_element("id", "file").send_keys(str(upload))
    wait_for(browser, lambda: browser.find_element("id", "texts").get_attribute("value") == upload.read_text())
    browser.find_element("id", "classify-batch").click()
    wait_for(browser, lambda: len(browser.find_elements("css selector", "#table tbody tr")) == 2)


def test_api_errors_are_shown_and_the_page_stays_usable(browser, service: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{service}/")
    browser.find_element("id", "text").send_keys("x" * 101)  # the service allows 100 characters here
    browser.find_element("id", "classify").click()
    wait_for(browser, lambda: visible(browser, "error"))
    assert browser.find_element("id", "error").text == "Error: text 0: 101 characters; the limit is 100"
    assert not visible(browser, "busy") and browser.find_element("id", "classify").is_enabled()
    assert not visible(browser, "result")
    browser.save_screenshot(str(ARTIFACTS / "demo_page_error.png"))

    browser.find_element("id", "text").clear()
    browser.find_element("id", "classify").click()
    assert browser.find_element("id", "error").text == "Error: type a text first."
    browser.find_element("id", "text").send_keys("i feel fine now")
    browser.find_element("id", "classify").click()
    wait_for(browser, lambda: visible(browser, "result") and not visible(browser, "error"))


def test_markup_from_outside_is_shown_as_text_and_never_run(browser, service: str) -> None:
    markup = "<img src=x onerror=\"window.pwned = 1; document.title = 'pwned'\">"
    (row,) = classify_batch(browser, service, markup)
    assert row.find_elements("tag name", "td")[0].text == markup  # the literal text
    assert not browser.find_elements("css selector", "#table img")
    # Markup that reached the page anyway (a model folder's label, say) runs nothing: the policy allows only the
    # page's own script, so an inline handler is refused even when its element is in the document.
    browser.execute_script(
        "document.body.insertAdjacentHTML('beforeend', arguments[0]);", markup.replace("pwned", "injected")
    )
    wait_for(browser, lambda: browser.find_elements("css selector", "body > img"))
    browser.execute_async_script("setTimeout(arguments[0], 1000);")  # time for the image to fail and fire onerror
    assert browser.execute_script("return [window.pwned, window.injected];") == [None, None]
    assert "pwned" not in browser.title and "injected" not in browser.title


def test_a_model_whose_label_is_markup_shows_the_literal_name(browser, exported, tmp_path: Path) -> None:
    """Model folders are shared and downloaded: their `id2label` is a string from outside like any other."""
    model = tmp_path / "hostile-model"
    shutil.copytree(exported[0], model, ignore=shutil.ignore_patterns("*.onnx"))
    config = json.loads((model / "config.json").read_text())
    markup = "<img src=x onerror=\"window.pwned = 1; document.title = 'pwned'\">"
    config["id2label"]["2"] = markup
    config["label2id"] = {name: int(i) for i, name in config["id2label"].items()}
    (model / "config.json").write_text(json.dumps(config))
    labels = [config["id2label"][str(i)] for i in range(len(EMOTIONS))]
    with running_service(model) as base:
        assert call(f"{base}/health")[1]["labels"] == labels
        browser.get(f"{base}/")
        browser.find_element("id", "text").send_keys("i love you so much")
        browser.find_element("id", "classify").click()
        wait_for(browser, lambda: visible(browser, "result"))
        bars = browser.find_elements("css selector", "#bars .bar")
        assert [bar.get_attribute("data-label") for bar in bars] == labels
        assert markup in browser.find_element("id", "bars").text  # shown as its characters
        assert browser.find_element("id", "classes").text == ", ".join(labels)
        rows = classify_batch(browser, base, "i adore this\nso scared")
        header = [cell.text for cell in browser.find_elements("css selector", "#table thead th")]
        assert f"p_{markup}" in header and len(rows) == 2
        assert not browser.find_elements("css selector", "#bars img, #table img")
        browser.execute_async_script("setTimeout(arguments[0], 1000);")  # time for any image to fail
        assert browser.execute_script("return window.pwned;") is None and "pwned" not in browser.title
