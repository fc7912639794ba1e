"""Everything an error tool can record of an exception, as text.

Sentry, ``traceback`` with ``capture_locals`` and debuggers read an error's
message, its attributes, its ``__cause__``/``__context__`` chain and the locals
of every frame of every traceback in that chain. A secret must be in none of it.
"""

from __future__ import annotations

import os
import pickle
import traceback
import types
from collections.abc import Iterator
from types import TracebackType

_MAX_LINKS = 32
# The test's own frames hold its fixtures (a recorder keeps every request, token
# and all): what a caller keeps in its locals is the caller's, not greenstatus's.
_TESTS = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _without_test_frames(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_TESTS):
        tb = tb.tb_next
    return tb


def _safe(render: object) -> str:
    try:
        return str(render() if callable(render) else render)
    except Exception as error:  # a broken repr is not a leak
        return f"<unrenderable: {type(error).__name__}>"


_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)


def _attribute_texts(value: object, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """The repr of ``value`` and of everything it holds: container items,
    ``__dict__`` and slots, to a bounded depth (a tool renders what it reaches)."""
    seen = set() if seen is None else seen
    if id(value) in seen or len(seen) > 5000 or isinstance(value, _OPAQUE):
        return
    seen.add(id(value))
    if isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("latin-1")
        return
    yield _safe(lambda: repr(value))
    if isinstance(value, (str, int, float, type(None))) or depth >= 8:
        return
    held: list[object] = []
    if isinstance(value, dict):
        held += [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        held += list(value)
    else:
        fields = getattr(value, "__dict__", None)
        if isinstance(fields, dict):
            held += list(fields.values())
        held += _slot_values(value)
    for item in held:
        yield from _attribute_texts(item, depth + 1, seen)


def _slot_values(value: object) -> list[object]:
    held: list[object] = []
    for kind in type(value).__mro__:
        slots = kind.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                held.append(getattr(value, slot))
    return held


def chain_of(error: BaseException) -> list[BaseException]:
    """``error`` and every exception reachable through causes and contexts."""
    seen: list[BaseException] = []
    queue: list[BaseException] = [error]
    while queue and len(seen) < _MAX_LINKS:
        link = queue.pop()
        if any(link is known for known in seen):
            continue
        seen.append(link)
        for nxt in (link.__cause__, link.__context__):
            if nxt is not None:
                queue.append(nxt)
        for inner in getattr(link, "exceptions", ()) or ():
            if isinstance(inner, BaseException):
                queue.append(inner)
    return seen


def reachable_texts(error: BaseException) -> Iterator[str]:
    """The texts of everything reachable from ``error``."""
    error = error.with_traceback(_without_test_frames(error.__traceback__))
    yield "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    yield "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        yield repr(pickle.loads(pickle.dumps(error)).__dict__)
    except Exception as failure:  # an unpicklable error carries nothing across
        yield f"<not picklable: {type(failure).__name__}>"
    for link in chain_of(error):
        yield _safe(lambda link=link: str(link))
        yield _safe(lambda link=link: repr(link))
        for arg in link.args:
            yield from _attribute_texts(arg)
        for value in getattr(link, "__dict__", {}).values():
            yield from _attribute_texts(value)
        for value in _slot_values(link):
            yield from _attribute_texts(value)
        tb = _without_test_frames(link.__traceback__)
        while tb is not None:
            for name, value in tb.tb_frame.f_locals.items():
                yield f"{name} = {_safe(lambda value=value: repr(value))}"
            tb = tb.tb_next


def hits(error: BaseException, secret: str) -> list[str]:
    """Each reachable text that holds ``secret``, cut short for a readable failure."""
    return [text[:300] for text in reachable_texts(error) if secret in text]
