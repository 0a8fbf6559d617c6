"""Renders a user's Jinja2 template in `ImmutableSandboxedEnvironment` (no unsafe attributes, no
mutation of inputs) with limits the sandbox lacks: a render deadline, a cap on the text produced
and on strings or lists built on the way (`~`, `+`, `*`, `%`, `**`, filters, str methods), and one
iteration budget shared by every `range` of a render, so nested loops cannot run for hours."""

import re
import threading
import time
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError

from ...entities import BaseNode, NodeType, TemplateTransformNode
from ...ports import WorkflowPorts
from ..base import NodeError, WorkflowNodeRunner

MAX_OUTPUT_CHARS = 1024 * 1024
MAX_TEMPLATE_CHARS = 64 * 1024
RENDER_TIME_LIMIT = 10.0
# A width or count above this in a format string or a call would build a string over the cap.
_HUGE_NUMBER = re.compile(r"\d{7,}")
_STAR_WIDTH = re.compile(r"%[-#0 +]*\*")

_limits = threading.local()  # the current render's deadline and iteration budget, per thread


class TemplateLimitError(SecurityError):
    pass


def _check_time() -> None:
    deadline = getattr(_limits, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimitError("模板渲染超时")


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(item) for item in value if isinstance(item, (str, bytes)))
    return 0


def _check_size(size: int) -> None:
    if size > MAX_OUTPUT_CHARS:
        raise TemplateLimitError(f"模板生成的内容超过{MAX_OUTPUT_CHARS}个字符")


def _check_arguments(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
            raise TemplateLimitError(f"模板中的数值{value}过大")


def _budgeted_range(*args: int):
    if len(args) > 3:
        raise TemplateLimitError("range 的参数过多")
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range 最多{MAX_RANGE}项")
    _limits.iterations = getattr(_limits, "iterations", 0) + len(numbers)
    if _limits.iterations > MAX_RANGE:
        raise TemplateLimitError(f"模板中所有循环共计最多{MAX_RANGE}次")
    for index, number in enumerate(numbers):
        if index % 1000 == 0:
            _check_time()
        yield number


class _CappedConcatGenerator(CodeGenerator):
    """Compiles `a ~ b` to a join that checks the result's size first."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.capped_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _TemplateEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _CappedConcatGenerator
    intercepted_binops = frozenset({"+", "*", "%", "**"})

    def __init__(self):
        super().__init__(autoescape=False, keep_trailing_newline=True)
        self.globals["range"] = _budgeted_range
        self.globals.pop("namespace", None)  # the only way to carry a growing value out of a loop
        self.filters = {name: _capped_filter(name, function) for name, function in self.filters.items()}

    def capped_concat(self, parts: tuple) -> str:
        texts = [str(part) for part in parts]
        _check_size(sum(map(len, texts)))
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "+":
            _check_size(_size(left) + _size(right))
        elif operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if _size(sequence) and isinstance(count, int):
                    _check_size(_size(sequence) * max(count, 0))
        elif operator == "%":
            if isinstance(left, str):
                if _HUGE_NUMBER.search(left) or _STAR_WIDTH.search(left):
                    raise TemplateLimitError("格式字符串中的宽度过大")
                _check_arguments(right if isinstance(right, tuple) else (right,), {})
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                if left.bit_length() * right > 64 * 1024:
                    raise TemplateLimitError("乘方的结果过大")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_time()
        _check_arguments(args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(_size(result))
        return result

    def wrap_str_format(self, value: Any) -> Any:
        # `str.format` read from a template becomes the sandbox's safe formatter; refuse widths
        # that would build a string over the cap before it is built.
        if isinstance(getattr(value, "__self__", None), str) and _HUGE_NUMBER.search(value.__self__):
            raise TemplateLimitError("格式字符串中的宽度过大")
        return super().wrap_str_format(value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_time()
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # The sandbox would return an Undefined that renders as "", hiding the attempt.
        raise SecurityError(f"模板不允许访问 {type(obj).__name__} 对象的属性 {attribute}")


def _capped_filter(name: str, function: Any) -> Any:
    def capped(*args: Any, **kwargs: Any) -> Any:
        _check_time()
        _check_arguments(args[1:], kwargs)
        if name == "join":  # many references to one big string would join into a huge one
            items = next((arg for arg in args if isinstance(arg, (list, tuple))), ())
            separator = args[2] if len(args) > 2 and isinstance(args[2], str) else ""
            _check_size(sum(_size(item) or 1 for item in items) + len(separator) * len(items))
        if name == "format" and args and isinstance(args[0], str) and (_HUGE_NUMBER.search(args[0]) or _STAR_WIDTH.search(args[0])):
            raise TemplateLimitError("格式字符串中的宽度过大")
        result = function(*args, **kwargs)
        _check_size(_size(result))
        return result

    for attribute in ("jinja_pass_arg",):  # context/environment-passing filters keep their marker
        if hasattr(function, attribute):
            setattr(capped, attribute, getattr(function, attribute))
    return capped


_environment = _TemplateEnvironment()


@lru_cache(maxsize=256)
def _compiled(source: str):
    return _environment.from_string(source)


def render_template(source: str, variables: dict[str, Any], time_limit: float = RENDER_TIME_LIMIT) -> str:
    """The rendered text; raises NodeError for template errors, unsafe access and exceeded limits."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise NodeError(f"template: 模板不能超过{MAX_TEMPLATE_CHARS}个字符")
    _limits.deadline, _limits.iterations = time.monotonic() + time_limit, 0
    try:
        template = _compiled(source)
        chunks, produced = [], 0
        for chunk in template.generate(**variables):
            produced += len(chunk)
            _check_size(produced)
            _check_time()
            chunks.append(chunk)
        return "".join(chunks)
    except SecurityError as exc:
        raise NodeError(f"template: {exc}") from None
    except TemplateError as exc:
        raise NodeError(f"template: 模板错误：{exc}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, MemoryError, RecursionError) as exc:
        raise NodeError(f"template: 模板渲染失败：{type(exc).__name__}: {exc}") from None
    finally:
        _limits.deadline = None


class TemplateTransformNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.TEMPLATE_TRANSFORM

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, TemplateTransformNode)
        return {"output": render_template(node.template, inputs, min(timeout, RENDER_TIME_LIMIT))}
