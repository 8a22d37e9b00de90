"""The HTTP service: the demo page at `/`, `POST /predict` for one text or a batch, `GET /health`.

The page is one hand-written HTML file (page.html: inline style and script, system fonts), so it works with no
internet and adds no dependency; it calls the same JSON API as any other client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from emotion.data.texts import text_problem
from emotion.inference.predictor import Predictor


class PredictRequest(BaseModel):
    text: str | None = None
    texts: list[str] | None = None


class RequestGuard:
    """ASGI middleware for POST bodies, applied before anything parses them: a body that does not say it is JSON
    gets 415, and one longer than `max_bytes` gets 413 (from its Content-Length, or once the stream passes it)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return await _reply(
                send,
                415,
                f"expected a JSON body (content-type: application/json), got {content_type or 'no content type'!r}",
            )
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return await _reply(send, 413, f"request body of {int(length)} bytes; the limit is {self.max_bytes}")
        received = 0
        refused = False

        async def limited_receive() -> dict:
            """Passes the body through until it is too long; then answers 413 and tells the app the client left."""
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                refused = True
                await _reply(send, 413, f"request body over {self.max_bytes} bytes")
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            if not refused:  # after a 413 the app's own answer to the "disconnect" is dropped
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _reply(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def content_security_policy(page: str) -> str:
    """What the demo page may load and run: its own inline script and style (by their hashes), calls to this
    service, nothing else; a string from a model folder or a request that reached the page as markup would run
    nothing."""

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)

    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; connect-src 'self' blob:; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def create_app(predictor: Predictor, max_texts: int = 64, max_chars: int = 2000) -> FastAPI:
    """Limits answer 413 (too many, too long, too big a body), 415 (not JSON) and 422 (missing, empty or not
    text), each with a message saying which; no input gives a 500."""
    app = FastAPI(title="emotion", description="Classes: " + ", ".join(predictor.labels))
    # Worst case of an allowed body: every character escaped as \\uXXXX, plus the JSON around the texts.
    app.add_middleware(RequestGuard, max_bytes=max_texts * (6 * max_chars + 16) + 1024)
    page = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
    page_headers = {"Content-Security-Policy": content_security_policy(page), "X-Content-Type-Options": "nosniff"}

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        """Where and what, without echoing the input (which may not even serialize back: Infinity, NaN)."""
        detail = [{"loc": [str(part) for part in item["loc"]], "msg": item["msg"]} for item in error.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.get("/", response_class=HTMLResponse)
    def demo_page() -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    @app.get("/health")
    def health() -> dict:
        return {
            "status": "ok",
            "model": str(predictor.model_dir),
            "backend": predictor.backend,
            "labels": list(predictor.labels),
            "max_texts": max_texts,
            "max_chars": max_chars,
        }

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict:  # sync: FastAPI runs it in a worker thread
        if (request.text is None) == (request.texts is None):
            raise HTTPException(422, "give exactly one of 'text' or 'texts'")
        texts = [request.text] if request.text is not None else request.texts
        if not texts:
            raise HTTPException(422, "'texts' is empty")
        if len(texts) > max_texts:
            raise HTTPException(413, f"{len(texts)} texts in one request; the limit is {max_texts}")
        for index, text in enumerate(texts):
            problem = text_problem(text)
            if problem:
                raise HTTPException(422, f"text {index}: {problem}")
            if len(text) > max_chars:
                raise HTTPException(413, f"text {index}: {len(text)} characters; the limit is {max_chars}")
        return {"predictions": [p.as_dict() for p in predictor.predict(texts)]}

    return app
