"""Target functions for function-fitting scenes, from a small safe expression language.

``"x^3 - 2.5*x^2"`` is parsed with Python's ``ast`` and only numbers, ``x``, + - * / ^,
parentheses and a few numpy functions are accepted, so a scene file can never run code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "exp": np.exp, "tanh": np.tanh, "abs": np.abs}
_OPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}


class FunctionError(ValueError):
    """The expression is not one we evaluate."""


def parse_function(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """``"x^2"`` -> a vectorised function of ``x``."""
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise FunctionError(f"cannot read {text!r} (use e.g. 'x^3 - 2.5*x^2')") from None

    def build(node: ast.AST) -> Callable[[np.ndarray], np.ndarray]:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            value = float(node.value)
            return lambda x: np.full_like(x, value)
        if isinstance(node, ast.Name) and node.id == "x":
            return lambda x: x
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = build(node.operand)
            return (lambda x: -inner(x)) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            op, left, right = _OPS[type(node.op)], build(node.left), build(node.right)
            return lambda x: op(left(x), right(x))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            fn, arg = _FUNCTIONS[node.func.id], build(node.args[0])
            return lambda x: fn(arg(x))
        raise FunctionError(f"{text!r}: only numbers, x, + - * / ^ and sin cos exp tanh abs are allowed")

    return build(tree)


@dataclass(frozen=True)
class Sampler:
    """Fresh random inputs from [lo, hi] every epoch, targets f(x) (seed 002's mini-batches)."""

    expression: str
    lo: float
    hi: float
    samples: int
    seed: int
    function: Callable[[np.ndarray], np.ndarray] = field(compare=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.function is None:
            object.__setattr__(self, "function", parse_function(self.expression))

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = self.lo + (self.hi - self.lo) * rng.random((self.samples, 1))
        return x, self.function(x)
