"""Resolution: a loaded spec plus param values becomes the graph IR.

This is where the language's constructs are given meaning:
- ``params`` are evaluated in order (later ones may use earlier ones); ``--set``
  overrides replace defaults before evaluation;
- node fields are ``${...}``-substituted; expressions may call ``channels(ref)`` to read
  the channel count of a node or input (that is why resolution infers shapes as it goes);
- ``from`` names inputs, nodes or named outputs (``enc.c3``); without ``from`` a node
  takes the previous node (or the only input);
- ``repeat: N`` chains a node N times with ``i`` = 0..N-1 in scope; ids get ``.i``;
- ``when: ${cond}`` false makes the node pass its (single) input through, so blocks can
  have optional parts (``norm: none``);
- a block that is a YAML spec (registered, or a path) is expanded in place: its params
  become block params, its inputs bind to ``from``, its nodes get dotted ids;
- references are resolved on demand, so node order is free and cycles are detected.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from segkit.analysis.infer import Analysis
from segkit.core.block import Block, Macro, ParamError, ref_fields
from segkit.core.graph import Graph, Group, Node, Value, lint
from segkit.core.shape import Shape
from segkit.core.suggest import did_you_mean
from segkit.errors import GraphError, ReferenceError_, SegkitError, SourceLoc, SpecSchemaError
from segkit.lang.checks import first_failure
from segkit.lang.composite import CompositeBlock
from segkit.lang.expr import SpecFunction, spec_budget, substitute
from segkit.lang.loader import LocMap
from segkit.lang.schema import NODE_KEYS, Spec, load_spec, validate_spec_data

DEFAULT_SIZE = 256
MAX_NESTING = 32
MAX_REPEAT = 1000
FAILURE = "failure"
"""node.meta key: the error that stops a node from inferring, deferred until an output
needs the node."""
"""``node.meta`` key of the error that stopped a node from inferring at the analysed
sizes. What a spec computes is what its outputs need: such a node is only an error if
an output needs it (or something reads its shape); nodes no output needs are left out
with a warning (``core.graph.lint``) and constrain no size, as in the size rule and the
built module."""


def substitute_deep(value, scope: dict, spec: Spec, path: tuple):
    """``substitute`` through lists and dicts, with each element's own location."""
    if isinstance(value, dict):
        return {k: substitute_deep(v, scope, spec, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_deep(v, scope, spec, path + (i,)) for i, v in enumerate(value)]
    return substitute(value, scope, spec.locs.at(path))


def evaluate_params(spec: Spec, overrides: dict, override_loc: SourceLoc | None = None) -> dict:
    """Spec params with ``overrides`` applied, evaluated in declaration order."""
    declared = spec.params
    for name in overrides:
        if name not in declared:
            hint = did_you_mean(name, declared) or (f"params of {spec.name!r}: {', '.join(declared)}"
                                                    if declared else f"{spec.name!r} has no params")
            raise SpecSchemaError(f"{spec.name!r} has no param {name!r}", override_loc or spec.loc("params"), hint)
    values: dict = {}
    for name, default in declared.items():
        if name in overrides:
            raw = overrides[name]
            values[name] = substitute(raw, values, override_loc) if not isinstance(raw, (list, dict)) else raw
        else:
            values[name] = substitute_deep(default, values, spec, ("params", name))
    return values


class Resolver:
    """Expands specs into one Graph, inferring shapes node by node."""

    def __init__(self, registry):
        """``registry`` finds blocks and specs by name (see :mod:`segkit.plugins.registry`)."""
        self.registry = registry

    def resolve(self, spec: Spec, params: dict | None = None, input_shapes: dict[str, Shape] | None = None,
                set_loc: SourceLoc | None = None, train_heads: bool = True) -> Graph:
        """Resolve ``spec``; ``train_heads=False`` leaves out training-only outputs and
        the nodes only they use (an inference model). Every ``${...}`` evaluated on
        the way shares one work budget (:func:`segkit.lang.expr.spec_budget`)."""
        with spec_budget():
            return self._resolve(spec, params, input_shapes, set_loc, train_heads)

    def _resolve(self, spec, params, input_shapes, set_loc, train_heads) -> Graph:
        values = evaluate_params(spec, params or {}, set_loc)
        graph = Graph(spec.name, spec.inputs, params=values, spec=spec)
        shapes = self.input_shapes(spec, values, input_shapes or {})
        failure = first_failure(spec, values, lambda name: _input(shapes, name, spec).channels)
        if failure:
            index, check = failure
            if check.param is None:
                raise SpecSchemaError(check.message, spec.loc("checks", index))
            where = set_loc if check.param in (params or {}) and set_loc else spec.loc("params", check.param)
            raise SpecSchemaError(f"param {check.param!r}: {check.message}", where)
        self.failed_here: list[Node] = []  # nodes whose own inference failed (not upstream)
        self.analysis = Analysis(graph, shapes)
        self.graph = graph
        bindings = {name: Value(name) for name in spec.inputs}
        outputs = self.expand(spec, values, "", bindings, trace=(), group=None, depth=0)
        train = spec.train_outputs
        graph.outputs = {k: v for k, v in outputs.items() if train_heads or k not in train}
        graph.train_outputs = train & set(graph.outputs)
        if not train_heads and not graph.outputs:
            raise GraphError("every output is training-only", spec.loc("outputs"))
        lint(graph, dropped=tuple(v for k, v in outputs.items() if k not in graph.outputs))
        for node in graph.nodes.values():
            if FAILURE in node.meta:  # a node an output needs does not infer at these sizes
                raise node.meta[FAILURE]
        return graph

    def shape(self, value: Value) -> Shape:
        """The inferred shape of ``value``; raises the error that stopped its producer from
        inferring when something needs it (``channels()``, a macro's or a composite block's
        input check)."""
        failed = self.failure(value)
        if failed is not None:
            raise failed
        return self.graph.shape(value)

    def relocate_failures(self, prefix: str, place) -> None:
        """Apply ``place`` (what a raised error gets on leaving a block: :func:`relocate`
        or a note) once to each deferred error that arose inside the block's nodes."""
        placed = set()
        for node in self.failed_here:  # usually none: this stays linear in the graph
            exc = node.meta[FAILURE]
            if node.id.startswith(prefix) and id(exc) not in placed:
                place(exc)
                placed.add(id(exc))

    def failure(self, value: Value) -> SegkitError | None:
        """The error that stopped ``value``'s producer from inferring, if any."""
        producer = self.graph.nodes.get(value.node)
        return producer.meta.get(FAILURE) if producer is not None else None

    def input_shapes(self, spec: Spec, values: dict, given: dict[str, Shape]) -> dict[str, Shape]:
        shapes = {}
        for name in given:
            if name not in spec.inputs:
                raise SpecSchemaError(f"spec {spec.name!r} has no input {name!r}", spec.loc("inputs"),
                                      did_you_mean(name, spec.inputs))
        for name, decl in spec.inputs.items():
            loc = spec.loc("inputs", name)
            channels = substitute(decl.channels, values, spec.loc("inputs", name, "channels"))
            if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
                raise SpecSchemaError(f"input {name!r} needs a positive channel count, got {channels!r}", loc)
            if name in given:
                shape = given[name]
                option = "--input " + (f"{name}=" if len(spec.inputs) > 1 else "")
                if shape.rank != decl.rank:  # before the channels, so that the hint is a valid size
                    raise SpecSchemaError(f"input {name!r} has {decl.rank} spatial dims, but {shape} was given", loc,
                                          f"use {option}{_with_rank(shape, channels, decl.rank)}")
                if shape.channels != channels:
                    raise SpecSchemaError(f"input {name!r} has {channels} channels, but {shape} was given", loc,
                                          f"use {option}{channels}x{'x'.join(map(str, shape.spatial))}")
            else:
                shape = Shape(channels, self.example_size(name, decl, values, spec))
            shapes[name] = shape
        return shapes

    def example_size(self, name: str, decl, values: dict, spec: Spec) -> tuple[int, ...]:
        """The declared example size of input ``name`` (or the default), validated."""
        loc = spec.loc("inputs", name, "size")
        size = substitute(decl.size, values, loc) if decl.size is not None else DEFAULT_SIZE
        sizes = size if isinstance(size, list) else [size] * decl.rank
        if len(sizes) != decl.rank:
            raise SpecSchemaError(f"input {name!r} has rank {decl.rank} but size {size!r} has {len(sizes)} values",
                                  loc)
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes):
            raise SpecSchemaError(f"input {name!r} needs positive integer sizes, got {size!r}", loc)
        return tuple(sizes)

    # -- expansion -------------------------------------------------------------------

    def expand(self, spec: Spec, params: dict, prefix: str, bindings: dict[str, Value],
               trace: tuple, group: str | None, depth: int) -> dict[str, Value]:
        if depth > MAX_NESTING:
            raise GraphError("blocks are nested too deeply (a block that uses itself?)", trace[-1])
        scope = _Scope(self, spec, params, prefix, bindings, trace, group, depth)
        for node_id in spec.nodes:
            scope.ensure(node_id)
        outputs = {}
        for name, ref in spec.outputs.items():
            loc = spec.loc("outputs", name)
            ref = substitute(ref, params, loc)
            if ref is not None:  # an output may evaluate to null: ${'enc.se' if se else None}
                outputs[name] = scope.lookup(str(ref), loc)
        return outputs


