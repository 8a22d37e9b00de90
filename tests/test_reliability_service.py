"""The HTTP service: no request gives a 500 (fuzzed with arbitrary JSON and Unicode), big bodies are refused before
they are parsed, and a body that is not JSON gets 415."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotion.inference import Predictor
from emotion.serving.app import create_app

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["text", "texts", "x"]) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client(exported) -> TestClient:
    return TestClient(create_app(Predictor(exported[0]), max_texts=4, max_chars=100), raise_server_exceptions=False)


@FUZZ
@given(body=JSON)
def test_arbitrary_json_never_gives_a_500(client: TestClient, body) -> None:
    response = client.post("/predict", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code in (200, 413, 422), response.text
    assert "detail" in response.json() or "predictions" in response.json()


@FUZZ
@given(texts=st.lists(st.text(max_size=120), min_size=1, max_size=5))
def test_arbitrary_unicode_never_gives_a_500(client: TestClient, texts: list[str]) -> None:
    body = json.dumps({"texts": texts}).encode()  # json.dumps escapes lone surrogates as \ud800 etc.
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 413, 422), response.text
    if response.status_code == 200:
        assert [p["text"] for p in response.json()["predictions"]] == texts


def test_texts_that_are_not_text_are_refused(client: TestClient) -> None:
    for text, detail in [
        ("\ud800", "text 0: not valid Unicode (a lone surrogate)"),
        ("a\x00b", "text 0: not text (contains a NUL byte)"),
        ("  ", "text 0: empty text"),
    ]:
        response = client.post(
            "/predict", content=json.dumps({"text": text}), headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.json()["detail"]) == (422, detail)


def test_a_body_that_is_not_json_gets_415(client: TestClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        response = client.post("/predict", content=b'{"text": "hi"}', headers=headers)
        assert response.status_code == 415
        assert response.json()["detail"].startswith("expected a JSON body (content-type: application/json), got")
    ok = client.post("/predict", content=b'{"text": "hi"}', headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_a_big_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    # 20 MB that is not even JSON: 413 (the size), not 422 (the parse), so nothing parsed it.
    response = client.post("/predict", content=b"{" * 20_000_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("request body of 20000000 bytes; the limit is")

    def chunks():  # no Content-Length: the stream is cut off once it passes the limit
        for _ in range(1000):
            yield b"{" * 10_000

    response = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["detail"].startswith("request body over")


def test_the_page_may_run_only_its_own_code(client: TestClient) -> None:
    response = client.get("/")
    page, policy = response.text, response.headers["content-security-policy"]
    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))
    assert directives["default-src"] == "'none'" and "unsafe" not in policy
    for tag in ("script", "style"):  # the page's own blocks, by hash: nothing injected beside them runs
        (block,) = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert (
            directives[f"{tag}-src"] == f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        )
    assert directives["connect-src"] == "'self' blob:" and directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Strings reach the page as text: no markup is built from them, no handler or style sits in the markup.
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page
    assert not re.search(r"<[^>]+\s(on\w+|style)\s*=", page)
