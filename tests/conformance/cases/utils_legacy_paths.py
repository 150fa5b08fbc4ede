"""Legacy helpers imported from their module paths: utils, test utils."""

import os

from orch.utils import file_relative_path, script_relative_path


def run_file_relative():
    path = file_relative_path(__file__, "data/orders.csv")
    return [os.path.basename(path), os.path.basename(os.path.dirname(path))]


def run_script_relative():
    return os.path.basename(script_relative_path("cereal.csv"))
