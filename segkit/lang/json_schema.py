"""``segkit schema``: a JSON Schema of the spec format including every registered block's
params, so a YAML language server completes and validates specs in an editor.

Every value may also be a ``${...}`` expression, so each param accepts its own schema or
an expression string. Nodes are checked per block with ``if``/``then`` on ``block``.
"""
from __future__ import annotations

from segkit.core.block import Block
from segkit.core.field_docs import field_docs
from segkit.lang.comments import param_docs
from segkit.lang.composite import CompositeBlock

EXPRESSION = {"type": "string", "pattern": r"\$\{", "description": "a ${...} expression"}
NODE_KEYS = {
    "block": {"type": "string", "description": "a registered block, or a path to a YAML block"},
    "from": {"description": "input(s): a name, node.output, a list, or a mapping of block inputs",
             "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                       {"type": "object", "additionalProperties": {"type": "string"}}]},
    "repeat": {"description": "chain the node N times (i in scope)",
               "anyOf": [{"type": "integer", "minimum": 0}, EXPRESSION]},
    "when": {"description": "false: skip the node (its input passes through)", "anyOf": [{"type": "boolean"}, EXPRESSION]},
    "args": {"description": "more params as one mapping (for a block chosen by a ${...} expression)",
             "anyOf": [{"type": "object"}, EXPRESSION]},
}


def _or_expression(schema: dict) -> dict:
    return {"anyOf": [schema, EXPRESSION], **({"description": schema["description"]} if "description" in schema else {})}


def _python_params(block: Block) -> tuple[dict, list[str]]:
    schema = block.Params.model_json_schema()
    defs = schema.get("$defs", {})
    docs = field_docs(block.Params)
    props = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _inline(prop, defs)
        prop.pop("title", None)
        if docs.get(name):
            prop["description"] = docs[name]
        props[name] = _or_expression(prop)
    return props, list(schema.get("required", []))


def _inline(prop, defs):
    if isinstance(prop, dict):
        if "$ref" in prop:
            return _inline(defs[prop["$ref"].split("/")[-1]], defs)
        return {k: _inline(v, defs) for k, v in prop.items()}
    if isinstance(prop, list):
        return [_inline(v, defs) for v in prop]
    return prop


def _composite_params(block: CompositeBlock) -> tuple[dict, list[str]]:
    docs = param_docs(block.spec)
    # names only: a composite's params pass through to inner blocks, which decide types
    props = {name: {"default": default, **({"description": docs[name]} if docs.get(name) else {})}
             for name, default in block.spec.params.items()}
    return props, []


def block_rule(name: str, block) -> dict:
    props, required = _composite_params(block) if isinstance(block, CompositeBlock) else _python_params(block)
    return {
        "if": {"properties": {"block": {"const": name}}, "required": ["block"]},
        "then": {"properties": {**NODE_KEYS, **props}, "required": required, "additionalProperties": False,
                 "description": (block.doc or "").split("\n")[0]},
    }


def spec_schema(registry) -> dict:
    """The JSON Schema (draft 2020-12) of segkit spec files for ``registry``'s blocks."""
    names = sorted(registry.blocks)
    node = {
        "type": "object",
        "properties": {**NODE_KEYS, "block": {"anyOf": [{"enum": names}, {"type": "string"}],
                                              "description": NODE_KEYS["block"]["description"]}},
        "required": ["block"],
        "allOf": [block_rule(name, registry.blocks[name].obj) for name in names],
    }
    input_decl = {"anyOf": [{"type": "integer", "minimum": 1}, EXPRESSION, {"type": "null"}, {
        "type": "object", "additionalProperties": False,
        "properties": {"channels": {"anyOf": [{"type": "integer", "minimum": 1}, EXPRESSION, {"type": "null"}]},
                       "rank": {"type": "integer", "minimum": 0, "maximum": 3},
                       "size": {"anyOf": [{"type": "integer", "minimum": 1},
                                          {"type": "array", "items": {"type": "integer", "minimum": 1}}, EXPRESSION]}}}]}
    output = {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": False, "required": ["from"],
                                             "properties": {"from": {"type": "string"}, "train": {"type": "boolean"}}}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "segkit spec",
        "type": "object",
        "additionalProperties": False,
        "required": ["segkit", "name"],
        "properties": {
            "segkit": {"const": 1, "description": "spec format version"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "extends": {"type": "string", "description": "a spec file or registered spec name to inherit"},
            "params": {"type": "object", "description": "defaults, overridable with --set k=v"},
            "inputs": {"type": "object", "additionalProperties": input_decl},
            "nodes": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}},
            "outputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                                  {"type": "object", "additionalProperties": output}]},
            "checks": {"type": "array", "description": "conditions the params must meet",
                       "items": {"type": "object", "additionalProperties": False, "required": ["that", "message"],
                                 "properties": {"that": EXPRESSION, "message": {"type": "string"},
                                                "param": {"type": "string"}}}},
        },
        # a spec that extends another may override a node's keys without naming its block
        "if": {"required": ["extends"]},
        "then": {"properties": {"nodes": {"additionalProperties": {"type": ["object", "null"]}}}},
        "else": {"properties": {"nodes": {"additionalProperties": {"anyOf": [node, {"type": "null"}]}}}},
    }