class _Scope:
    """One spec being expanded: its params, bound inputs and resolved nodes."""

    def __init__(self, resolver: Resolver, spec: Spec, params: dict, prefix: str,
                 bindings: dict[str, Value], trace: tuple, group: str | None, depth: int):
        self.resolver = resolver
        self.spec = spec
        self.params = params
        self.prefix = prefix
        self.bindings = bindings
        self.trace = trace
        self.group = group
        self.depth = depth
        self.done: dict[str, dict[str, Value]] = {}
        self.iterations: dict[str, list[Value]] = {}
        self.visiting: list[str] = []
        self.current: list[tuple] = []
        self.order = list(spec.nodes)

    # references

    def lookup(self, ref, loc: SourceLoc, want: str | None = None) -> Value:
        if not isinstance(ref, str) or not ref:
            raise ReferenceError_(f"a reference must be a node or input name, got {ref!r}", loc)
        head, dot, tail = ref.partition(".")
        if dot and not tail:
            raise ReferenceError_(f"{ref!r} names no output after the '.'", loc, f"write {head!r} or {head}.NAME")
        if head in self.bindings:
            if tail:
                raise ReferenceError_(f"input {head!r} has no named outputs (got {ref!r})", loc)
            return self.bindings[head]
        if head not in self.spec.nodes:
            known = list(self.bindings) + self.order
            raise ReferenceError_(f"{ref!r} names no node or input of {self.spec.name!r}", loc,
                                  did_you_mean(head, known) or f"known names: {', '.join(known)}")
        outs = self.ensure(head)
        if tail.isdigit() and tail not in outs and head in self.iterations:
            steps = self.iterations[head]
            if int(tail) >= len(steps):
                raise ReferenceError_(f"node {head!r} repeats {len(steps)} times; there is no iteration {tail}", loc)
            return steps[int(tail)]
        name = tail or want
        if name:
            if name not in outs:
                raise ReferenceError_(f"node {head!r} has no output {name!r}", loc,
                                      did_you_mean(name, outs) or f"its outputs: {', '.join(outs)}")
            return outs[name]
        return default_output(head, outs, loc)

    def channels(self, ref) -> int:
        loc = self.spec.loc(*(self.current[-1] if self.current else ("nodes",)))
        return self.resolver.shape(self.lookup(ref, loc)).channels

    # nodes

    def ensure(self, node_id: str) -> dict[str, Value]:
        if node_id in self.done:
            return self.done[node_id]
        if node_id in self.visiting:
            cycle = self.visiting[self.visiting.index(node_id):] + [node_id]
            raise GraphError(f"cycle: {' -> '.join(cycle)}", self.spec.loc("nodes", node_id),
                             "a node cannot depend on its own output")
        self.visiting.append(node_id)
        try:
            outs = self.resolve_node(node_id)
        finally:
            self.visiting.pop()
        self.done[node_id] = outs
        return outs

    def resolve_node(self, node_id: str) -> dict[str, Value]:
        raw = self.spec.nodes[node_id]
        path = ("nodes", node_id)
        loc = self.spec.loc(*path)
        self.current.append(path)
        try:
            return self.resolve_repeats(node_id, raw, path, loc)
        finally:
            self.current.pop()

    def resolve_repeats(self, node_id: str, raw: dict, path: tuple, loc: SourceLoc) -> dict[str, Value]:
        scope = {**self.params, "channels": SpecFunction(self.channels)}
        count = substitute(raw.get("repeat"), scope, self.spec.loc(*path, "repeat"))
        repeated = count is not None
        if repeated and (not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_REPEAT):
            raise SpecSchemaError(f"repeat must be a non-negative integer up to {MAX_REPEAT}, got {count!r}",
                                  self.spec.loc(*path, "repeat"))
        inputs = self.from_values(node_id, raw, scope, path)
        enabled = substitute(raw.get("when", True), scope, self.spec.loc(*path, "when"))
        if not isinstance(enabled, bool):
            raise SpecSchemaError(f"when must be true or false, got {enabled!r}", self.spec.loc(*path, "when"))
        if not enabled or (repeated and count == 0):
            if len(inputs) != 1:
                raise SpecSchemaError("a skipped node (when: false, repeat: 0) needs exactly one input "
                                      "to pass through", loc)
            self.check_skipped(raw, {**scope, "i": 0} if repeated else scope, path, loc)
            return {"out": inputs[0][0]}
        outs: dict[str, Value] = {}
        steps = []
        for i in range(count if repeated else 1):
            iteration_scope = {**scope, "i": i} if repeated else scope
            node_path = f"{self.prefix}{node_id}" + (f".{i}" if repeated else "")
            outs = self.call(node_id, node_path, raw, iteration_scope, inputs, path, loc)
            if repeated:
                steps.append(default_output(node_id, outs, loc))
                inputs = [(steps[-1], f"{node_id}.{i}")]
        if repeated:
            self.iterations[node_id] = steps
        return outs

    def check_skipped(self, raw: dict, scope: dict, path: tuple, loc: SourceLoc) -> None:
        """Validate a skipped node's params against its block all the same (``i`` is 0 in
        a ``repeat: 0`` node), so that a typo in a branch that is off is an error now,
        not on the day it is switched on."""
        fields = self.node_fields(raw, scope, path)
        block_loc = self.spec.loc(*path, "block")
        block = self.find_block(substitute(raw["block"], scope, block_loc), block_loc)
        if isinstance(block, CompositeBlock):
            self.composite_params(block, fields, path, loc)
        else:
            validate_params(block, fields, self.spec, path)

    def composite_params(self, block: CompositeBlock, fields: dict, path: tuple, loc: SourceLoc) -> dict:
        """The params of a call of ``block``; an unknown one is located at its key."""
        try:
            return evaluate_params(block.spec, fields, loc)
        except SpecSchemaError as exc:
            bad = next((k for k in fields if k not in block.spec.params), None)
            if bad is not None:
                exc.loc = self.spec.loc(*path, bad)
            raise

    def from_values(self, node_id: str, raw: dict, scope: dict, path: tuple) -> list[tuple[Value, str]]:
        """The node's inputs as (value, name as written) pairs."""
        loc = self.spec.loc(*path, "from")
        if "from" not in raw:
            index = self.order.index(node_id)
            if index > 0:
                previous = self.order[index - 1]
                return [(self.lookup(previous, loc), previous)]
            if len(self.bindings) == 1:
                name = next(iter(self.bindings))
                return [(self.bindings[name], name)]
            raise SpecSchemaError(f"node {node_id!r} needs 'from': it is the first node and the spec has "
                                  f"{len(self.bindings)} inputs", self.spec.loc(*path))
        refs = substitute_deep(raw["from"], scope, self.spec, path + ("from",))
        if isinstance(refs, str):
            return [(self.lookup(refs, loc), refs)]
        if isinstance(refs, list):
            return [(self.lookup(r, self.spec.loc(*path, "from", k)), str(r)) for k, r in enumerate(refs)]
        if isinstance(refs, dict):
            return [(self.lookup(r, self.spec.loc(*path, "from", k)), f"{k}={r}") for k, r in refs.items()]
        raise SpecSchemaError(f"'from' must be a name or a list of names, got {refs!r}", loc)

    def node_fields(self, raw: dict, scope: dict, path: tuple) -> dict:
        """The params of a node call: its param keys, plus the mapping its ``args`` key
        gives (params that depend on which block a ``${...}`` ``block`` chose)."""
        fields = {k: substitute_deep(v, scope, self.spec, path + (k,))
                  for k, v in raw.items() if k not in NODE_KEYS}
        args = substitute_deep(raw.get("args", {}), scope, self.spec, path + ("args",))
        if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
            raise SpecSchemaError(f"'args' must be a mapping of params, got {args!r}", self.spec.loc(*path, "args"))
        both = next((k for k in args if k in fields), None)
        if both is not None:
            raise SpecSchemaError(f"param {both!r} is given both as a key and in 'args'", self.spec.loc(*path, both))
        return {**fields, **args}

    def call(self, node_id, node_path, raw, scope, inputs, path, loc) -> dict[str, Value]:
        fields = self.node_fields(raw, scope, path)
        block_name = substitute(raw["block"], scope, self.spec.loc(*path, "block"))
        block = self.find_block(block_name, self.spec.loc(*path, "block"))
        group = self.group or node_id
        if isinstance(block, CompositeBlock):
            outs = self.call_composite(block, node_path, fields, inputs, raw, path, loc, group)
        elif isinstance(block, Macro):
            outs = self.call_macro(block, node_path, fields, inputs, path, loc, group)
        else:
            outs = self.call_python(block, node_path, fields, inputs, path, loc, group)
        if self.group is None:
            self.resolver.graph.groups[node_id] = Group(str(block_name), loc, outs)
        return outs

    def find_block(self, name, loc):
        if not isinstance(name, str):
            raise SpecSchemaError(f"'block' must be a block name, got {name!r}", loc)
        if name.endswith((".yaml", ".yml")):
            base = self.spec.path.parent if self.spec.path else Path.cwd()
            file = base / name
            if not file.is_file():
                raise ReferenceError_(f"block spec file {name!r} not found (looked in {base})", loc)
            return CompositeBlock(file.stem, file, self.resolver.registry)
        return self.resolver.registry.block(name, loc)

    def call_python(self, block: Block, node_path, fields, inputs, path, loc, group) -> dict[str, Value]:
        self.check_arity(block, inputs, path, loc)
        params = validate_params(block, fields, self.spec, path)
        inputs = inputs + self.ref_inputs(block, params, path)
        values = [v for v, _ in inputs]
        names = [name for _, name in inputs]
        node = Node(node_path, block, params, values, loc, group, self.trace)
        node.meta["from_names"] = names
        self.resolver.graph.add(node)
        failed = next(filter(None, map(self.resolver.failure, values)), None)
        try:
            if failed is not None:
                node.meta[FAILURE] = failed
            else:
                self.resolver.analysis.run(node)
        except ParamError as exc:
            raise self.param_error(exc, block, path) from None
        except SegkitError as exc:
            node.meta[FAILURE] = exc
            self.resolver.failed_here.append(node)
        return {name: Value(node_path, name) for name in block.output_names(params)}

    def param_error(self, exc: ParamError, block: Block, path: tuple) -> SpecSchemaError:
        """``exc`` as ``param NAME of block BLOCK: ...`` at the param's line in this spec."""
        return SpecSchemaError(f"param {exc.param!r} of block {block.name!r}: {exc.message}",
                               self.spec.loc(*path, exc.param), exc.hint)

    def call_macro(self, block: Macro, node_path, fields, inputs, path, loc, group) -> dict[str, Value]:
        self.check_arity(block, inputs, path, loc)
        params = validate_params(block, fields, self.spec, path)
        inputs = self.bind_mapping(block, inputs, path) + self.ref_inputs(block, params, path)
        try:
            block.validate(params, *(self.resolver.shape(v) for v, _ in inputs))
            data = {"segkit": 1, "name": block.name, **block.expand(params, len(inputs))}
        except ParamError as exc:
            raise self.param_error(exc, block, path) from None
        except SegkitError as exc:
            if not exc.loc.line:
                exc.loc = loc
            raise
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise SpecSchemaError(f"block {block.name!r}: {exc}", loc) from None
        sub = Spec(data, LocMap(loc.file, {(): loc}))
        validate_spec_data(data, sub.locs)
        bindings = dict(zip(sub.inputs, (v for v, _ in inputs)))
        try:
            outs = self.resolver.expand(sub, {}, node_path + ".", bindings, self.trace + (loc,), group,
                                        self.depth + 1)
        except SegkitError as exc:
            raise relocate(exc, block.name, loc) from None
        self.resolver.relocate_failures(node_path + ".", lambda exc: relocate(exc, block.name, loc))
        return outs

    def ref_inputs(self, block: Block, params, path) -> list[tuple[Value, str]]:
        """Inputs given by node-reference params (``like: image``, ``indices: pool1``),
        appended after ``from`` in field order."""
        extra = []
        for field_name, marker in ref_fields(block.Params).items():
            ref = getattr(params, field_name)
            if ref is None:
                continue
            field_loc = self.spec.loc(*path, field_name)
            value = self.lookup(ref, field_loc, want=None if "." in ref else marker.output)
            extra.append((value, ref))
            if marker.source_input:
                producer = self.resolver.graph.nodes.get(value.node)
                if producer is None or not producer.inputs:
                    raise ReferenceError_(f"{field_name}: {ref!r} must name a node with an input", field_loc)
                extra.append((producer.inputs[0], f"{ref} (input)"))
        return extra

    def bind_mapping(self, block: Block, inputs, path) -> list[tuple[Value, str]]:
        """A ``from`` mapping for a macro binds by the names in ``block.input_names``."""
        raw = self.spec.nodes[path[1]].get("from")
        if not isinstance(raw, dict):
            return inputs
        names = list(getattr(block, "input_names", ()))
        unknown = [k for k in raw if k not in names]
        if not names or unknown:
            raise SpecSchemaError(f"block {block.name!r} takes its inputs as a list"
                                  + (f"; it has no input {unknown[0]!r}" if names else ""),
                                  self.spec.loc(*path, "from"),
                                  did_you_mean(unknown[0], names) if unknown and names else None)
        given = dict(zip(raw, inputs))
        return [given[k] for k in names if k in given]

    def check_arity(self, block: Block, inputs, path, loc) -> None:
        lo, hi = block.arity
        n = len(inputs)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"{lo}..{hi if hi is not None else 'N'}"
            raise SpecSchemaError(f"block {block.name!r} takes {want} input(s) in 'from', got {n}",
                                  self.spec.loc(*path, "from") if "from" in self.spec.nodes[path[1]] else loc)

    def call_composite(self, block: CompositeBlock, node_path, fields, inputs, raw, path, loc, group):
        sub = block.spec
        sub_params = self.composite_params(block, fields, path, loc)
        names = list(sub.inputs)
        from_raw = raw.get("from")
        if isinstance(from_raw, dict):
            given = dict(zip(from_raw.keys(), (v for v, _ in inputs)))
            unknown = [k for k in given if k not in names]
            if unknown:
                raise SpecSchemaError(f"block {block.name!r} has no input {unknown[0]!r}",
                                      self.spec.loc(*path, "from", unknown[0]), did_you_mean(unknown[0], names))
            missing = [k for k in names if k not in given]
            if missing:
                raise SpecSchemaError(f"block {block.name!r} needs input {missing[0]!r}", loc)
            bindings = {k: given[k] for k in names}
        else:
            if len(inputs) != len(names):
                raise SpecSchemaError(f"block {block.name!r} takes {len(names)} input(s) ({', '.join(names)}), "
                                      f"got {len(inputs)}", loc)
            bindings = dict(zip(names, (v for v, _ in inputs)))
        for name, decl in sub.inputs.items():
            if decl.channels is not None:
                want = substitute(decl.channels, sub_params, sub.loc("inputs", name))
                have = self.resolver.shape(bindings[name]).channels
                if want != have:
                    raise SpecSchemaError(f"block {block.name!r} expects {want} channels on input {name!r}, "
                                          f"got {have}", loc)
        failure = first_failure(sub, sub_params, lambda name: self.resolver.shape(
            _input(bindings, name, sub)).channels)
        if failure:
            _, check = failure
            if check.param is None:
                raise SpecSchemaError(f"block {block.name!r}: {check.message}", loc)
            raise SpecSchemaError(f"param {check.param!r} of block {block.name!r}: {check.message}",
                                  self.spec.loc(*path, check.param) if check.param in fields else loc)
        library = self.resolver.registry.blocks.get(block.name, None) is not None and \
            self.resolver.registry.blocks[block.name].obj is block
        try:
            outs = self.resolver.expand(sub, sub_params, node_path + ".", bindings,
                                        self.trace + (loc,), group, self.depth + 1)
        except SegkitError as exc:
            if library:
                raise relocate(exc, block.name, loc) from None
            exc.notes.append(f"in block {block.name!r} called from {loc} (node {node_path!r})")
            raise
        if library:
            self.resolver.relocate_failures(node_path + ".", lambda exc: relocate(exc, block.name, loc))
        else:
            self.resolver.relocate_failures(node_path + ".", lambda exc: exc.notes.append(
                f"in block {block.name!r} called from {loc} (node {node_path!r})"))
        return outs


