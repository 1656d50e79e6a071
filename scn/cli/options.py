"""Command-line options several subcommands share: the task and its setting flags, from `scn.tasks`."""

from __future__ import annotations

import argparse
from typing import Any

from ..tasks import TASKS, Task, get_task


def add_task_options(p: Any, default: str | None = "sr", task_help: str = "") -> None:
    """--task and one flag per task's setting (--scale, --sigma, --quality)."""
    p.add_argument("--task", choices=tuple(TASKS), default=default,
                   help=task_help or f"{', '.join(TASKS)} (default {default})")
    for task in TASKS.values():
        p.add_argument(task.flag, type=task.setting_type, help=f"{task.name}: {task.setting_help}")


def task_and_setting(args: argparse.Namespace) -> tuple[Task | None, int | None]:
    """The task asked for (`--task`, a name or already the task) and its checked setting; (None, None) when no
    task was given."""
    if args.task is None:
        return None, None
    task = get_task(args.task)
    return task, task.parse_setting(**{t.setting: getattr(args, t.setting) for t in TASKS.values()})
