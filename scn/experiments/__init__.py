"""The paper's experiments: a catalog (budgets, variants, claims), a resumable suite runner, and the report."""

from .catalog import BUDGETS, EXPERIMENTS, Budget, Claim, Experiment, Study, Variant, get_budget, get_experiment
from .plan import Unit, plan
from .records import Record, collect, verdict, write_records
from .report import render
from .execute import run_unit
from .runner import run_suite

__all__ = ["BUDGETS", "EXPERIMENTS", "Budget", "Claim", "Experiment", "Study", "Unit", "Variant", "Record",
           "collect", "get_budget", "get_experiment", "plan", "render", "run_suite", "run_unit", "verdict",
           "write_records"]
