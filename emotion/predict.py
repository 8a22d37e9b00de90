"""Emotion probabilities for new text.

    python -m emotion.predict model=DIR "i feel great" "this is scary"
    python -m emotion.predict model=DIR --file tweets.txt|.csv|.jsonl [--output preds.jsonl|.csv]
    echo "i feel great" | python -m emotion.predict model=DIR
    python -m emotion.predict model=DIR "i feel great" --plot probabilities.png

DIR is a model folder from a training run (`<run>/hf_model`) or from `python -m emotion.export`.
Output: one JSON object per text (or CSV rows) with every emotion's probability and the top label.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from emotion.data import DataError
from emotion.data.local_files import read_text_file
from emotion.data.texts import text_problem, utf8_error_position
from emotion.data.labels import EMOTIONS
from emotion.serving import BACKENDS, Prediction, Predictor
from emotion.utils.cli import accept_model_override, positive_int
from emotion.utils.errors import one_line_errors
from emotion.utils.logs import quiet_libraries

PROBABILITY_COLUMNS = [f"p_{name}" for name in EMOTIONS]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emotion.predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("texts", nargs="*", help="texts to classify (default: one per line on stdin)")
    parser.add_argument("--model", required=True, help="model folder (also accepted as model=DIR)")
    parser.add_argument("--file", type=Path, help="a .txt (one text per line), .csv or .jsonl ('text' field)")
    parser.add_argument("--output", type=Path, help="write .jsonl or .csv here instead of stdout")
    parser.add_argument("--backend", choices=BACKENDS, default="torch")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--max-length", type=positive_int, default=128,
                        help="longer texts are truncated, with a warning (at most the model's limit)")
    parser.add_argument("--plot", type=Path, help="bar chart of the class probabilities of the one text given")
    parser.add_argument("--verbose", action="store_true", help="show the libraries' own logs and progress bars")
    args = parser.parse_args(accept_model_override(argv))
    if args.file and args.texts:
        parser.error("give texts or --file, not both")
    if args.plot and (args.file or len(args.texts) != 1):
        parser.error("--plot draws the chart for exactly one text given on the command line")
    for option, path in (("--output", args.output), ("--plot", args.plot)):
        if path and not path.parent.is_dir():  # checked now, not after the predictions are computed
            parser.error(f"{option}: no such folder: {path.parent}")
    return args


def read_inputs(args: argparse.Namespace, stdin: TextIO) -> list[str]:
    if args.file:
        return read_text_file(args.file)
    texts = args.texts or _stdin_lines(stdin)
    for index, text in enumerate(texts, start=1):
        problem = text_problem(text)
        if problem:
            where = f"argument {index}" if args.texts else f"<stdin>:{index}"
            raise DataError(f"{where}: {problem}")
    if not texts:
        raise DataError("<stdin>: no texts")
    return texts


def _stdin_lines(stdin: TextIO) -> list[str]:
    """Lines of UTF-8 text; anything else is refused with the line where it stops being text."""
    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
    position = utf8_error_position(data)
    if position is not None:
        line, offset = position
        raise DataError(f"<stdin>:{line}: not text (invalid UTF-8 at byte offset {offset})")
    text = data.decode("utf-8-sig")
    return [line.rstrip("\r") for line in text.split("\n")[: -1 if text.endswith("\n") else None]]


def write_predictions(predictions: Iterable[Prediction], out: TextIO, fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(["text", "label", "score", *PROBABILITY_COLUMNS, "truncated"])
        for p in predictions:
            writer.writerow([p.text, p.label, f"{p.score:.6f}", *(f"{p.probabilities[e]:.6f}" for e in EMOTIONS),
                             p.truncated])
    else:
        for p in predictions:
            out.write(json.dumps(p.as_dict()) + "\n")


@one_line_errors
def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quiet_libraries(args.verbose)
    texts = read_inputs(args, sys.stdin)
    predictor = Predictor(args.model, backend=args.backend, batch_size=args.batch_size, max_length=args.max_length)
    stream = predictor.predict_stream(texts, chunk=max(args.batch_size, 256))
    if args.file:
        stream = tqdm(stream, total=len(texts), desc="predicting", unit="text", file=sys.stderr)
    predictions = []
    for index, prediction in enumerate(stream, start=1):
        if prediction.truncated:
            print(f"warning: text {index} is longer than {args.max_length} tokens and was truncated", file=sys.stderr)
        predictions.append(prediction)
    fmt = "csv" if args.output and args.output.suffix == ".csv" else "jsonl"
    if args.output:
        with args.output.open("w", newline="") as out:
            write_predictions(predictions, out, fmt)
    else:
        write_predictions(predictions, sys.stdout, fmt)
    if args.plot:
        from emotion.reporting.figures import probabilities_figure, save

        save(probabilities_figure(texts[0], [predictions[0].probabilities[e] for e in EMOTIONS]), args.plot)


if __name__ == "__main__":
    main()
