"""The HTTP service: the demo page at `/`, `POST /predict` for one text or a batch, `GET /health`.

The page is one hand-written HTML file (page.html: inline style and script, system fonts), so it works with no
internet and adds no dependency; it calls the same JSON API as any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from emotion.data.labels import EMOTIONS
from emotion.serving.backends import Predictor


class PredictRequest(BaseModel):
    text: str | None = None
    texts: list[str] | None = None


def create_app(predictor: Predictor, max_texts: int = 64, max_chars: int = 2000) -> FastAPI:
    """Limits answer 413 (too many or too long) and 422 (missing or empty), each with a message saying which."""
    app = FastAPI(title="emotion", description="Emotion of English tweets: " + ", ".join(EMOTIONS))
    page = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse)
    def demo_page() -> str:
        return page

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": str(predictor.model_dir), "backend": predictor.backend,
                "labels": list(EMOTIONS), "max_texts": max_texts, "max_chars": max_chars}

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
            if not text.strip():
                raise HTTPException(422, f"text {index}: empty")
            if len(text) > max_chars:
                raise HTTPException(413, f"text {index}: {len(text)} characters; the limit is {max_chars}")
        return {"predictions": [p.as_dict() for p in predictor.predict(texts)]}

    return app
