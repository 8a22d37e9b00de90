"""Serve a model folder over HTTP: `python -m emotion.serve model=DIR [--backend onnx-int8] [--port 8000]`.

A demo page at / (type a text, see every class's probability; or a batch as a table with a CSV download) and the
JSON API at /predict and /health.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from emotion.inference import BACKENDS, Predictor
from emotion.serving.app import create_app
from emotion.serving.listener import bound_socket
from emotion.utils.cli import accept_model_override, positive_int
from emotion.utils.errors import one_line_errors
from emotion.utils.logs import quiet_libraries


@one_line_errors
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emotion.serve", description=__doc__)
    parser.add_argument("--model", required=True, help="model folder (also accepted as model=DIR)")
    parser.add_argument("--backend", choices=BACKENDS, default="torch")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-texts", type=positive_int, default=64, help="most texts in one request")
    parser.add_argument("--max-chars", type=positive_int, default=2000, help="longest text accepted, in characters")
    parser.add_argument("--max-length", type=positive_int, default=128, help="tokens kept per text")
    parser.add_argument("--verbose", action="store_true", help="show the libraries' own logs and progress bars")
    args = parser.parse_args(accept_model_override(sys.argv[1:] if argv is None else argv))
    quiet_libraries(args.verbose)

    import uvicorn

    predictor = Predictor(args.model, backend=args.backend, max_length=args.max_length)
    listening = bound_socket(args.host, args.port)  # before the URL: a port in use is its one line
    host, port = listening.getsockname()[:2]
    print(f"Demo page: http://{host}:{port}/  (JSON API: POST /predict)", flush=True)
    app = create_app(predictor, args.max_texts, args.max_chars)
    uvicorn.Server(uvicorn.Config(app, host=args.host, port=port)).run(sockets=[listening])


if __name__ == "__main__":
    main()
