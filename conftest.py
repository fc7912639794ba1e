"""Every Python example in README.md and docs/ runs in the test suite: see
``tests/docs_harness.py``."""

from tests.docs_harness import pytest_collect_file

__all__ = ["pytest_collect_file"]
