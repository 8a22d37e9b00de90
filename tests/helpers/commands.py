"""A command run in this process the way its command line runs it: its exit status, stdout and stderr (with the
`error: ...` line Python prints for a `SystemExit` that carries one). For tests of what a command does and says,
where a fresh interpreter's start-up is not what is tested; the few tests that need the real command line (a kill,
a launcher, an exit status seen by a scheduler) launch it in a subprocess and are marked slow."""

from __future__ import annotations

import gc
import importlib
import inspect
import io
import sys
from dataclasses import dataclass

import pytest
from hydra.core.global_hydra import GlobalHydra


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()


def run_command(
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    *args: str,
    stdin: str | bytes | None = None,
) -> Ran:
    """`python -m <module> ARGS` in this process (`emotion.train`, `emotion.predict`, ...)."""
    main = importlib.import_module(module).main
    monkeypatch.setattr(sys, "argv", [module, *args])
    if stdin is not None:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    capsys.readouterr()  # what the test printed before: not the command's
    GlobalHydra.instance().clear()
    code, message = 0, ""
    try:
        main(list(args)) if inspect.signature(
            main, follow_wrapped=False
        ).parameters else main()  # argparse commands take argv
    except SystemExit as stopped:
        if isinstance(stopped.code, str):
            code, message = 1, stopped.code + "\n"
        else:
            code = stopped.code or 0
    finally:
        GlobalHydra.instance().clear()
        gc.unfreeze()  # a Hydra command freezes the collector as its process ends; this process goes on
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err + message)
