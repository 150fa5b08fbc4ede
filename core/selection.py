"""The selection grammar (LEGACY_API.md §2): ``a``, ``*a``, ``a+``, ``++a``, ``*a+``, lists.

A clause is a name with an optional prefix (ancestors) and suffix (descendants): ``*`` means
unlimited depth, ``n`` pluses mean n levels. The walk is a true level-by-level breadth-first
search (the legacy traversal decremented its counter per edge, not per level).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from .errors import DagsterExecutionStepNotFoundError, DagsterInvalidSubsetError

CLAUSE_RE = re.compile(r"^(\*?\+*)?([.\w\d\[\]?_-]+)(\+*\*?)?$")
UNLIMITED = -1


@dataclass(frozen=True)
class Clause:
    name: str
    up_depth: int
    down_depth: int


def _depth(part: str) -> int:
    if "*" in part:
        return UNLIMITED
    return part.count("+")


def parse_clause(clause: str) -> Clause | None:
    """Parse one clause; None when it does not match the grammar."""
    if not isinstance(clause, str):
        return None
    match = CLAUSE_RE.match(clause.strip())
    if not match:
        return None
    prefix, name, suffix = match.group(1) or "", match.group(2), match.group(3) or ""
    return Clause(name, _depth(prefix), _depth(suffix))


def split_selection(selection: str | Iterable[str]) -> list[str]:
    """The CLI's ``-s "a,*b+"`` form or a list, as a list of stripped clauses.

    Empty pieces of a comma string are dropped (``"a,"``); in a list every item is a clause,
    so a blank one is a malformed clause and the selection fails like any other."""
    if isinstance(selection, str):
        return [c.strip() for c in selection.split(",") if c.strip()]
    return [c.strip() if isinstance(c, str) else c for c in selection]


def _walk(start: str, edges: Mapping[str, Iterable[str]], depth: int) -> set[str]:
    found: set[str] = set()
    frontier = {start}
    level = 0
    while frontier and (depth == UNLIMITED or level < depth):
        nxt = set()
        for node in frontier:
            for other in edges.get(node, ()):
                if other not in found and other != start:
                    found.add(other)
                    nxt.add(other)
        frontier = nxt
        level += 1
    return found


def downstream_closure(roots: Iterable[str], children: Mapping[str, Iterable[str]]
                       ) -> set[str]:
    """``roots`` and everything downstream of them (``children``: node -> its children)."""
    found = set(roots)
    frontier = list(found)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def select(
    clauses: Iterable[str],
    parents: Mapping[str, Iterable[str]],
    children: Mapping[str, Iterable[str]],
) -> set[str] | None:
    """Items selected by ``clauses``; None if any clause is malformed or selects nothing."""
    selected: set[str] = set()
    for raw in clauses:
        clause = parse_clause(raw)
        if clause is None or clause.name not in parents:
            return None
        selected.add(clause.name)
        selected |= _walk(clause.name, parents, clause.up_depth)
        selected |= _walk(clause.name, children, clause.down_depth)
    return selected


def _explain(clauses: list[str], names: Iterable[str]) -> str:
    names = sorted(names)
    bad = [c for c in clauses if (p := parse_clause(c)) is None or p.name not in names]
    detail = []
    for c in bad:
        parsed = parse_clause(c)
        if parsed is None:
            detail.append(f'"{c}" is not valid selection syntax (use name, *name, name+, ++name)')
        else:
            detail.append(f'"{parsed.name}" does not exist')
    return "; ".join(detail) + f". Available: {names}."


def select_solids(
    clauses: str | Iterable[str],
    parents: Mapping[str, Iterable[str]],
    children: Mapping[str, Iterable[str]],
) -> set[str]:
    """Resolve a solid selection, or raise listing the available solids."""
    clause_list = split_selection(clauses)
    result = select(clause_list, parents, children) if clause_list else None
    if not result:
        raise DagsterInvalidSubsetError(
            f"No qualified solids to execute found for solid_selection={clause_list}: "
            + _explain(clause_list, parents)
        )
    return result


LEGACY_STEP_SUFFIX = ".compute"


def normalize_step_key(key: str, known: Container[str]) -> str:
    """A step key as orch's plans name it. Dagster before 0.10 named a solid's step
    ``<handle>.compute`` (``<handle>.compute[<mapping key>]`` for a mapped copy); such a key
    means ``<handle>`` (``<handle>[<mapping key>]``) when that is a step of ``known`` and the
    key itself is not (a composite's inner solid may be called ``compute``)."""
    if not isinstance(key, str) or key in known:
        return key
    base, bracket, mapping = key.partition("[")
    if not base.endswith(LEGACY_STEP_SUFFIX):
        return key
    plain = base[:-len(LEGACY_STEP_SUFFIX)] + bracket + mapping
    placeholder = base[:-len(LEGACY_STEP_SUFFIX)] + "[?]"
    return plain if plain in known or (bracket and placeholder in known) else key


def normalize_step_clauses(clauses: list[str], known: Container[str]) -> list[str]:
    """Each clause with its step key normalised (``*a.compute+`` -> ``*a+``)."""
    out = []
    for raw in clauses:
        parsed = parse_clause(raw)
        name = normalize_step_key(parsed.name, known) if parsed is not None else raw
        if parsed is None or name == parsed.name:
            out.append(raw)
            continue
        prefix, _, suffix = raw.strip().partition(parsed.name)
        out.append(f"{prefix}{name}{suffix}")
    return out


def expand_mapped_clauses(clauses: list[str], step_keys: Iterable[str]) -> list[str]:
    """Each clause whose name is a mapped solid, not a step key, as one clause per copy."""
    keys = list(step_keys)
    known = set(keys)
    out: list[str] = []
    for raw in clauses:
        parsed = parse_clause(raw)
        if parsed is None or parsed.name in known:
            out.append(raw)
            continue
        copies = [k for k in keys if k.startswith(f"{parsed.name}[")]
        if not copies:
            out.append(raw)
            continue
        prefix, _, suffix = raw.strip().partition(parsed.name)
        out.extend(f"{prefix}{copy}{suffix}" for copy in copies)
    return out


def select_steps(
    clauses: str | Iterable[str],
    parents: Mapping[str, Iterable[str]],
    children: Mapping[str, Iterable[str]],
) -> set[str]:
    """Resolve a step selection over a plan's step graph (keys such as ``x[k1]`` allowed).

    A clause naming a mapped solid (``fx_convert*``) selects each of its copies
    (``fx_convert[k]``, or ``fx_convert[?]`` before its keys are known) with the same
    prefix and suffix."""
    clause_list = expand_mapped_clauses(
        normalize_step_clauses(split_selection(clauses), parents), parents)
    for c in clause_list:
        parsed = parse_clause(c)
        if parsed is not None and parsed.name not in parents:
            raise DagsterExecutionStepNotFoundError(
                f"Execution plan does not contain step: {parsed.name}. "
                f"Available steps: {sorted(parents)}."
            )
    result = select(clause_list, parents, children) if clause_list else None
    if not result:
        raise DagsterInvalidSubsetError(
            f"No qualified steps to execute found for step_selection={clause_list}: "
            + _explain(clause_list, parents)
        )
    return result
