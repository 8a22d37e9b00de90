"""Share a model folder on the Hugging Face Hub, as the book's chapter ends.

    python -m emotion.push model=DIR --repo-id NAME/REPO [--private] [--dry-run]

DIR is a model folder from a training run (`<run>/hf_model`) or from `python -m emotion.export`, with its model card.
The token comes from the usual places (`hf auth login`, HF_TOKEN). `--dry-run` lists exactly the files and the
commit message, with no network. Then anyone runs `pipeline("text-classification", model="NAME/REPO")`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from emotion.inference.sharing import plan_upload, push
from emotion.utils.cli import accept_model_override
from emotion.utils.errors import one_line_errors
from emotion.utils.logs import quiet_libraries


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emotion.push", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, type=Path, help="model folder (also accepted as model=DIR)")
    parser.add_argument("--repo-id", required=True, help="the Hub repo to create or commit to: NAME/REPO")
    parser.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its)")
    parser.add_argument("--dry-run", action="store_true", help="list the files and the commit message; send nothing")
    parser.add_argument("--verbose", action="store_true", help="the libraries' own log lines too")
    return parser.parse_args(accept_model_override(argv))


@one_line_errors
def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quiet_libraries(args.verbose)
    upload = plan_upload(args.model, args.repo_id, args.private)
    if args.dry_run:
        print(upload.describe())
        return
    print(f"pushed {args.model} to https://huggingface.co/{args.repo_id}: {push(upload)}")


if __name__ == "__main__":
    main()
