"""The spec an import produces, built node by node: ids derived from the source's
module names, params written only where they differ from the block's defaults, and the
state dict keyed as ``segkit.build`` names the parameters (``node_id.param``)."""
from __future__ import annotations

import re

import yaml

from segkit.core.block import Block


def node_id(name: str) -> str:
    """A spec node id for a module path or fx node name: ``layer1.0.conv1`` -> ``layer1_0_conv1``."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident[:1].isalpha() or ident[:1] == "_" else f"m{ident}"


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip() \
        .removesuffix("...").strip()


class SpecBuilder:
    """Accumulates nodes (in order), their state and the outputs of the imported spec."""

    def __init__(self, name: str, input_name: str, channels: int, size: tuple[int, ...]):
        self.name = name
        self.input_name = input_name
        self.channels = channels
        self.size = size
        self.nodes: dict[str, dict] = {}
        self.state: dict = {}
        self.outputs: dict[str, str] = {}

    def fresh(self, name: str) -> str:
        """A node id from ``name``, unique in the spec."""
        base = node_id(name)
        ident, k = base, 1
        while ident in self.nodes or ident == self.input_name:
            k += 1
            ident = f"{base}_{k}"
        return ident

    def emit(self, block: type[Block], name: str, sources: list[str], state: dict | None = None, **params) -> str:
        """Add a node calling ``block`` on ``sources`` with ``params``; ``state`` maps the
        built module's parameter names to tensors. Returns the node id."""
        ident = self.fresh(name)
        fields = block.Params.model_fields
        written = {k: v for k, v in params.items() if k not in fields or fields[k].is_required()
                   or fields[k].default != v or type(fields[k].default) is not type(v)}
        self.nodes[ident] = {"block": block.name, "from": sources[0] if len(sources) == 1 else sources, **written}
        for key, tensor in (state or {}).items():
            self.state[f"{ident}.{key}"] = tensor.detach().clone()
        return ident

    def yaml(self, description: str) -> str:
        """The spec as YAML text, one node per line."""
        size = self.size[0] if len(set(self.size)) == 1 else list(self.size)
        lines = ["segkit: 1", f"name: {_flow(self.name)}", f"description: {_flow(description)}", "inputs:",
                 f"  {self.input_name}: {_flow({'channels': self.channels, 'rank': len(self.size), 'size': size})}",
                 "nodes:"]
        lines += [f"  {ident}: {_flow(node)}" for ident, node in self.nodes.items()]
        lines.append("outputs:")
        lines += [f"  {name}: {ref}" for name, ref in self.outputs.items()]
        return "\n".join(lines) + "\n"
