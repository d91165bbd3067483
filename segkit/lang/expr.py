"""The ``${...}`` expression language: a small, safe evaluator over Python syntax.

Specs compute block params from spec params: ``out: ${features * 2}``,
``dilation: ${[1, 2, 4][i]}``, ``rates: ${[r * 16 // output_stride for r in (6, 12, 18)]}``.
Expressions are parsed with :mod:`ast` and walked node by node against a whitelist
(arithmetic, comparisons, boolean logic, ``a if c else b``, literals, indexing,
comprehensions, and the functions in ``FUNCTIONS``); Python's ``eval`` is never used,
and attribute access, lambdas and imports do not exist here.
"""
from __future__ import annotations

import ast
import functools
import math
import operator
import re
from contextlib import contextmanager
from contextvars import ContextVar

from segkit.core.suggest import did_you_mean
from segkit.errors import ExpressionError, SourceLoc

FUNCTIONS = {
    "min": min, "max": max, "abs": abs, "int": int, "float": float, "round": round,
    "len": len, "sum": sum, "range": range, "list": list, "str": str, "bool": bool,
    "floor": math.floor, "ceil": math.ceil, "sqrt": math.sqrt, "zip": zip,
}

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_MAX_POWER = 64
_MAX_RANGE = 100_000
_MAX_LENGTH = 100_000
"""Largest list/string/range an expression may build, and most comprehension steps."""
_MAX_BITS = 4096
"""Largest integer (in bits) an expression may compute."""
MAX_DEPTH = 100
"""Deepest nesting of operations an expression may have (``-(-(-1))`` is 3 deep)."""
MAX_WORK = 1_000_000
"""Most work one expression may do: one unit per operation, plus one per item of every
string, list or dict it builds. With MAX_DEPTH and the sizes above, these budgets bound
every expression's time and memory, whatever the interpreter's own limits are."""

MAX_SPEC_WORK = MAX_WORK
"""Most work all the expressions of one spec may do together (resolving it, composite
blocks included): MAX_WORK bounds each expression, this bounds a file of thousands of
expensive ones. The largest built-in spec needs about 5,500 steps."""

_spec_work: ContextVar[list | None] = ContextVar("segkit_spec_work", default=None)
"""The shared work counter (a one-item list) of the spec being resolved, if any."""


@contextmanager
def spec_budget():
    """Charge every expression evaluated inside to one counter bounded by MAX_SPEC_WORK.
    Nested uses (a composite block's sub-spec) share the outermost counter."""
    if _spec_work.get() is not None:
        yield
        return
    token = _spec_work.set([0])
    try:
        yield
    finally:
        _spec_work.reset(token)


WHOLE = re.compile(r"^\$\{(.*)\}$", re.S)
EMBEDDED = re.compile(r"\$\{(.*?)\}", re.S)


