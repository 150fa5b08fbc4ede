"""fs_io_manager pickles outputs under base_dir; root_input_manager serves an unconnected input."""

import os

from orch import (
    InputDefinition,
    ModeDefinition,
    execute_pipeline,
    fs_io_manager,
    pipeline,
    root_input_manager,
    solid,
)


@root_input_manager
def seed_loader(_context):
    return [10, 20]


@solid(input_defs=[InputDefinition("seed", root_manager_key="seed_loader")])
def start(context, seed):
    return sum(seed)


@solid
def finish(context, total):
    return total + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "io_manager": fs_io_manager.configured({"base_dir": "fs_outputs"}),
    "seed_loader": seed_loader,
})])
def fs_pipeline():
    finish(start())


def run_fs():
    return execute_pipeline(fs_pipeline)


def run_files_written():
    result = execute_pipeline(fs_pipeline)
    root = os.path.join("fs_outputs", result.run_id)
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)
