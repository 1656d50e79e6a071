"""Evaluation under the field's protocols: methods side by side, tables, JSON/CSV."""

from .methods import Method, make_method
from .runner import Row, TestSet, load_test_set, run_benchmark

__all__ = ["Method", "make_method", "Row", "TestSet", "load_test_set", "run_benchmark"]
