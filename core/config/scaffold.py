"""YAML config templates generated from a schema (``orch`` scaffolding, TUI config editor).

The template is valid YAML that loads into config passing validation: required entries get a
typed placeholder and a ``# required`` comment, defaults are written out, descriptions become
comments, a selector shows its first option filled in and the others commented out, and
optional entries without a default are commented out.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from orch.core.config.display import type_display
from orch.core.config.types import ConfigType, ConfigTypeKind
from orch.core.config.validate import as_config_type

K = ConfigTypeKind


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()

_PLACEHOLDERS = {"Int": "0", "Float": "0.0", "Bool": "false", "String": '""'}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
# Plain words YAML 1.1 (PyYAML) would read as booleans or null.
_RESERVED = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})
_LONG_TYPE = 60
# Characters PyYAML refuses raw, or reads as line breaks, inside a double-quoted scalar.
_UNSAFE_CHARS = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# In a comment, also every control character: a line break would end the comment.
_UNSAFE_IN_COMMENT = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)


def scaffold_config(schema: object, required_only: bool = False) -> str:
    """Return a YAML template for ``schema``.

    With ``required_only`` the template holds just what must be written (optional entries,
    including those with defaults, and selector alternatives are left out).
    """
    ct = as_config_type(schema)
    scaffolder = _Scaffolder(required_only)
    lines = _comment_lines(ct.description, 0)
    inline, block = scaffolder.value(ct, _MISSING, 0)
    if inline is not None:
        note = "" if ct.kind.has_fields else scaffolder.note(ct, required=True)
        lines.append(f"{inline}  # {_comment_safe(note)}" if note else inline)
        lines.extend(block)
    else:
        if ct.kind is K.SELECTOR:
            lines.append(f"# {_comment_safe(scaffolder.note(ct, required=True))}")
        lines.extend(block)
    return "\n".join(lines) + "\n"


class _Scaffolder:
    def __init__(self, required_only: bool):
        self.required_only = required_only

    def value(self, ct: ConfigType, hint: Any, indent: int) -> tuple[str | None, list[str]]:
        """Render a value: ``(inline, trailing comment lines)`` or ``(None, block lines)``.

        ``hint`` is the config-form value to show (a default), or ``_MISSING``; block lines
        are indented by ``indent`` spaces.
        """
        kind = ct.kind
        if kind is K.NONEABLE:
            if hint is _MISSING or hint is None:
                return "null", []
            return self.value(ct.inner_type, hint, indent)  # type: ignore[attr-defined]
        if kind is K.ANY:
            return ("null" if hint is _MISSING else _flow(hint)), []
        if kind is K.SCALAR:
            if hint is _MISSING:
                return _PLACEHOLDERS[ct.given_name or "String"], []
            return _scalar(hint), []
        if kind is K.ENUM:
            choice = ct.config_values[0] if hint is _MISSING else hint  # type: ignore[attr-defined]
            return _scalar(choice), []
        if kind is K.SCALAR_UNION:
            if isinstance(hint, (dict, list)):
                return self.value(ct.non_scalar_type, hint, indent)  # type: ignore[attr-defined]
            return self.value(ct.scalar_type, hint, indent)  # type: ignore[attr-defined]
        if kind is K.ARRAY:
            return self._array(ct, hint, indent)
        if kind is K.MAP:
            return ("{}" if hint is _MISSING else _flow(hint)), []
        if kind is K.SELECTOR:
            return self._selector(ct, hint, indent)
        return self._shape(ct, hint, indent)

    def _array(self, ct: ConfigType, hint: Any, indent: int) -> tuple[str | None, list[str]]:
        inner: ConfigType = ct.inner_type  # type: ignore[attr-defined]
        if hint is _MISSING:
            # One example element shows the shape of a list of dicts; lists of scalars stay [].
            if self.required_only or not inner.kind.has_fields:
                return "[]", []
            items: list[Any] = [_MISSING]
        else:
            items = list(hint)
        if not items:
            return "[]", []
        pad = " " * indent
        lines: list[str] = []
        for item in items:
            inline, block = self.value(inner, item, indent + 2)
            if inline is not None:
                lines.append(f"{pad}- {inline}")
                lines.extend(block)
                continue
            first = next(i for i, line in enumerate(block) if not line.lstrip().startswith("#"))
            lines.extend(block[:first])
            lines.append(f"{pad}- {block[first].lstrip()}")
            lines.extend(block[first + 1 :])
        return None, lines

    def _shape(self, ct: ConfigType, hint: Any, indent: int) -> tuple[str | None, list[str]]:
        fields = ct.fields  # type: ignore[attr-defined]
        given = hint if isinstance(hint, dict) else {}
        lines: list[str] = []
        real_entries = 0
        for name, field in fields.items():
            if name in given:
                field_hint = given[name]
            elif field.default_provided:
                field_hint = field.default_value
            else:
                field_hint = _MISSING
            if self.required_only and not field.is_required:
                continue
            if field_hint is _MISSING and _optional_list_of_optionals(field):
                continue  # e.g. solids.<s>.outputs: an empty list is all it could suggest
            commented = not field.is_required and field_hint is _MISSING
            real_entries += not commented
            lines += self.entry(
                name,
                field.config_type,
                field_hint,
                indent,
                required=field.is_required and field_hint is _MISSING,
                description=field.description,
                commented=commented,
            )
        if ct.kind is K.PERMISSIVE_SHAPE:
            pad = " " * indent
            for key, item in given.items():
                if key not in fields:
                    lines.append(f"{pad}{_key(key)}: {_flow(item)}")
                    real_entries += 1
        if not real_entries:
            # Only comments (or nothing) inside: YAML needs an explicit empty mapping.
            return "{}", lines
        return None, lines

    def _selector(self, ct: ConfigType, hint: Any, indent: int) -> tuple[str | None, list[str]]:
        fields = ct.fields  # type: ignore[attr-defined]
        if isinstance(hint, dict) and hint:
            chosen, chosen_hint = next(iter(hint.items()))
        else:
            chosen = next(iter(fields))
            field = fields[chosen]
            chosen_hint = field.default_value if field.default_provided else _MISSING
        if chosen_hint is None and fields[chosen].config_type.kind.has_fields:
            chosen_hint = _MISSING
        lines = self.entry(
            chosen,
            fields[chosen].config_type,
            chosen_hint,
            indent,
            required=False,
            description=fields[chosen].description,
        )
        if not self.required_only:
            for name, field in fields.items():
                if name == chosen:
                    continue
                default = field.default_value if field.default_provided else _MISSING
                lines += self.entry(
                    name,
                    field.config_type,
                    default,
                    indent,
                    required=False,
                    description=field.description,
                    commented=True,
                )
        return None, lines

    def entry(
        self,
        key: str,
        ct: ConfigType,
        hint: Any,
        indent: int,
        *,
        required: bool,
        description: str | None,
        commented: bool = False,
    ) -> list[str]:
        """Render ``key: value`` (plus its description), optionally commented out."""
        pad = " " * indent
        inline, block = self.value(ct, hint, indent + 2)
        note = self.note(ct, required)
        head = f"{pad}{_key(key)}:" + (f" {inline}" if inline is not None else "")
        body = [f"{head}  # {_comment_safe(note)}" if note else head, *block]
        if commented:
            body = [f"{line[:indent]}# {line[indent:]}" for line in body]
        return _comment_lines(description, indent) + body

    def note(self, ct: ConfigType, required: bool) -> str:
        """The trailing comment: requiredness, the type of scalar-like values, selector
        options."""
        kind = ct.kind
        type_info = ""
        choice = ""
        if kind is K.SELECTOR:
            choice = "choose one of: " + " | ".join(ct.fields)  # type: ignore[attr-defined]
        elif not kind.has_fields:
            type_info = type_display(ct)
            if kind is K.ENUM:
                type_info += ": " + " | ".join(ct.config_values)  # type: ignore[attr-defined]
            if len(type_info) > _LONG_TYPE:
                type_info = ""
        if required:
            note = f"required ({type_info})" if type_info else "required"
        else:
            note = type_info
        if choice:
            note = f"{note}; {choice}" if note else choice
        return note


def _optional_list_of_optionals(field: Any) -> bool:
    """An optional list whose entries need nothing: the template would be an empty list."""
    ct = field.config_type
    if field.is_required or ct.kind is not K.ARRAY:
        return False
    inner = ct.inner_type
    return inner.kind.has_fields and not any(f.is_required for f in inner.fields.values())


def _comment_lines(description: str | None, indent: int) -> list[str]:
    if not description:
        return []
    pad = " " * indent
    return [f"{pad}# {_comment_safe(line)}".rstrip() for line in description.splitlines()]


def _comment_safe(text: str) -> str:
    """Escape what cannot stand in a YAML comment (field names and enum values go into notes)."""
    return _UNSAFE_IN_COMMENT.sub(lambda m: repr(m.group())[1:-1], text)


def _key(key: object) -> str:
    if isinstance(key, str):
        return _string(key)
    return _scalar(key)


def _string(text: str) -> str:
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    return json.dumps(repr(value))


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"  # PyYAML (YAML 1.1) reads "1e+20" as a string, "1.0e+20" as a float
    return f"{mantissa}e{exponent}" if exponent else mantissa


def _flow(value: object) -> str:
    """Free-form data (Any, Permissive extras) in YAML flow style."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)
