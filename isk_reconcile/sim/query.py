"""RouterOS API print queries: a small stack machine evaluated per item.

Each query word pushes one truth value (`?name=x`, `?=name=x`, `?-name`, `?name`,
`?<name=x`, `?>name=x`); `?#ops` rewrites the stack (`!` not, `&` and, `|` or,
`.` duplicates the top, digits pick the value at that index, top = 0; digits at the
end of the word replace the whole stack with that value). An item is printed when
every value left on the stack is true; no query words print everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from isk_reconcile.sim.errors import Trap

Item = Mapping[str, str]
Predicate = Callable[[Item], bool]

_TRUE = {"yes", "true"}
_FALSE = {"no", "false"}


def _canonical(value: str) -> str:
    """Compare booleans and ids the way RouterOS does: by value, not spelling."""
    lowered = value.lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    return value


def _as_number(value: str) -> int | None:
    text = value[1:] if value.startswith("*") else value
    base = 16 if value.startswith("*") else 10
    try:
        return int(text, base)
    except ValueError:
        return None


def _less(left: str, right: str) -> bool:
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number < right_number
    return left < right


def _equals(name: str, value: str) -> Predicate:
    wanted = _canonical(value)
    if name == ".id":
        wanted_id = _as_number(value)
        return lambda item: _as_number(item.get(".id", "")) == wanted_id
    return lambda item: _canonical(item.get(name, "")) == wanted


def _has(name: str) -> Predicate:
    return lambda item: name in item


def _lacks(name: str) -> Predicate:
    return lambda item: name not in item


def _below(name: str, value: str) -> Predicate:
    return lambda item: name in item and _less(item[name], value)


def _above(name: str, value: str) -> Predicate:
    return lambda item: name in item and _less(value, item[name])


@dataclass(frozen=True)
class _Ops:
    text: str


Step = Predicate | _Ops


def compile_query(words: tuple[str, ...]) -> list[Step]:
    """Parse query words once per print; raises Trap on a malformed word."""
    steps: list[Step] = []
    for word in words:
        body = word[1:]
        if body.startswith("#"):
            steps.append(_Ops(body[1:]))
        elif body.startswith("="):
            name, _, value = body[1:].partition("=")
            steps.append(_equals(name, value))
        elif body.startswith("-"):
            steps.append(_lacks(body[1:]))
        elif body.startswith("<"):
            name, _, value = body[1:].partition("=")
            steps.append(_below(name, value))
        elif body.startswith(">"):
            name, _, value = body[1:].partition("=")
            steps.append(_above(name, value))
        elif "=" in body:
            name, _, value = body.partition("=")
            steps.append(_equals(name, value))
        elif body:
            steps.append(_has(body))
        else:
            raise Trap("invalid query", 1)
    return steps


def _apply_ops(ops: str, stack: list[bool]) -> None:
    def pop() -> bool:
        if not stack:
            raise Trap("invalid query: stack is empty", 1)
        return stack.pop()

    position = 0
    previous_was_index = False
    while position < len(ops):
        char = ops[position]
        if char.isdigit():
            end = position
            while end < len(ops) and ops[end].isdigit():
                end += 1
            index = int(ops[position:end])
            if index >= len(stack):
                raise Trap("invalid query: no such stack index", 1)
            value = stack[-1 - index]
            if end == len(ops):
                stack[:] = [value]
            else:
                stack.append(value)
            position = end
            previous_was_index = True
            continue
        if char == "!":
            stack.append(not pop())
        elif char == "&":
            right, left = pop(), pop()
            stack.append(left and right)
        elif char == "|":
            right, left = pop(), pop()
            stack.append(left or right)
        elif char == ".":
            if not previous_was_index:
                top = pop()
                stack.extend((top, top))
        else:
            raise Trap(f"invalid query operation {char}", 1)
        previous_was_index = False
        position += 1


def matches(steps: list[Step], item: Item) -> bool:
    if not steps:
        return True
    stack: list[bool] = []
    for step in steps:
        if isinstance(step, _Ops):
            _apply_ops(step.text, stack)
        else:
            stack.append(step(item))
    return all(stack)


def equality_lookup(words: tuple[str, ...]) -> tuple[str, str] | None:
    """(name, value) when the whole query is one equality, so an index can answer it."""
    if len(words) != 1:
        return None
    body = words[0][1:]
    if body.startswith("="):
        body = body[1:]
    elif body[:1] in ("#", "-", "<", ">"):
        return None
    name, separator, value = body.partition("=")
    return (name, value) if separator else None
