"""Studies (hydra/sweeper=study on Optuna 5) and launchers: a study that survives kill -9, parallel workers,
pruning within an epoch, a grid through submitit's local launcher, and bad sweeps refused before any training."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna
import pandas as pd
import pytest
from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from emotion.sweeps.runner import StudyRun, settings_without_sampler, slot_devices
from emotion.sweeps.search_space import split_overrides, trial_overrides
from emotion.sweeps.study import make_storage
from emotion.utils.errors import ConfigError
from tests.conftest import ROOT

# Fast trials: 512 training texts, one CPU epoch, no UMAP, CSV logs.
FAST = ["debug=default", "~callbacks.umap", "logger=csv"]


def sweep(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emotion.train", "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def study_args(sweep_dir: Path, tiny_model: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        "hparams_search=optuna",
        *FAST,
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.sweep.dir={sweep_dir}",
        "hydra.sweeper.sampler.n_startup_trials=2",
        *extra,
    ]


def load(sweep_dir: Path, name: str = "debug") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=make_storage(str(sweep_dir / "study.journal")))


def test_search_space_reads_hydra_sweep_syntax() -> None:
    space, fixed = split_overrides(
        {
            "model.lr": "tag(log, interval(1e-5, 2e-4))",
            "data.batch_size": "choice(32, 64)",
            "trainer.max_epochs": "range(1, 4)",
            "model.warmup_ratio": 0.1,
        },
        ["seed=3", "model.weight_decay=tag(int, interval(0, 3))"],
    )
    assert space == {
        "model.lr": FloatDistribution(1e-5, 2e-4, log=True),
        "data.batch_size": CategoricalDistribution([32, 64]),
        "trainer.max_epochs": CategoricalDistribution([1, 2, 3]),
        "model.weight_decay": IntDistribution(0, 3),
    }
    assert fixed == ["model.warmup_ratio=0.1", "seed=3"]
    assert trial_overrides({"model.lr": 1e-4, "data.group_by_length": True, "x": None}) == [
        "model.lr=0.0001",
        "data.group_by_length=true",
        "x=null",
    ]


def test_each_worker_gets_its_own_gpu_only_when_there_are_enough(make_config, monkeypatch) -> None:
    import torch

    cfg = make_config("trainer.accelerator=auto")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert slot_devices(2, cfg) == [["trainer.devices=[0]"], ["trainer.devices=[1]"]]
    assert slot_devices(3, cfg) == [[], [], []]  # 3 workers, 2 GPUs: left to the launcher
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert slot_devices(2, cfg) == [[], []]


@pytest.mark.parametrize(
    ("override", "arguments", "message"),
    [
        (
            "hydra.sweeper.storage=nosuchdb://host/study",
            [],
            "hydra.sweeper.storage='nosuchdb://host/study': cannot open it",
        ),
        ("seed=1", ["model.lrr=interval(0.1, 0.2)"], "hydra.sweeper.params: 'model.lrr' is not a key of this config"),
        ("hydra.sweeper.n_workers=2", [], "hydra.sweeper.n_workers=2: the basic launcher runs one job at a time"),
        ("hydra.sweeper.direction=up", [], "hydra.sweeper.direction='up': expected one of 'maximize', 'minimize'"),
    ],
)
def test_a_bad_study_is_refused_before_any_trial(
    make_config, tmp_path: Path, override: str, arguments: list[str], message: str
) -> None:
    cfg = make_config("hparams_search=optuna", f"hydra.sweep.dir={tmp_path / 'sweep'}", override)
    with pytest.raises(ConfigError) as refused:
        StudyRun(settings_without_sampler(cfg.hydra.sweeper), cfg, BasicLauncher(), None, arguments).run()
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert not list(tmp_path.glob("sweep/*/.hydra"))  # no trial started


@pytest.mark.slow
def test_unknown_pruner_is_one_line_before_any_training(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    result = sweep(*study_args(tmp_path, tiny_model, data_dir, "hydra.sweeper.pruner=medain"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "error: hydra.sweeper.pruner='medain': unknown pruner (one of "
        "median, percentile, hyperband, successive_halving, threshold, "
        "wilcoxon, none)"
    )
    assert "Traceback" not in result.stderr and not list(tmp_path.glob("*/.hydra"))


@pytest.mark.slow
def test_study_reports_trials_and_opens_in_optuna_dashboard(
    multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    result = multirun_here(*study_args(tmp_path, tiny_model, data_dir, "hydra.sweeper.n_trials=3"))
    assert result.code == 0, result.err[-3000:]
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert list(trials["trial"]) != [] and set(trials["state"]) == {"complete"} and len(trials) == 3
    assert trials["model.lr"].between(1e-5, 2e-4).all()
    best = json.loads((tmp_path / str(trials["trial"][0]) / "metrics.json").read_text())["val/f1_weighted"]
    assert trials["value"][0] == pytest.approx(best) == pytest.approx(trials["value"].max())
    report = (tmp_path / "study.md").read_text()
    assert "3 complete, 0 pruned, 0 fail" in report and f"Best: trial {trials['trial'][0]}" in report
    for plot in ("optimization_history", "param_importances"):
        assert (tmp_path / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(tmp_path / "summary.csv")) == 3  # the seed-aggregating summary still runs

    # What the README says: `optuna-dashboard <sweep dir>/study.journal` (its WSGI app, called without a server).
    from optuna_dashboard import wsgi

    app, status, environ = wsgi(str(tmp_path / "study.journal")), [], {"PATH_INFO": "/api/studies"}
    setup_testing_defaults(environ)
    body = b"".join(app(environ, lambda code, *_: status.append(code)))
    assert status == ["200 OK"]
    assert [study["study_name"] for study in json.loads(body)["study_summaries"]] == ["debug"], body[:2000]


@pytest.mark.slow
def test_rdb_storage_with_heartbeat_runs_a_study(
    multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    result = multirun_here(
        *study_args(
            tmp_path / "sweep",
            tiny_model,
            data_dir,
            "hydra.sweeper.n_trials=2",
            "debug=fdr",
            f"hydra.sweeper.storage={url}",
            "hydra.sweeper.heartbeat_interval=1",
        )
    )
    assert result.code == 0, result.err[-3000:]
    study = optuna.load_study(study_name="debug", storage=url)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 2
    assert not (tmp_path / "sweep" / "study.journal").exists()


@pytest.mark.slow
def test_killed_study_resumes_to_its_total_and_retries_the_killed_trial(
    multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    args = study_args(tmp_path, tiny_model, data_dir, "hydra.sweeper.n_trials=4", "hydra.sweeper.pruner=none")
    process = subprocess.Popen(
        [sys.executable, "-m", "emotion.train", "-m", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline, killed = time.monotonic() + 180, None
    while time.monotonic() < deadline and process.poll() is None:
        if (tmp_path / "study.journal").is_file():
            trials = load(tmp_path).get_trials()
            running = [t for t in trials if t.state == TrialState.RUNNING]
            if sum(t.state == TrialState.COMPLETE for t in trials) >= 1 and running:
                os.killpg(process.pid, signal.SIGKILL)
                killed = running[0]
                break
        time.sleep(0.2)
    process.wait()
    assert killed is not None, "the sweep ended before it could be killed"

    result = multirun_here(*args)  # the same command again
    assert result.code == 0, result.err[-3000:]
    trials = load(tmp_path).get_trials()
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert [t.state for t in trials if t.number == killed.number] == [TrialState.FAIL]
    retried = [t for t in trials if t.user_attrs.get("retry_of") == killed.number]
    assert len(retried) == 1 and retried[0].params == killed.params and retried[0].state == TrialState.COMPLETE
    # Every finished job dir belongs to one complete trial: no number (dir) was used twice.
    assert sorted(int(p.parent.name) for p in tmp_path.glob("*/metrics.json")) == sorted(
        t.number for t in trials if t.state == TrialState.COMPLETE
    )
    assert "4 complete, 0 pruned, 1 fail" in (tmp_path / "study.md").read_text()


@pytest.mark.slow
def test_pruned_trial_stops_within_its_epoch(multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    # Validation every quarter epoch over 2 epochs would report 8 times; a bar no tiny model reaches prunes at once.
    result = multirun_here(
        *study_args(
            tmp_path,
            tiny_model,
            data_dir,
            "hydra.sweeper.n_trials=2",
            "hydra.sweeper.pruner=threshold",
            "hydra.sweeper.pruner_args={lower: 0.99}",
            "trainer.val_check_interval=0.25",
            "trainer.max_epochs=2",
        )
    )
    assert result.code == 0, result.err[-3000:]
    trials = load(tmp_path).get_trials()
    assert [t.state for t in trials] == [TrialState.PRUNED] * 2
    assert all(list(t.intermediate_values) == [0] for t in trials)
    assert not list(tmp_path.glob("*/metrics.json"))  # stopped before the final evaluation
    assert "0 complete, 2 pruned" in (tmp_path / "study.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["local", "workers"])
def test_two_workers_share_one_study_asynchronously(
    tmp_path: Path, tiny_model: Path, data_dir: Path, launcher: str
) -> None:
    # Trials of unequal length, queued in the study the sweep resumes: two equal trials can end within microseconds
    # of each other, and then a batch launcher and an asynchronous one leave the same timestamps.
    queued = optuna.create_study(
        storage=make_storage(str(tmp_path / "study.journal")), study_name="debug", direction="maximize"
    )
    for epochs in (6, 1, 1):
        queued.enqueue_trial({"trainer.max_epochs": epochs})
    result = sweep(
        *study_args(
            tmp_path,
            tiny_model,
            data_dir,
            "hydra.sweeper.n_trials=3",
            "hydra.sweeper.n_workers=2",
            f"hydra/launcher={launcher}",
        ),
        "trainer.max_epochs=choice(1, 6)",
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    trials = load(tmp_path).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 and [t.number for t in trials] == [0, 1, 2]
    assert [t.params["trainer.max_epochs"] for t in trials] == [6, 1, 1]
    first, second = trials[0], trials[1]
    assert first.datetime_start < second.datetime_complete and second.datetime_start < first.datetime_complete
    # The third trial began when the short trial's worker came free, while the long one still ran.
    assert second.datetime_complete <= trials[2].datetime_start < first.datetime_complete
    for trial in trials:
        assert (tmp_path / str(trial.number) / ".hydra" / "config.yaml").is_file()
        assert (tmp_path / str(trial.number) / "metrics.json").is_file()
    # submitit starts a process per trial; the joblib workers are two processes that run trial after trial.
    processes = [
        int(re.findall(r"process (\d+) on ", (tmp_path / str(t.number) / "train.log").read_text())[0]) for t in trials
    ]
    assert len(set(processes)) == (3 if launcher == "local" else 2), processes


@pytest.mark.slow
def test_grid_runs_through_submitit_local_launcher(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    result = sweep(
        "debug=fdr",
        "~callbacks.umap",
        "logger=csv",
        "seed=1,2",
        "hydra/launcher=local",
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.parent.name for p in tmp_path.glob("*/metrics.json")) == ["0", "1"]
    assert list(tmp_path.glob(".submitit/*/*_result.pkl"))  # the jobs really went through submitit
    assert list(pd.read_csv(tmp_path / "summary.csv")["n"]) == [2]


def test_slurm_launcher_config_becomes_the_sbatch_script(make_config, tmp_path: Path, monkeypatch) -> None:
    """hydra/launcher=slurm as submitit submits it (no SLURM here: the sbatch script is read, never submitted)."""
    import hydra
    from submitit.slurm.slurm import SlurmExecutor

    cfg = make_config(
        "hydra/launcher=slurm",
        "hydra.launcher.partition=gpu",
        "hydra.launcher.gpus_per_task=2",
        "hydra.launcher.array_parallelism=1",
        f"hydra.sweep.dir={tmp_path}",
    )
    scripts: list[str] = []

    def no_sbatch(executor: SlurmExecutor, command: str) -> None:
        scripts.append(executor._make_submission_file_text(command, "uid"))
        raise RuntimeError("sbatch was not called")

    monkeypatch.setattr(SlurmExecutor, "affinity", classmethod(lambda cls: 1))  # srun is not on this machine
    monkeypatch.setattr(SlurmExecutor, "_submit_command", no_sbatch)
    launcher = hydra.utils.instantiate(cfg.hydra.launcher)
    launcher.setup(hydra_context=None, task_function=print, config=cfg)
    with pytest.raises(RuntimeError, match="sbatch was not called"):
        launcher.launch([["seed=1"], ["seed=2"]], initial_job_idx=0)
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --gpus-per-task=2",
        "#SBATCH --time=240",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=32GB",
        "#SBATCH --array=0-1%1",
    ):
        assert line in scripts[0], scripts[0]


def journal_with_trials(path: Path, space: dict, n: int = 2) -> optuna.Study:
    study = optuna.create_study(storage=make_storage(str(path)), study_name="debug", direction="maximize")
    for value in range(n):
        trial = study.ask(space)
        study.tell(trial, float(value))
    return study


def test_a_torn_last_journal_record_is_cut_with_one_warning_and_the_study_goes_on(tmp_path: Path, caplog) -> None:
    space = {"model.lr": FloatDistribution(1e-5, 2e-4, log=True)}
    journal = tmp_path / "study.journal"
    journal_with_trials(journal, space)
    whole = journal.read_bytes()
    torn = b'{"op_code":4,"worker_id":"a-b","trial_id":2,"param_na'  # a kill in the middle of a write
    journal.write_bytes(whole + torn)

    # What Optuna alone makes of it: the next record is glued onto the torn one, and the study breaks.
    plain = shutil.copy(journal, tmp_path / "plain.journal")
    with pytest.raises((ValueError, AttributeError)):
        optuna.load_study(study_name="debug", storage=JournalStorage(JournalFileBackend(str(plain)))).ask(space)
        optuna.load_study(study_name="debug", storage=JournalStorage(JournalFileBackend(str(plain))))

    records = whole.count(b"\n")
    with caplog.at_level(logging.WARNING):
        study = optuna.load_study(study_name="debug", storage=make_storage(str(journal)))
    (warning,) = [r.getMessage() for r in caplog.records if r.name.startswith("emotion")]
    assert warning == (
        f"{journal}: its last record was cut short ({len(torn)} bytes, a kill during a write?); continuing from the "
        f"{records} whole records, the partial one kept in {journal}.torn-{len(whole)}"
    )
    assert journal.read_bytes() == whole and (tmp_path / f"study.journal.torn-{len(whole)}").read_bytes() == torn
    study.tell(study.ask(space), 5.0)  # the study goes on, and reads back
    again = optuna.load_study(study_name="debug", storage=make_storage(str(journal)))
    assert [t.state for t in again.get_trials()] == [TrialState.COMPLETE] * 3


def test_a_damaged_journal_record_is_one_line(tmp_path: Path) -> None:
    journal = tmp_path / "study.journal"
    journal_with_trials(journal, {"model.lr": FloatDistribution(1e-5, 2e-4, log=True)})
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join([*lines[:2], b"\x00\xff not json\n", *lines[2:]]))
    with pytest.raises(ConfigError) as refused:
        make_storage(str(journal))
    assert str(refused.value) == (
        f"hydra.sweeper.storage={journal}: record 3 is not a journal record (damaged, or not an Optuna journal); "
        "restore the file, or give a new hydra.sweeper.study_name and storage"
    )


def test_a_study_rerun_with_another_search_space_is_one_line(make_config, tmp_path: Path) -> None:
    cfg = make_config("hparams_search=optuna", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    settings = settings_without_sampler(cfg.hydra.sweeper)
    journal_with_trials(
        Path(settings.storage), {"model.lr": FloatDistribution(1e-3, 1e-2), "seed": IntDistribution(1, 3)}
    )
    with pytest.raises(ConfigError) as refused:
        StudyRun(settings, cfg, BasicLauncher(), None, []).run()
    message = str(refused.value)
    assert message.startswith(f"hydra.sweeper.params: study 'debug' in {settings.storage} searched another space (")
    assert "model.lr: FloatDistribution(high=0.01, log=False, low=0.001, step=None) in the study, " in message
    assert "seed: IntDistribution(high=3, log=False, low=1, step=1) in the study, not searched now" in message
    assert (
        message.endswith(
            "; rerun it with its own search space to continue, or give hydra.sweeper.study_name=<a new name> "
            "for a new study"
        )
        and "\n" not in message
    )
    assert not list(tmp_path.glob("sweep/*/.hydra"))  # no trial started


@pytest.mark.parametrize("kind", ["not-sqlite", "truncated", "locked"])
def test_a_damaged_or_locked_sqlite_storage_is_one_line_before_any_trial(
    make_config, tmp_path: Path, kind: str
) -> None:
    database = tmp_path / "study.db"
    url = f"sqlite:///{database}"
    holder = None
    if kind == "not-sqlite":
        database.write_bytes(b"journal, not a database\n" * 200)
    else:
        optuna.create_study(study_name="debug", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), 3)
        if kind == "truncated":  # an interrupted copy of the file
            database.write_bytes(database.read_bytes()[:5000])
        else:  # another process holds the database in a write transaction
            holder = sqlite3.connect(database, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
    cfg = make_config("hparams_search=optuna", f"hydra.sweep.dir={tmp_path / 'sweep'}", f"hydra.sweeper.storage={url}")
    try:
        with pytest.raises(ConfigError) as refused:
            StudyRun(settings_without_sampler(cfg.hydra.sweeper), cfg, BasicLauncher(), None, []).run()
    finally:
        if holder:
            holder.close()
    message = str(refused.value)
    assert message.startswith(f"hydra.sweeper.storage={url!r}: cannot open it (") and "\n" not in message
    reason = "database is locked" if kind == "locked" else "malformed" if kind == "truncated" else "not a database"
    assert reason in message, message
    assert not list(tmp_path.glob("sweep/*/.hydra"))  # no trial started


def test_a_trial_killed_before_its_worker_claimed_it_is_failed_and_retried(tmp_path: Path) -> None:
    """A kill between `ask` (the trial exists, RUNNING) and the claim (which names its worker) left a trial no
    process could be checked for; it held its place in n_trials forever, and a resumed study ended one short."""
    from emotion.sweeps.study import CLAIM_GRACE_S, claim, fail_orphans

    space = {"model.lr": FloatDistribution(1e-5, 2e-4, log=True)}
    study = journal_with_trials(tmp_path / "study.journal", space)
    unclaimed = study.ask(space)  # the kill came here
    alive = study.ask(space)
    claim(alive)  # this process: alive
    began = time.monotonic()
    assert fail_orphans(study, max_retries=1) == [unclaimed.number]
    assert time.monotonic() - began >= CLAIM_GRACE_S - 1  # a trial that young had the grace to be claimed
    states = {t.number: t.state for t in study.get_trials()}
    assert states[unclaimed.number] == TrialState.FAIL and states[alive.number] == TrialState.RUNNING
    (queued,) = [t for t in study.get_trials() if t.state == TrialState.WAITING]
    assert queued.system_attrs["fixed_params"] == unclaimed.params  # its parameters, queued again
