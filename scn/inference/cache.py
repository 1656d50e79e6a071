"""Restorers made once and kept: every command that restores many pictures (restore, serve, benchmark) asks here
rather than keeping its own dictionary."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from .engine import Restorer


class RestorerCache:
    """Restorers by key (the model and what it is told), made on first use by the `make` given then; with `keep`,
    only the most recently used that many stay (a model's weights and prepared copy each), the rest are dropped."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self._made: OrderedDict[Hashable, tuple[str, Restorer]] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], tuple[str, Restorer]]) -> tuple[str, Restorer]:
        """(label, restorer) for `key`; `make` returns them when the key is new."""
        if key not in self._made:
            if self.keep is not None:
                while len(self._made) >= self.keep:
                    self._made.popitem(last=False)  # dropped before the next is made: one model in memory
            self._made[key] = make()
        self._made.move_to_end(key)
        return self._made[key]