def _with_rank(given: Shape, channels: int, rank: int) -> str:
    """A size with ``rank`` spatial dims to suggest for ``given``: all its numbers when
    the channels were left out (``512x512`` for a 2-D input means ``Cx512x512``), else its
    spatial sizes cut or padded with the last one (``3x512`` -> ``3x512x512``)."""
    dims = (given.channels, *given.spatial)
    if len(dims) == rank and given.channels != channels:
        spatial = dims
    else:
        spatial = (given.spatial + (dims[-1],) * rank)[:rank]
    return "x".join(map(str, (channels, *spatial)))


def _input(values: dict, name: str, spec: Spec):
    """``values[name]`` for ``channels(name)`` in a check; an unknown name is an error."""
    if name not in values:
        raise SpecSchemaError(f"channels({name!r}) in a check: {spec.name!r} has no input {name!r}",
                              spec.loc("checks"), did_you_mean(name, list(values)))
    return values[name]


def relocate(exc: SegkitError, block: str, call: SourceLoc) -> SegkitError:
    """Point an error raised inside a registered (library) block at the node that calls
    it: users fix their own line; where inside the block it happened becomes a note.
    Blocks given by path are the user's own files, whose inner lines are kept."""
    if exc.loc.line and exc.loc != call:
        where = f"{exc.loc}" + (f" ({exc.loc.breadcrumb()})" if exc.loc.path else "")
        exc.notes.insert(0, f"inside block {block!r} at {where}")
    exc.loc = call
    return exc


