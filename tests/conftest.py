"""Shared fixtures: the real data (the copy shipped in the package), a tiny random DistilBERT built from it,
composed Hydra configs."""

from __future__ import annotations

import os

# Tests never touch the network: set before datasets/transformers/wandb read their settings.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import subprocess  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

import emotion  # noqa: E402,F401  (registers the config resolvers)
from emotion.utils.command import compose_config  # noqa: E402
from tests.helpers.commands import Ran, run_command  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _whole_command(args: object) -> str | None:
    """What a child process would run when it is one of the project's commands, a launcher or a make target."""
    argv = [str(arg) for arg in args] if isinstance(args, (list, tuple)) else str(args).split()
    names = [Path(arg).name for arg in argv]
    for index, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[index + 1].split(".")[0] in ("emotion", "experiments", "torch"):
            return " ".join(argv[index : index + 2])
    for launcher in ("torchrun", "torchrun_train.sh", "make", "sbatch"):
        if launcher in names:
            return launcher
    return None


@pytest.fixture(autouse=True)
def _whole_commands_are_slow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a test marked `slow` may launch a whole command in a subprocess: the rest form `make test-fast`."""
    if request.node.get_closest_marker("slow"):
        return

    class FastOnly(subprocess.Popen):
        def __init__(self, args, *rest, **options) -> None:
            command = _whole_command(args)
            if command:
                raise AssertionError(f"{request.node.nodeid} launches `{command}` in a subprocess: mark it slow")
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", FastOnly)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    from emotion.data import CARER_DIR

    return CARER_DIR


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    from emotion.data import load_splits
    from emotion.models.tiny import build_tiny_checkpoint

    texts = load_splits(str(data_dir))["train"]["text"]
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-distilbert"), texts)


def tiny_overrides(config_name: str, tiny_model: Path, data_dir: Path) -> list[str]:
    """The tiny model on the real data; train-style configs also get the debug settings."""
    overrides = [f"data.source={data_dir}"]
    if config_name == "train":
        overrides.append("debug=default")
    if config_name in ("train", "features", "explore"):
        overrides.append(f"model.pretrained={tiny_model}")
    return overrides


@pytest.fixture
def multirun_here(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """`python -m emotion.train -m ARGS` in this process: the basic launcher runs its jobs here too."""

    def run(*args: str) -> Ran:
        return run_command(capsys, monkeypatch, "emotion.train", "-m", *args)

    return run


@pytest.fixture
def train_here(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tiny_model: Path, data_dir: Path
) -> Callable[..., Ran]:
    """`python -m emotion.train debug=default` on the tiny model and the shipped data, plus `overrides`, here."""

    def run(*overrides: str) -> Ran:
        base = ["debug=default", f"data.source={data_dir}", f"model.pretrained={tiny_model}"]
        return run_command(capsys, monkeypatch, "emotion.train", *base, *overrides)

    return run


@pytest.fixture
def make_config(tmp_path: Path, tiny_model: Path, data_dir: Path) -> Callable[..., DictConfig]:
    """Compose an entry config for the tiny model on the real data, writing into tmp_path/run."""

    def make(*overrides: str, config_name: str = "train") -> DictConfig:
        base = tiny_overrides(config_name, tiny_model, data_dir)
        return compose_config(config_name, [*base, *overrides], tmp_path / "run")

    return make


# One real epoch on a seeded slice, shared by the tests that need a trained checkpoint.
ONE_EPOCH = ["data.max_samples={train: 2000, validation: 500, test: 500}", "model.lr=3e-3", "data.batch_size=32"]


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, data_dir: Path) -> tuple[DictConfig, dict]:
    from emotion.training.job import train

    run_dir = tmp_path_factory.mktemp("one-epoch")
    cfg = compose_config("train", [*tiny_overrides("train", tiny_model, data_dir), *ONE_EPOCH], run_dir)
    return cfg, train(cfg)


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, trained_run, data_dir: Path) -> tuple[Path, dict]:
    """The one-epoch checkpoint exported (HF folder, ONNX, int8) and its export report."""
    from emotion.export import export

    run_dir = tmp_path_factory.mktemp("export")
    cfg = compose_config(
        "export", [f"ckpt_path={trained_run[1]['best_model_path']}", f"data.source={data_dir}", ONE_EPOCH[0]], run_dir
    )
    return Path(cfg.out_dir), export(cfg)


def assert_png(path: Path) -> None:
    """A real, decodable PNG image of some size."""
    from matplotlib.image import imread

    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = imread(path).shape[:2]
    assert height > 100 and width > 100
