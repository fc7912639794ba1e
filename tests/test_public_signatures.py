"""Every public name, and the signature of every public callable and method,
as ``tests/public_api.txt`` records them: a change to the public API is one
made on purpose, with this file, never as a side effect of moving code.

Regenerate after a deliberate change with
``python -m tests.test_public_signatures > tests/public_api.txt``.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import greenstatus
import greenstatus.testing

SNAPSHOT = Path(__file__).with_name("public_api.txt")


def _signature(value: object) -> str:
    try:
        text = str(inspect.signature(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return type(value).__name__
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def public_api() -> list[str]:
    lines: list[str] = []
    for module in (greenstatus, greenstatus.testing):
        for name in sorted(module.__all__):
            value = getattr(module, name)
            lines.append(f"{module.__name__}.{name}{_signature(value)}")
            if not inspect.isclass(value):
                continue
            for member in sorted(dir(value)):
                if member.startswith("_") and member != "__init__":
                    continue
                attribute = inspect.getattr_static(value, member)
                if isinstance(attribute, property):
                    lines.append(f"{module.__name__}.{name}.{member} (property)")
                elif callable(attribute) or isinstance(attribute, (classmethod, staticmethod)):
                    shown = _signature(getattr(value, member))
                    lines.append(f"{module.__name__}.{name}.{member}{shown}")
    return lines


def test_the_public_api_is_the_one_recorded() -> None:
    assert public_api() == SNAPSHOT.read_text(encoding="utf-8").splitlines()


if __name__ == "__main__":
    print("\n".join(public_api()))