def default_output(node_id: str, outs: dict[str, Value], loc: SourceLoc) -> Value:
    if "out" in outs:
        return outs["out"]
    if len(outs) == 1:
        return next(iter(outs.values()))
    raise ReferenceError_(f"node {node_id!r} has several outputs ({', '.join(outs)}); name one",
                          loc, f"e.g. {node_id}.{next(iter(outs))}")


def validate_params(block: Block, fields: dict, spec: Spec, path: tuple):
    """Validate node fields against the block's Params, with located errors."""
    try:
        return block.Params(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_path = tuple(p for p in err["loc"] if not isinstance(p, str) or p in fields or p in block.Params.model_fields)
        key = err["loc"][0] if err["loc"] else None
        loc = spec.loc(*path, *field_path) if field_path else spec.loc(*path)
        if err["type"] == "extra_forbidden":
            known = list(block.Params.model_fields) + list(NODE_KEYS)
            raise SpecSchemaError(f"unknown param {key!r} for block {block.name!r}", loc,
                                  did_you_mean(key, known) or f"its params: {', '.join(block.Params.model_fields)}") from None
        if err["type"] == "missing":
            raise SpecSchemaError(f"block {block.name!r} needs param {key!r}", spec.loc(*path),
                                  f"`segkit blocks {block.name}` documents its params") from None
        if key is None or key not in fields:  # a model-level validator: no single field to blame
            raise SpecSchemaError(f"params of block {block.name!r}: {err['msg']}", loc) from None
        raise SpecSchemaError(f"param {key!r} of block {block.name!r}: {err['msg']} (got {fields[key]!r})",
                              loc) from None
    except (TypeError, ValueError) as exc:
        raise SpecSchemaError(f"params of block {block.name!r}: {exc}", spec.loc(*path)) from None


def resolve(spec, params: dict | None = None, input_shapes: dict[str, Shape] | None = None,
            registry=None) -> Graph:
    """Load (if needed) and resolve ``spec`` into an inferred Graph."""
    return Resolver(registry).resolve(load_spec(spec, registry), params, input_shapes)
