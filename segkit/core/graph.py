"""The graph IR: a flat DAG of block calls produced by resolving a spec.

Node kinds: every ``Node`` calls one Python block (a primitive op or a Python
block from a plugin); composite (YAML) blocks are expanded into their nodes, whose
ids are dotted paths (``rf4.crp.stage1.conv``), so module and ``state_dict`` names read
like the spec. ``Value`` names one output of a node or a graph input.
Analysis results live in ``node.meta``: ``inference`` (the block's Inference),
``shapes`` (output name -> Shape), ``stride`` and ``rf`` (per spatial dim).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from segkit.core.shape import Shape
from segkit.errors import GraphError, SourceLoc


@dataclass(frozen=True)
class Value:
    """One output of a node (``node``, ``output``), or a graph input (output "out")."""

    node: str
    output: str = "out"

    def __str__(self) -> str:
        return self.node if self.output == "out" else f"{self.node}.{self.output}"


@dataclass
class Node:
    """One block call. ``group`` is the id of the top-level spec node it came from;
    ``trace`` lists the call sites of the composite blocks it is nested in."""

    id: str
    block: Any
    params: Any
    inputs: list[Value]
    loc: SourceLoc
    group: str
    trace: tuple = ()
    meta: dict = field(default_factory=dict)

    @property
    def op(self) -> str:
        return self.block.name


@dataclass
class Group:
    """A top-level spec node: the block it calls, where, and the values it produces."""

    block: str
    loc: SourceLoc
    outputs: dict[str, Value] = field(default_factory=dict)


@dataclass
class Warning_:
    message: str
    loc: SourceLoc

    def format(self) -> str:
        return f"{self.loc}: warning: {self.message}"


@dataclass
class Graph:
    """A resolved spec: inputs, nodes in topological order, named outputs.

    ``groups`` maps each top-level node id to its Group, for reports that collapse
    composite blocks. ``train_outputs`` names the outputs only training uses.
    ``inputs`` maps each input name to its declaration in the spec; ``input_meta`` holds
    the analysis results of the inputs as ``node.meta`` holds a node's.
    """

    name: str
    inputs: dict[str, Any]
    nodes: dict[str, Node] = field(default_factory=dict)
    outputs: dict[str, Value] = field(default_factory=dict)
    train_outputs: set[str] = field(default_factory=set)
    groups: dict[str, Group] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    spec: Any = None
    input_meta: dict[str, dict] = field(default_factory=dict)

    def add(self, node: Node) -> None:
        if node.id in self.nodes or node.id in self.inputs:
            raise GraphError(f"duplicate node id {node.id!r}", node.loc)
        self.nodes[node.id] = node

    def producers(self, value: Value) -> Node | None:
        return self.nodes.get(value.node)

    def meta(self, value: Value) -> dict:
        """The analysis results of the node or graph input that ``value`` names."""
        node = self.nodes.get(value.node)
        return node.meta if node is not None else self.input_meta[value.node]

    def shape(self, value: Value) -> Shape:
        """The inferred shape of ``value``."""
        return self.meta(value)["shapes"][value.output]

    @property
    def input_shapes(self) -> dict[str, Shape]:
        """The shape of each graph input that the analysis ran with."""
        return {name: meta["shapes"]["out"] for name, meta in self.input_meta.items()}

    def consumers(self) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for value in node.inputs:
                users.setdefault(value.node, []).append(node.id)
        return users


def lint(graph: Graph, dropped: tuple = ()) -> None:
    """Structural checks on a resolved graph; prunes and warns about unused nodes.

    Dangling references, cycles and duplicate ids are caught while resolving (where the
    YAML location is at hand); here: outputs must exist, and nodes that feed no output
    are removed with a warning naming them, except those only the ``dropped`` values
    (training-only outputs left out on purpose) used.
    """
    if not graph.outputs:
        raise GraphError(f"spec {graph.name!r} declares no outputs",
                         graph.spec.loc("outputs") if graph.spec else SourceLoc(),
                         "add e.g. outputs: {out: logits}")
    live: set[str] = set()
    stack = [v.node for v in graph.outputs.values()]
    while stack:
        node_id = stack.pop()
        if node_id in live or node_id not in graph.nodes:
            continue
        live.add(node_id)
        stack.extend(v.node for v in graph.nodes[node_id].inputs)
    quiet = _ancestors(graph, [v.node for v in dropped])
    dead_groups = {}
    for node_id in list(graph.nodes):
        if node_id not in live:
            node = graph.nodes.pop(node_id)
            if node_id not in quiet:
                dead_groups.setdefault(node.group, node)
    live_groups = {n.group for n in graph.nodes.values()}
    for group, node in dead_groups.items():
        if group not in live_groups:
            info = graph.groups.get(group, Group(node.op, node.loc))
            graph.warnings.append(Warning_(f"node {group!r} ({info.block}) is not used by any output; "
                                           "it is left out", info.loc))
            graph.groups.pop(group, None)


def _ancestors(graph: Graph, roots: list[str]) -> set[str]:
    """The nodes ``roots`` depend on, themselves included."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in graph.nodes:
            continue
        seen.add(node_id)
        stack.extend(v.node for v in graph.nodes[node_id].inputs)
    return seen
