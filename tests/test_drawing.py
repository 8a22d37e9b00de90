"""The drawing process: figures drawn beside the job, sent to the loggers, failures raised, no trainer imported."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from emotion.callbacks import publish
from emotion.reporting import drawing
from emotion.train import draws_figures, logs_to_wandb
from tests.helpers import drawing_probes


def test_the_drawing_process_imports_no_trainer_library() -> None:
    # Were torch or Lightning imported there, the process would pay the trainer's imports again, beside it.
    drawing.start()
    assert drawing._pool is not None
    assert drawing._pool.submit(drawing_probes.heavy_modules_loaded).result(timeout=120) == []


def test_a_figure_that_fails_to_draw_raises_its_error_in_the_job(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot draw the map"):  # at the next figure, or at the latest at finish
        publish.publish(
            SimpleNamespace(global_step=0, loggers=[]),
            drawing_probes.broken_figure,
            ("the map",),
            "val/x",
            tmp_path / "x.png",
        )
        publish.finish()
    publish.forget()
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_figures_reach_tensorboard_with_their_steps(make_config) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from emotion.training.job import train

    cfg = make_config("logger=tensorboard")
    train(cfg)
    images: dict[str, list] = {}  # the final evaluation's trainer writes a second events file
    for path in sorted(Path(cfg.paths.output_dir).rglob("events.out.tfevents.*")):
        events = EventAccumulator(str(path), size_guidance={"images": 0})
        events.Reload()
        for key in events.Tags()["images"]:
            images.setdefault(key, []).extend(events.Images(key))
    for key in ("val/confusion_matrix", "test/confusion_matrix", "val/reliability", "test/reliability", "val/umap"):
        assert key in images, sorted(images)
    # the epoch's validation after its 8 steps, then the final evaluation's
    assert sorted(image.step for image in images["val/confusion_matrix"]) == [0, 8]
    assert images["val/umap"][0].width > 100


def test_only_runs_with_a_figure_callback_start_the_drawing_process(make_config) -> None:
    assert draws_figures(make_config())
    assert not draws_figures(make_config("~callbacks.umap", "~callbacks.confusion_matrix", "~callbacks.reliability"))


def test_only_runs_that_log_to_wandb_import_it_before_the_trainer(make_config) -> None:
    assert logs_to_wandb(make_config("logger=wandb"))
    assert logs_to_wandb(make_config("logger=many_loggers"))
    assert not logs_to_wandb(make_config("logger=csv"))


def test_the_map_takes_the_configured_layout_epochs() -> None:
    import numpy as np

    from emotion.analysis.projection import umap_coordinates

    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(60, 8)), rng.integers(0, 6, 60)
    few = umap_coordinates(features, labels, seed=1, n_epochs=5)[0]
    assert few.shape == (60, 2)
    assert np.array_equal(few, umap_coordinates(features, labels, seed=1, n_epochs=5)[0])  # seeded: the same map
    assert not np.allclose(few, umap_coordinates(features, labels, seed=1, n_epochs=50)[0])


@pytest.mark.parametrize(
    ("environ", "zero"),
    [
        ({}, True),
        ({"RANK": "0", "LOCAL_RANK": "0"}, True),
        ({"RANK": "1"}, False),
        ({"LOCAL_RANK": "1"}, False),
        ({"NODE_RANK": "1"}, False),
        ({"SLURM_PROCID": "3"}, False),
    ],
)
def test_only_global_rank_zero_starts_it(monkeypatch, environ: dict, zero: bool) -> None:
    for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert drawing.is_global_zero() is zero
