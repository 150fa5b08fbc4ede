"""Launch and cancel runs from the app: always through the headless CLI in a subprocess, so
the app never imports user code and every run loads the current code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any


class LaunchError(Exception):
    """The CLI refused the launch; the message is what it printed (config errors etc.)."""


@dataclass
class LaunchRequest:
    pipeline: str
    target_args: list[str]
    run_config: dict[str, Any] = field(default_factory=dict)
    mode: str | None = None
    preset: str | None = None
    executor: str | None = None
    solid_selection: str | None = None
    parent_run_id: str | None = None
    step_selection: str | None = None

    def argv(self, config_path: str | None) -> list[str]:
        args = [sys.executable, "-m", "orch.cli", "launch", *self.target_args, "-p", self.pipeline]
        if config_path:
            args += ["-c", config_path]
        for flag, value in (("--mode", self.mode), ("--preset", self.preset),
                            ("--executor", self.executor), ("--parent", self.parent_run_id)):
            if value:
                args += [flag, value]
        selection = self.step_selection if self.parent_run_id else self.solid_selection
        if selection:
            args += ["-s", selection]
        return args


def launch(request: LaunchRequest, home: str | None, cwd: str | None = None,
           timeout: float = 60.0) -> str:
    """Create and start the run; returns its id. Raises LaunchError with the CLI's message."""
    config_path = None
    try:
        if request.run_config:
            handle, config_path = tempfile.mkstemp(prefix="orch-launch-", suffix=".yaml")
            with os.fdopen(handle, "w") as f:
                json.dump(request.run_config, f)  # JSON is YAML
        env = dict(os.environ)
        if home:
            env["ORCH_HOME"] = home
        done = subprocess.run(request.argv(config_path), capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=timeout)
    finally:
        if config_path:
            os.unlink(config_path)
    if done.returncode != 0:
        raise LaunchError((done.stderr or done.stdout).strip() or f"exit {done.returncode}")
    run_id = done.stdout.strip().splitlines()[-1].split()[-1] if done.stdout.strip() else ""
    if not run_id:
        raise LaunchError("orch launch printed no run id")
    return run_id


def cancel(instance: Any, run_id: str) -> bool:
    """Ask the run to stop: the instance flag, and SIGTERM to its worker process."""
    requested = instance.request_cancel(run_id)
    run = instance.get_run(run_id)
    if run is not None and run.worker_pid:
        try:
            os.kill(run.worker_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return requested
