"""Graph IR -> ``torch.fx.GraphModule``.

Forward is generated Python code, one line per block call, with no per-node dispatch
loop: ``print(model.code)`` reads like the spec. Submodules are registered under their
node ids (``rf4.crp.stage1.conv``), so ``state_dict`` keys follow the spec; stateless
blocks (add, concat, resize) become inline function calls. One output gives a tensor,
several give a dict; training-only outputs are returned in training mode only. Each fx node's
``meta["segkit_value"]`` names the IR value it computes. ReLUs and sums write into inputs
that nothing else reads (segkit/compiler/inplace.py), as hand-written networks do.
"""
from __future__ import annotations

import operator
import re

from segkit.core.graph import Graph, Value

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.

# torch (with the in-place pass and the functional ops, which need it) is imported inside
# compile_graph, so that importing this module (and `segkit check`) stays torch-free.


def class_name(spec_name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", spec_name)
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    return name if name[:1].isalpha() else "Spec" + name


def compile_graph(graph: Graph):
    """Compile an inferred graph into a GraphModule."""
    import torch.fx

    from segkit.compiler.inplace import make_inplace
    from segkit.ops import functional

    fx = torch.fx.Graph()
    env: dict[Value, torch.fx.Node] = {}
    for name in graph.inputs:
        env[Value(name)] = fx.placeholder(name)
    modules = {}
    for node in graph.nodes.values():
        args = tuple(env[v] for v in node.inputs)
        call = node.block.call(node.params)
        if call is not None:
            fn, kwargs = call
            result = fx.call_function(fn, args, kwargs)
            result.name = fx._graph_namespace.create_name(node.id.replace(".", "_"), None)
        else:
            shapes = [graph.shape(v) for v in node.inputs]
            modules[node.id] = node.block.build(node.params, *shapes)
            result = fx.call_module(node.id, args)
        names = node.block.output_names(node.params)
        if len(names) == 1:
            env[Value(node.id, names[0])] = result
        else:
            for k, name in enumerate(names):
                env[Value(node.id, name)] = fx.call_function(operator.getitem, (result, k))
        for name in names:
            env[Value(node.id, name)].meta["segkit_value"] = Value(node.id, name)
    outputs = {name: env[value] for name, value in graph.outputs.items()}
    if graph.train_outputs:
        training = fx.get_attr("training")
        keep = tuple(name for name in outputs if name not in graph.train_outputs)
        fx.output(fx.call_function(functional.select_outputs, (outputs, training), {"inference": keep}))
    elif len(outputs) == 1:
        fx.output(next(iter(outputs.values())))
    else:
        fx.output(outputs)
    make_inplace(fx, modules)
    return torch.fx.GraphModule(_hierarchy(modules), fx, class_name=class_name(graph.name))


def _hierarchy(modules: dict):
    """A module tree holding ``modules`` at their dotted paths, in spec order."""
    import torch.nn as nn

    root = nn.Module()
    for path, module in modules.items():
        parent = root
        *parents, leaf = path.split(".")
        for name in parents:
            if name not in parent._modules:
                parent.add_module(name, nn.Module())
            parent = parent._modules[name]
        parent.add_module(leaf, module)
    return root