class SpecFunction:
    """A function offered to expressions by the caller (e.g. ``channels(ref)``)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)


class _Evaluator:
    def __init__(self, names: dict, text: str, loc: SourceLoc):
        self.scopes = [names]
        self.text = text
        self.loc = loc
        self.depth = 0
        self.work = 0
        self.spec_work = _spec_work.get()

    def fail(self, message: str, hint: str | None = None):
        raise ExpressionError(f"in ${{{self.text}}}: {message}", self.loc, hint)

    def lookup(self, name: str):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in FUNCTIONS:
            return FUNCTIONS[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        known = sorted({n for s in self.scopes for n in s})
        self.fail(f"unknown name {name!r}",
                  did_you_mean(name, known) or (f"names in scope: {', '.join(known)}" if known else None))

    def visit(self, node: ast.AST):
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            self.fail(f"{type(node).__name__} is not allowed in expressions")
        self.charge(1)
        self.depth += 1
        try:
            return method(node)
        finally:
            self.depth -= 1

    def charge(self, units: int) -> None:
        """Count work against MAX_WORK, and against MAX_SPEC_WORK inside
        :func:`spec_budget` (the depth is checked before evaluating)."""
        self.work += units
        if self.work > MAX_WORK:
            self.fail(f"the expression does too much work (more than {MAX_WORK:,} steps)")
        if self.spec_work is not None:
            self.spec_work[0] += units
            if self.spec_work[0] > MAX_SPEC_WORK:
                self.fail(f"the expressions of this spec do too much work together (more than "
                          f"{MAX_SPEC_WORK:,} steps)", "simplify the expressions, or compute the values once "
                          "in params")

    def visit_Expression(self, node):
        return self.visit(node.body)

    def visit_Constant(self, node):
        return node.value

    def visit_Name(self, node):
        return self.lookup(node.id)

    def visit_List(self, node):
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node):
        return [self.visit(e) for e in node.elts]

    def visit_Dict(self, node):
        return {self.visit(k): self.visit(v) for k, v in zip(node.keys, node.values)}

    def visit_BinOp(self, node):
        op = _BINARY.get(type(node.op))
        if op is None:
            self.fail(f"operator {type(node.op).__name__} is not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        self.guard_binop(op, left, right)
        return self.limit(self.apply(op, left, right))

    def guard_binop(self, op, left, right) -> None:
        """Refuse operations whose result would be huge, before computing them."""
        if op is operator.pow and isinstance(right, (int, float)) and not isinstance(right, bool):
            if abs(right) > _MAX_POWER:
                self.fail(f"exponent {right} is too large")
            if isinstance(left, int) and right > 0 and abs(left).bit_length() * right > _MAX_BITS:
                self.fail("the result of ** is too large")
        if op is operator.mul:
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list)) and isinstance(n, int) and len(seq) * max(n, 0) > _MAX_LENGTH:
                    self.fail("repetition is too large")
            if isinstance(left, int) and isinstance(right, int) and \
                    abs(left).bit_length() + abs(right).bit_length() > _MAX_BITS:
                self.fail("the product is too large")

    def limit(self, value):
        """Refuse results too large to be a spec value."""
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_BITS:
            self.fail("the result is too large")
        if isinstance(value, (str, list, dict)) and len(value) > _MAX_LENGTH:
            self.fail(f"the result is too long ({len(value)} items)")
        if isinstance(value, (str, list, dict, tuple)):
            self.charge(len(value))
        return value

    def visit_UnaryOp(self, node):
        op = _UNARY.get(type(node.op))
        if op is None:
            self.fail(f"operator {type(node.op).__name__} is not allowed")
        return self.limit(self.apply(op, self.visit(node.operand)))

    def visit_BoolOp(self, node):
        value = None
        for operand in node.values:
            value = self.visit(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_Compare(self, node):
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            compare = _COMPARE.get(type(op))
            if compare is None:
                self.fail(f"comparison {type(op).__name__} is not allowed; use == or !=")
            right = self.visit(comparator)
            if not self.apply(compare, left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node):
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node):
        value = self.visit(node.value)
        index = self.visit(node.slice)
        return self.limit(self.apply(operator.getitem, value, index))

    def visit_Slice(self, node):
        parts = [self.visit(p) if p is not None else None for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def visit_Call(self, node):
        scoped = self.scoped_function(node.func)
        if scoped is not None:
            return self.apply(scoped, *[self.visit(a) for a in node.args])
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this"
            self.fail(f"calling {name!r} is not allowed",
                      f"available functions: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            self.fail("keyword arguments are not supported")
        args = [self.visit(a) for a in node.args]
        if node.func.id == "range":
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
                self.fail("range() takes integers")
            if args and not _range_fits(args):
                self.fail("range is too large", f"at most {_MAX_RANGE:,} values")
        if node.func.id == "sum" and args and isinstance(args[0], list):
            self.charge(_concatenation_cost(args[0]))
        result = self.apply(FUNCTIONS[node.func.id], *args)
        return self.limit(list(result) if node.func.id in ("range", "zip") else result)

    def scoped_function(self, func):
        if not isinstance(func, ast.Name):
            return None
        for scope in reversed(self.scopes):
            if isinstance(scope.get(func.id), SpecFunction):
                return scope[func.id]
        return None

    def visit_ListComp(self, node):
        out: list = []
        self.comprehend(node.generators, lambda: out.append(self.visit(node.elt)))
        return self.limit(out)

    def comprehend(self, generators, emit):
        first, rest = generators[0], generators[1:]
        if first.is_async:
            self.fail("async comprehensions are not allowed")
        names = self.targets(first.target)
        iterable = self.visit(first.iter)
        if not isinstance(iterable, (list, str, dict, range)):
            self.fail(f"cannot iterate over {type(iterable).__name__}")
        for item in iterable:
            self.charge(1)
            scope = self.bind(names, item)
            self.scopes.append(scope)
            try:
                if all(self.visit(cond) for cond in first.ifs):
                    if rest:
                        self.comprehend(rest, emit)
                    else:
                        emit()
            finally:
                self.scopes.pop()

    def targets(self, target):
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            return [e.id for e in target.elts]
        self.fail("comprehension targets must be names")

    def bind(self, names, item):
        if isinstance(names, str):
            return {names: item}
        if not isinstance(item, (list, tuple, str)):
            self.fail(f"cannot unpack {type(item).__name__} into {len(names)} names")
        item = list(item)
        if len(item) != len(names):
            self.fail(f"cannot unpack {len(item)} values into {len(names)} names")
        return dict(zip(names, item))

    def apply(self, fn, *args):
        try:
            return fn(*args)
        except ZeroDivisionError:
            self.fail("division by zero")
        except KeyError as exc:
            keys = ", ".join(map(repr, args[0])) if args and isinstance(args[0], dict) else ""
            self.fail(f"key {exc.args[0]!r} not found" + (f"; keys: {keys}" if keys else ""))
        except IndexError as exc:
            self.fail(f"{exc} (length {len(args[0])})" if args and hasattr(args[0], "__len__") else str(exc))
        except (TypeError, ValueError, OverflowError) as exc:
            self.fail(str(exc))


def evaluate(text: str, names: dict, loc: SourceLoc | None = None):
    """Evaluate the expression ``text`` (without ``${}``) with ``names`` in scope."""
    loc = loc or SourceLoc()
    if len(text) > _MAX_LENGTH:
        raise ExpressionError("expression is too long", loc)
    tree = _parse(text)
    if isinstance(tree, str):
        raise ExpressionError(tree, loc)
    return _Evaluator(names, text, loc).visit(tree)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ast.Expression | str:
    """The checked tree of ``text``, or the message saying why it is no expression.
    Cached: the same few texts (``${out}`` of a block called at every node, every
    repeat) are evaluated again and again, and parsing and measuring the nesting cost
    more than evaluating; the evaluator never changes a tree."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except RecursionError:
        return f"in ${{{_short(text)}}}: expression is too deeply nested"
    except MemoryError:
        return "expression is too deeply nested"
    except SyntaxError as exc:
        return f"in ${{{text}}}: invalid syntax ({exc.msg})"
    except ValueError as exc:
        return f"in ${{{text}}}: {exc}"
    if nesting(tree) > MAX_DEPTH:
        return f"in ${{{_short(text)}}}: expression is too deeply nested (more than {MAX_DEPTH} levels)"
    return tree


def nesting(tree: ast.AST) -> int:
    """How deeply the operations of ``tree`` nest, counted without recursion."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)))
    return deepest


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _concatenation_cost(items: list) -> int:
    """The items ``sum`` copies when it adds up sequences one by one (quadratic)."""
    cost = total = 0
    for item in items:
        if isinstance(item, (list, str, tuple)):
            total += len(item)
            cost += total
    return cost


def _range_fits(args) -> bool:
    """Whether ``range(*args)`` has at most _MAX_RANGE values (also for huge bounds)."""
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) > 2 else 1)
    if step == 0:
        return True  # range() itself says why
    return max(0, -((start - stop) // step)) <= _MAX_RANGE


def substitute(value, names: dict, loc: SourceLoc | None = None):
    """Evaluate ``${...}`` in a scalar: a whole-value expression keeps its type,
    expressions embedded in a longer string are formatted into it."""
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = WHOLE.match(value)
    if whole and "${" not in whole.group(1):
        return evaluate(whole.group(1), names, loc)
    return EMBEDDED.sub(lambda m: str(evaluate(m.group(1), names, loc)), value)
