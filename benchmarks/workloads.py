"""The benchmark workloads (BENCHMARKS.md): trivial solid bodies so orchestration dominates.

* ``chain_N``   — a linear chain of N solids;
* ``fanout_N``  — one source, N parallel solids, one sink that fans in;
* ``wide_200``  — 20 layers of 10 solids, each depending on 2 solids of the previous layer.

Importable by file path too, so the multiprocess benchmark's step processes can rebuild them.
"""

from __future__ import annotations

from orch import (
    DependencyDefinition,
    InputDefinition,
    List,
    ModeDefinition,
    MultiDependencyDefinition,
    OutputDefinition,
    PipelineDefinition,
    SolidDefinition,
    SolidInvocation,
    fs_io_manager,
)


def _compute(_context, inputs):
    from orch import Output

    yield Output(sum(v if isinstance(v, int) else sum(v) for v in inputs.values()) + 1)


def _solid(name: str, inputs: list[str], fan_in: bool = False) -> SolidDefinition:
    input_defs = [InputDefinition(i, List[int] if fan_in else int) for i in inputs]
    return SolidDefinition(name, input_defs, _compute, [OutputDefinition(int)])


def _modes(persistent: bool) -> list[ModeDefinition]:
    if persistent:
        return [ModeDefinition(resource_defs={"io_manager": fs_io_manager})]
    return [ModeDefinition()]


def chain(n: int, persistent: bool = False) -> PipelineDefinition:
    source = _solid("start", [])
    step = _solid("step", ["x"])
    deps: dict = {SolidInvocation("start"): {}}
    prev = "start"
    for i in range(1, n):
        name = f"step_{i}"
        deps[SolidInvocation("step", alias=name)] = {"x": DependencyDefinition(prev)}
        prev = name
    solids = [source, step] if n > 1 else [source]  # an unused definition is a node too
    return PipelineDefinition(solids, name=f"chain_{n}", dependencies=deps,
                              mode_defs=_modes(persistent))


def fanout(n: int, persistent: bool = False) -> PipelineDefinition:
    source = _solid("source", [])
    leaf = _solid("leaf", ["x"])
    sink = _solid("sink", ["xs"], fan_in=True)
    deps: dict = {SolidInvocation("source"): {}}
    for i in range(n):
        deps[SolidInvocation("leaf", alias=f"leaf_{i}")] = {"x": DependencyDefinition("source")}
    deps[SolidInvocation("sink")] = {
        "xs": MultiDependencyDefinition([DependencyDefinition(f"leaf_{i}") for i in range(n)])
    }
    return PipelineDefinition([source, leaf, sink], name=f"fanout_{n}", dependencies=deps,
                              mode_defs=_modes(persistent))


def wide(layers: int = 20, width: int = 10, persistent: bool = False) -> PipelineDefinition:
    root = _solid("root", [])
    node = _solid("node", ["a", "b"])
    deps: dict = {SolidInvocation("root"): {}}
    previous = ["root"]
    for layer in range(layers):
        current = []
        for j in range(width):
            name = f"n_{layer}_{j}"
            a = previous[j % len(previous)]
            b = previous[(j + 1) % len(previous)]
            deps[SolidInvocation("node", alias=name)] = {
                "a": DependencyDefinition(a), "b": DependencyDefinition(b),
            }
            current.append(name)
        previous = current
    return PipelineDefinition([root, node], name=f"wide_{layers * width}", dependencies=deps,
                              mode_defs=_modes(persistent))


def workloads(persistent: bool = False) -> dict[str, PipelineDefinition]:
    return {
        "chain_50": chain(50, persistent),
        "fanout_100": fanout(100, persistent),
        "wide_200": wide(20, 10, persistent),
    }


# Module-level definitions so a forked or re-imported process can find them by name.
chain_50 = chain(50, persistent=True)
fanout_100 = fanout(100, persistent=True)
wide_200 = wide(20, 10, persistent=True)
