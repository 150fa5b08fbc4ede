"""The dagster.utils helpers legacy pipeline files and tests import beside file_relative_path:
dict and filesystem helpers, YAML loading, timestamps."""

import datetime
import os
import pickle

from orch.utils import (
    IS_WINDOWS,
    all_none,
    camelcase,
    datetime_as_float,
    dict_without_keys,
    ensure_dir,
    ensure_file,
    ensure_single_item,
    frozendict,
    list_pull,
    load_yaml_from_glob_list,
    load_yaml_from_globs,
    load_yaml_from_path,
    merge_dicts,
    mkdir_p,
    pushd,
    safe_isfile,
    safe_tempfile_path,
    touch_file,
    utc_datetime_from_timestamp,
)


def run_dict_helpers():
    return [merge_dicts({"a": 1, "b": {"x": 1}}, {"b": {"y": 2}}, {"c": 3}),
            dict_without_keys({"a": 1, "b": 2, "c": 3}, "a", "c"),
            ensure_single_item({"only": 1}), all_none({"a": None, "b": None}),
            all_none({"a": None, "b": 0}), list_pull([{"k": 1}, {"k": 2}], "k")]


def run_merge_dicts_needs_two():
    return merge_dicts({"a": 1})


def run_single_item_needs_one():
    return ensure_single_item({"a": 1, "b": 2})


def run_frozendict():
    frozen = frozendict({"b": 1, "a": 2})
    try:
        frozen["c"] = 3
        changed = "changed"
    except RuntimeError as exc:
        changed = str(exc)
    return [dict(frozen), changed, hash(frozen) == hash(frozendict({"a": 2, "b": 1})),
            dict(pickle.loads(pickle.dumps(frozen)))]


def run_camelcase():
    return [camelcase("my_solid_name"), camelcase("_private_thing"), camelcase("with-dash.dot"),
            camelcase("")]


def run_filesystem_helpers():
    made = mkdir_p("a/b/c")
    again = mkdir_p("a/b/c")
    ensure_dir("d/e")
    ensure_file("f/g/file.txt")
    touch_file("h/touched.txt")
    with pushd("a/b") as where:
        inside = os.path.basename(os.getcwd())
    with safe_tempfile_path() as tmp:
        existed = os.path.exists(tmp)
        with open(tmp, "w") as f:
            f.write("x")
    return [made, again, os.path.isdir("d/e"), os.path.isfile("f/g/file.txt"),
            os.path.isfile("h/touched.txt"), where, inside, existed, os.path.exists(tmp),
            safe_isfile("f/g/file.txt"), safe_isfile("nul\x00byte"), IS_WINDOWS]


def run_yaml_helpers():
    with open("one.yaml", "w") as f:
        f.write("solids:\n  a:\n    config: {x: 1, y: 1}\n")
    with open("two.yaml", "w") as f:
        f.write("solids:\n  a:\n    config: {y: 2}\n  b:\n    config: 3\n")
    return [load_yaml_from_path("one.yaml"), load_yaml_from_globs("one.yaml", "two.yaml"),
            load_yaml_from_glob_list(["two.yaml", "one.yaml"]),
            load_yaml_from_globs("missing_*.yaml")]


def run_time_helpers():
    stamp = utc_datetime_from_timestamp(1600000000)
    return [stamp.isoformat(), datetime_as_float(datetime.datetime(2020, 1, 1))]
