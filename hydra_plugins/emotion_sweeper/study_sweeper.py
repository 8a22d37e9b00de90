"""`hydra/sweeper=study`: the project's Hydra sweeper on a current Optuna (ask/tell), with a persistent study,
parallel workers and pruning. Hydra imports this module at every start to find its plugins, so everything heavy
is imported only when a sweep runs; the logic lives in `emotion.sweeps`."""

from __future__ import annotations

from typing import Any

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class StudySweeper(Sweeper):
    def __init__(self, sampler: Any = None, **settings: Any) -> None:
        self.sampler = sampler
        self.settings = settings
        self.config: DictConfig | None = None
        self.launcher = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        from emotion.sweeps.runner import StudyRun, settings_without_sampler
        from emotion.utils.errors import one_line_errors

        def run() -> Any:
            settings = settings_without_sampler(self.settings)
            return StudyRun(settings, self.config, self.launcher, self.sampler, arguments).run()

        return one_line_errors(run)()
