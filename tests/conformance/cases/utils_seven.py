"""The ``seven`` helpers legacy pipeline files and test suites import."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from orch import seven
from orch.seven import get_system_temp_directory
from orch.seven.json import JSONDecodeError, dumps, loads


def run_json_sorted():
    return [seven.json.dumps({"b": 1, "a": [2, {"d": 3, "c": 4}]}), dumps({"z": 0, "y": 1})]


def run_json_round_trip():
    return seven.json.loads(seven.json.dumps({"name": "cereal", "calories": [70, 110]}))


def run_json_control_characters():
    """loads is not strict: a raw newline inside a string is accepted."""
    return loads('{"text": "two\nlines"}')


def run_json_decode_error():
    try:
        seven.json.loads("{not json")
    except JSONDecodeError as exc:
        return [type(exc).__name__, isinstance(exc, ValueError), exc is not None]
    return "no error"


def run_json_dump_to_file():
    with open("out.json", "w") as f:
        seven.json.dump({"b": 2, "a": 1}, f)
    with open("out.json") as f:
        return [f.read(), seven.json.load(open("out.json"))]


def run_temp_directory():
    return [get_system_temp_directory(), seven.get_system_temp_directory() == "/tmp"]


def run_platform_flags():
    return [seven.IS_WINDOWS, seven.funcsigs is __import__("inspect"),
            seven.builtin_print(), callable(seven.time_fn)]


def sample(a, b, *args, c=1, **kwargs):
    return a


def run_signature_helpers():
    return [seven.get_arg_names(sample), seven.get_arg_names(lambda x, y=2: x),
            seven.is_lambda(lambda: 1), seven.is_lambda(sample), seven.is_lambda(3),
            seven.qualname_differs(sample), seven.qualname_differs(run_signature_helpers)]


class Base:
    pass


class Child(Base):
    pass


def run_type_helpers():
    return [seven.is_subclass(Child, Base), seven.is_subclass(Base, Child),
            seven.is_subclass(list[str], list), seven.is_subclass(3, int),
            seven.is_function_or_decorator_instance_of(sample, Base),
            seven.is_function_or_decorator_instance_of(Child(), Base)]


def run_text_helpers():
    return [seven.is_ascii("cereal"), seven.is_ascii("café"),
            seven.xplat_shlex_split("orch run -c 'my config.yaml'")]


def run_module_helpers():
    with open("helper_module.py", "w") as f:
        f.write("VALUE = 42\n")
    module = seven.import_module_from_path("helper_module", "helper_module.py")
    again = seven.import_module_from_path("helper_module", "helper_module.py")
    return [module.VALUE, module is again, seven.is_module_available("json"),
            seven.is_module_available("no_such_module_here")]


def run_import_error_message():
    try:
        import no_such_module_here  # noqa: F401
    except ImportError as exc:
        return seven.get_import_error_message(exc)
    return "imported"


def run_nullcontext():
    with seven.nullcontext() as value:
        return value


def run_wait_for_process():
    process = subprocess.Popen([sys.executable, "-c", "print('done')"], stdout=subprocess.PIPE)
    seven.wait_for_process(process, timeout=30)
    return process.returncode


def run_kill_process_rejects_popen():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    seven.kill_process(process)


def run_timestamps():
    utc = datetime(2020, 1, 1, tzinfo=timezone.utc)
    now = seven.get_current_datetime_in_utc()
    return [seven.get_timestamp_from_utc_datetime(utc), now.utcoffset() == timedelta(0),
            now.timestamp() > 1.6e9]


def run_timestamp_rejects_other_timezone():
    return seven.get_timestamp_from_utc_datetime(
        datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=2))))
