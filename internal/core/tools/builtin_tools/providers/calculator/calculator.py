"""Exact arithmetic for the agent: the expression is parsed with `ast` and only numbers, arithmetic
operators and a few math functions are evaluated; nothing is ever passed to eval/exec."""

import ast
import math
import operator
from collections.abc import Callable

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool

MAX_EXPRESSION_LENGTH = 500
# About 1,200 decimal digits: far beyond any useful answer, small enough to stay instant.
MAX_INTEGER_BITS = 4096

_BINARY_OPERATORS: dict[type[ast.operator], Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY_OPERATORS: dict[type[ast.unaryop], Callable] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "floor": math.floor,
    "ceil": math.ceil,
    **{name: getattr(math, name) for name in ("sqrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos", "atan", "radians", "degrees")},
}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


class CalculationError(ValueError):
    pass


def _checked(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CalculationError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INTEGER_BITS:
        raise CalculationError("the result is too large")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("the result is too large")
    return value


def _power(base: int | float, exponent: int | float) -> int | float:
    # Refuse before computing: 9**9**9 would take minutes and gigabytes.
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent * math.log2(abs(base)) > MAX_INTEGER_BITS:
            raise CalculationError("the result is too large")
    return base**exponent


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _checked(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            return _checked(_power(left, right))
        return _checked(_BINARY_OPERATORS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPERATORS:
        return _checked(_UNARY_OPERATORS[type(node.op)](_evaluate(node.operand)))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS and not node.keywords:
        return _checked(_FUNCTIONS[node.func.id](*(_evaluate(arg) for arg in node.args)))
    raise CalculationError(f"{type(node).__name__} is not allowed: use numbers, + - * / // % **, parentheses and math functions")


def evaluate_arithmetic(expression: str) -> int | float:
    expression = expression.strip()
    if not expression:
        raise CalculationError("the expression is empty")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CalculationError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise CalculationError("this is not a valid arithmetic expression") from None
    try:
        return _evaluate(tree.body)
    except CalculationError:
        raise
    except ZeroDivisionError:
        raise CalculationError("division by zero") from None
    except OverflowError:
        raise CalculationError("the result is too large") from None
    except (ValueError, TypeError) as exc:
        raise CalculationError(str(exc)) from None


def format_number(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


class CalculatorTool(BuiltinTool):
    def execute(self, expression: str) -> str:
        try:
            return format_number(evaluate_arithmetic(expression))
        except CalculationError as exc:
            raise ToolException(f"Cannot calculate {expression!r}: {exc}") from None
