"""A failed step shows where it failed: the user's traceback (file:line, user frames, chained
causes) in ``orch run`` (always the last user frames; everything with -v), ``orch runs show``
and ``orch runs logs``, all rendered by ``orch.core.errors.format_error``."""

from __future__ import annotations

from .conftest import events, runs, write_repo

CHAINED = '''
import json

from orch import ModeDefinition, fs_io_manager, pipeline, solid


def parse(text):
    return json.loads(text)


def read_settings():
    try:
        return parse("{not json")
    except ValueError as e:
        raise RuntimeError("settings are not valid JSON") from e


@solid
def settings(context) -> dict:
    return read_settings()


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def configured():
    settings()
'''


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_run_shows_the_users_frames_of_a_failed_step(orch, home, repo):
    line = _line_of(repo, 'raise ValueError(f"bad value {x}")')
    frame = f'File "{repo}", line {line}, in boom'
    done = orch("run", "-f", str(repo), "-p", "failing")
    assert done.returncode == 1
    assert "FAILED   boom: ValueError: bad value 1" in done.stderr
    assert frame in done.stderr and 'raise ValueError(f"bad value {x}")' in done.stderr
    assert "step.py" not in done.stderr  # orch's own frames are not the user's business

    [run] = runs(home)
    [failure] = events(home, run.run_id, "STEP_FAILURE")
    error = failure.data["error"]
    assert error["location"] == f"{repo}:{line}"
    assert [f["kind"] for f in error["frames"]][-1] == "user"

    verbose = orch("run", "-f", str(repo), "-p", "failing", "-v")
    assert verbose.returncode == 1
    assert "STEP_FAILURE" in verbose.stderr and frame in verbose.stderr

    shown = orch("runs", "show", run.run_id)
    assert shown.returncode == 0, shown.stderr
    assert "Step boom failed:" in shown.stdout
    assert "ValueError: bad value 1" in shown.stdout and frame in shown.stdout
    as_json = orch("runs", "show", run.run_id, "--json")
    assert '"location"' in as_json.stdout

    logs = orch("runs", "logs", run.run_id, "--step", "boom")
    assert logs.returncode == 0, logs.stderr
    assert "STEP_FAILURE" in logs.stdout and frame in logs.stdout


def test_chained_causes_and_library_frames(orch, home, tmp_path):
    path = write_repo(tmp_path, CHAINED, "chained.py")
    done = orch("run", "-f", str(path))
    assert done.returncode == 1
    err = done.stderr
    assert "RuntimeError: settings are not valid JSON" in err
    assert f'File "{path}", line {_line_of(path, "raise RuntimeError")}, in read_settings' in err
    assert "Caused by:" in err and "JSONDecodeError" in err
    assert f'line {_line_of(path, "return json.loads(text)")}, in parse' in err
    assert "decoder.py" not in err  # the standard library's frames only with -v

    verbose = orch("run", "-f", str(path), "-v")
    assert "decoder.py" in verbose.stderr and "Caused by:" in verbose.stderr


def test_a_payload_stored_before_frames_were_recorded_still_shows_the_user_frame(tmp_path):
    from orch.core.errors import error_location, format_error

    user_file = str(tmp_path / "mine.py")
    old = {"cls_name": "KeyError", "message": "KeyError: 'b'", "stack": [
        '  File "/elsewhere/orch/core/execution/step.py", line 91, in run\n    yield x\n',
        f'  File "{user_file}", line 7, in publish\n    raise KeyError("b")\n']}
    text = format_error(old)
    assert text.splitlines()[0] == "KeyError: 'b'"
    assert f'File "{user_file}", line 7, in publish' in text and 'raise KeyError("b")' in text
    assert error_location(old) == f"{user_file}:7"
