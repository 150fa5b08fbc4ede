"""The ``orch dev`` workbench (Textual). Import it only from ``orch dev``: nothing headless may
import this package."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.workspace import WorkspaceTarget
    from orch.tui.app import OrchApp
    from orch.tui.services.launcher import LaunchChoice


def build_app(target: WorkspaceTarget, instance: Instance, *, watch: bool = True,
              load_timeout: float = 30.0, pipeline: str | None = None,
              initial_choice: LaunchChoice | None = None, daemon: bool = True) -> OrchApp:
    """The app on a code location: definitions load, and runs start, in code servers taken
    from one pool of started-ahead processes that record into ``instance``."""
    from orch.core.watch import PRELOAD_FILE, CodeServerPool

    env = dict(os.environ)
    if instance.root_dir is not None:
        env["ORCH_HOME"] = str(instance.root_dir)
    # First: its zygote starts (and imports what the last session's loads needed) while
    # Textual is imported here.
    pool = CodeServerPool(cwd=target.working_directory, env=env,
                          remember=instance.root_dir / PRELOAD_FILE
                          if instance.root_dir is not None else None)
    from orch.tui.app import OrchApp
    from orch.tui.services.launcher import Launcher
    from orch.tui.services.snapshot import SubprocessLoader

    return OrchApp(SubprocessLoader(target, pool, load_timeout), instance,
                   launcher=Launcher(target, pool, load_timeout), watch_root=target.root,
                   watch=watch, pipeline=pipeline, initial_choice=initial_choice,
                   host_daemon=daemon)


def run_app(app: OrchApp) -> int:
    app.run()
    return app.return_code or 0
