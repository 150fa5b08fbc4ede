"""Construction of evaluation errors with the legacy message wording.

Each function gets the config type being checked, the path to the value (copied here, the
caller keeps mutating its own list) and whatever the message needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from orch.core.config.display import minimal_config, short_repr, suggest, type_display
from orch.core.config.evaluation import (
    DagsterEvaluationErrorReason,
    EvaluationError,
    PathEntry,
    path_msg,
)
from orch.core.config.types import ConfigType

Reason = DagsterEvaluationErrorReason


def _got(value: object) -> str:
    return f'Got "{short_repr(value)}" of type "{type(value)}".'


def none_not_allowed(ct: ConfigType, path: Sequence[PathEntry]) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f'Value {path_msg(path)} must not be None. Expected: "{type_display(ct)}".',
        list(path),
        {"expected": type_display(ct), "value_rep": "None"},
    )


def unstorable_value(path: Sequence[PathEntry], problem: str) -> EvaluationError:
    """A value under Any/Permissive that run config cannot hold (it is stored as JSON)."""
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f"Value {path_msg(path)} {problem}; run config must be plain data (it is stored "
        "with the run as JSON).",
        list(path),
        {"problem": problem},
    )


def scalar_mismatch(ct: ConfigType, path: Sequence[PathEntry], value: object) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f'Invalid scalar {path_msg(path)}. Value "{short_repr(value)}" of type "{type(value)}" '
        f'is not valid for expected type "{type_display(ct)}".',
        list(path),
        {"expected": type_display(ct), "value_rep": short_repr(value)},
    )


def dict_mismatch(ct: ConfigType, path: Sequence[PathEntry], value: object) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f'Value {path_msg(path)} must be dict. Expected: "{type_display(ct)}". {_got(value)}',
        list(path),
        {"expected": type_display(ct), "value_rep": short_repr(value)},
    )


def list_mismatch(ct: ConfigType, path: Sequence[PathEntry], value: object) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f'Value {path_msg(path)} must be list. Expected: "{type_display(ct)}". {_got(value)}',
        list(path),
        {"expected": type_display(ct), "value_rep": short_repr(value)},
    )


def selector_not_dict(ct: ConfigType, path: Sequence[PathEntry], value: object) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f"Value for selector type {path_msg(path)} must be a dict. "
        f'Expected: "{type_display(ct)}". {_got(value)}',
        list(path),
        {"expected": type_display(ct), "value_rep": short_repr(value)},
    )


def _enum_choices(ct: ConfigType) -> str:
    return ", ".join(f'"{v}"' for v in ct.config_values)  # type: ignore[attr-defined]


def enum_not_string(ct: ConfigType, path: Sequence[PathEntry], value: object) -> EvaluationError:
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        f"Value {path_msg(path)} for enum type {ct.given_name} must be a string. "
        f"{_got(value)} Expected one of: {_enum_choices(ct)}.",
        list(path),
        {"expected": ct.given_name, "value_rep": short_repr(value)},
    )


def enum_value_missing(ct: ConfigType, path: Sequence[PathEntry], value: str) -> EvaluationError:
    message = (
        f"Value {path_msg(path)} not in enum type {ct.given_name} got {short_repr(value)}. "
        f"Expected one of: {_enum_choices(ct)}."
    )
    guess = suggest(value, ct.config_values)  # type: ignore[attr-defined]
    if guess is not None:
        message += f' Did you mean "{guess}"?'
    return EvaluationError(
        Reason.RUNTIME_TYPE_MISMATCH,
        message,
        list(path),
        {"expected": ct.given_name, "value_rep": short_repr(value), "suggestion": guess},
    )


EXPECTED_DISPLAY_LIMIT = 200


def _quoted_names(names: Sequence[object]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def unexpected_entries(
    ct: ConfigType,
    path: Sequence[PathEntry],
    unexpected: Sequence[object],
    candidates: Sequence[str],
) -> EvaluationError:
    """``candidates``: defined names the value does not already use (what a typo meant)."""
    names = sorted(unexpected, key=str)
    suggestions = {str(name): guess for name in names if (guess := suggest(name, candidates))}
    expected = type_display(ct)
    if len(expected) > EXPECTED_DISPLAY_LIMIT:  # a whole run config: show its top level only
        expected = type_display(ct, max_depth=1)
    if len(names) == 1:
        reason = Reason.FIELD_NOT_DEFINED
        message = f'Received unexpected config entry "{names[0]}" {path_msg(path)}.'
    else:
        reason = Reason.FIELDS_NOT_DEFINED
        message = f"Received unexpected config entries {_quoted_names(names)} {path_msg(path)}."
    message += f' Expected: "{expected}".'
    if len(names) == 1 and suggestions:
        message += f' Did you mean "{suggestions[str(names[0])]}"?'
    elif suggestions:
        pairs = ", ".join(f'"{good}" instead of "{bad}"' for bad, good in suggestions.items())
        message += f" Did you mean {pairs}?"
    return EvaluationError(
        reason,
        message,
        list(path),
        {"field_names": [str(n) for n in names], "suggestions": suggestions, "expected": expected},
    )


def missing_entries(
    ct: ConfigType, path: Sequence[PathEntry], missing: Sequence[str]
) -> EvaluationError:
    minimal = repr(minimal_config(ct))
    if len(missing) == 1:
        reason = Reason.MISSING_REQUIRED_FIELD
        head = f'Missing required config entry "{missing[0]}"'
    else:
        reason = Reason.MISSING_REQUIRED_FIELDS
        head = f"Missing required config entries {_quoted_names(missing)}"
    return EvaluationError(
        reason,
        f"{head} {path_msg(path)}. Minimal acceptable config for this path: {minimal}",
        list(path),
        {"field_names": list(missing), "minimal_config": minimal},
    )


def _sorted_names(names: object) -> list[object]:
    return sorted(names, key=str)  # type: ignore[call-overload]


def selector_multiple(
    ct: ConfigType, path: Sequence[PathEntry], given: Sequence[object]
) -> EvaluationError:
    defined = _sorted_names(ct.fields)  # type: ignore[attr-defined]
    specified = _sorted_names(given)
    return EvaluationError(
        Reason.SELECTOR_FIELD_ERROR,
        f"You can only specify a single field {path_msg(path)}. You specified {specified}. "
        f"The available fields are {defined}",
        list(path),
        {"field_names": [str(n) for n in specified]},
    )


def selector_none_selected(ct: ConfigType, path: Sequence[PathEntry]) -> EvaluationError:
    defined = _sorted_names(ct.fields)  # type: ignore[attr-defined]
    return EvaluationError(
        Reason.SELECTOR_FIELD_ERROR,
        f"Must specify a field {path_msg(path)} if more than one field is defined. "
        f"Defined fields: {defined}",
        list(path),
        {"field_names": []},
    )


def selector_required_unspecified(ct: ConfigType, path: Sequence[PathEntry]) -> EvaluationError:
    defined = _sorted_names(ct.fields)  # type: ignore[attr-defined]
    return EvaluationError(
        Reason.SELECTOR_FIELD_ERROR,
        f"Must specify the required field {path_msg(path)}. Defined fields: {defined}",
        list(path),
        {"field_names": []},
    )


def post_processing_failed(
    path: Sequence[PathEntry], original_value: object, error: Exception
) -> EvaluationError:
    return EvaluationError(
        Reason.FAILED_POST_PROCESSING,
        f"Post processing {path_msg(path)} of original value {short_repr(original_value)} "
        f"failed: {error}",
        list(path),
        {"original_value": short_repr(original_value)},
    )
