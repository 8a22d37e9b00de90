"""Emotion probabilities for new text.

    python -m emotion.predict model=DIR "i feel great" "this is scary"
    python -m emotion.predict model=DIR --file tweets.txt|.csv|.jsonl [--output preds.jsonl|.csv [--resume]]
    cat tweets.txt | python -m emotion.predict model=DIR > preds.jsonl
    python -m emotion.predict model=DIR "i feel great" --plot probabilities.png

DIR is a model folder from a training run (`<run>/hf_model`) or from `python -m emotion.export`.
Output: one JSON object per text (or CSV rows) with every emotion's probability and the top label, in input order.
Files and stdin stream: texts are read and scored a chunk at a time and each chunk's rows are written and flushed
at once, so memory does not grow with the input and an endless pipe gets answers while it is open. A killed
`--file X --output Y` run continues with `--resume` (emotion/inference/bulk.py); an existing Y is never overwritten.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from emotion.data import DataError
from emotion.data.local_files import iter_text_file
from emotion.data.texts import text_problem
from emotion.inference import BACKENDS, Prediction
from emotion.inference.bulk import ChunkScorer, chunks, csv_header, resume_point, stdin_chunks
from emotion.inference.hf_folder import model_labels
from emotion.storage import writing
from emotion.utils.cli import accept_model_override, positive_int
from emotion.utils.errors import one_line_errors
from emotion.utils.logs import quiet_libraries


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emotion.predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("texts", nargs="*", help="texts to classify (default: one per line on stdin)")
    parser.add_argument("--model", required=True, help="model folder (also accepted as model=DIR)")
    parser.add_argument("--file", type=Path, help="a .txt (one text per line), .csv or .jsonl ('text' field)")
    parser.add_argument("--output", type=Path, help="write .jsonl or .csv here instead of stdout (never overwritten)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an --output a killed --file run left, after its last complete chunk",
    )
    parser.add_argument("--backend", choices=BACKENDS, default="torch")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument(
        "--chunk",
        type=positive_int,
        default=2048,
        help="texts read and scored together (sorted by length into batches; the unit --resume redoes)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="score --file chunks in N processes, each its own model with 1/N of the cores",
    )
    parser.add_argument(
        "--max-length",
        type=positive_int,
        default=128,
        help="longer texts are truncated, with a warning (at most the model's limit)",
    )
    parser.add_argument("--plot", type=Path, help="bar chart of the class probabilities of the one text given")
    parser.add_argument("--verbose", action="store_true", help="show the libraries' own logs and progress bars")
    args = parser.parse_args(accept_model_override(argv))
    if args.file and args.texts:
        parser.error("give texts or --file, not both")
    if args.plot and (args.file or len(args.texts) != 1):
        parser.error("--plot draws the chart for exactly one text given on the command line")
    if args.workers > 1 and not args.file:
        parser.error("--workers splits a --file over processes; stdin and texts are scored in this process")
    if args.resume and not (args.file and args.output):
        parser.error("--resume continues the --output of a --file run: give both")
    for option, path in (("--output", args.output), ("--plot", args.plot)):
        if path and not path.parent.is_dir():  # checked now, not after the predictions are computed
            parser.error(f"{option}: no such folder: {path.parent}")
    return args


def input_chunks(args: argparse.Namespace, stdin: TextIO, size: int, skip: int = 0) -> Iterator[list[str]]:
    """The texts to score, `size` at a time (after the first `skip` of a --file)."""
    if args.file:
        return chunks(islice(iter_text_file(args.file), skip, None), size)
    if args.texts:
        for index, text in enumerate(args.texts, start=1):
            problem = text_problem(text)
            if problem:
                raise DataError(f"argument {index}: {problem}")
        return chunks(args.texts, size)
    return stdin_chunks(stdin.buffer, size)


def write_rows(predictions: Iterable[Prediction], out: TextIO, fmt: str, header: bool, labels: Sequence[str]) -> None:
    if fmt == "csv":
        writer = csv.writer(out)
        if header:
            writer.writerow(csv_header(labels))
        for p in predictions:
            writer.writerow(
                [p.text, p.label, f"{p.score:.6f}", *(f"{p.probabilities[e]:.6f}" for e in labels), p.truncated]
            )
    else:
        for p in predictions:
            out.write(json.dumps(p.as_dict()) + "\n")


def open_output(args: argparse.Namespace, fmt: str, chunk: int, labels: Sequence[str]) -> tuple[TextIO, int]:
    """The output stream, and how many input texts a resumed --output already holds."""
    if not args.output:
        return sys.stdout, 0
    done = resume_point(args.output, fmt, chunk, labels) if args.resume and args.output.exists() else 0
    return args.output.open("a", newline="", encoding="utf-8"), done


@one_line_errors
def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quiet_libraries(args.verbose)
    if args.output and args.output.exists() and not args.resume:
        raise DataError(f"--output {args.output}: already exists; --resume continues it, or choose a new file")
    labels = model_labels(args.model)
    scorer = ChunkScorer(
        {
            "model_dir": args.model,
            "backend": args.backend,
            "batch_size": args.batch_size,
            "max_length": args.max_length,
        },
        args.workers,
    )
    fmt = "csv" if args.output and args.output.suffix == ".csv" else "jsonl"
    chunk = max(args.chunk, args.batch_size)
    out, done = open_output(args, fmt, chunk, labels)
    progress = tqdm(desc="predicting", unit="text", initial=done, file=sys.stderr, disable=not args.file)
    first: Prediction | None = None
    try:
        for predictions in scorer.scored(input_chunks(args, sys.stdin, chunk, skip=done)):
            for index, prediction in enumerate(predictions, start=done + 1):
                if prediction.truncated:
                    print(
                        f"warning: text {index} is longer than {args.max_length} tokens and was truncated",
                        file=sys.stderr,
                    )
            header = fmt == "csv" and first is None and (out is sys.stdout or out.tell() == 0)
            with writing(args.output or "<stdout>"):  # a full disk: one line (a rerun with --resume continues)
                write_rows(predictions, out, fmt, header, labels)
                out.flush()
            first = first or predictions[0]
            done += len(predictions)
            progress.update(len(predictions))
    finally:
        scorer.close()
        progress.close()
        if out is not sys.stdout:
            out.close()
    if first is None and args.file:
        raise DataError(f"{args.file}: no texts")
    if args.plot:
        from emotion.reporting.figures import probabilities_figure, save

        save(probabilities_figure(first.text, labels, [first.probabilities[e] for e in labels]), args.plot)


if __name__ == "__main__":
    main()
