"""Progress for long work: a tqdm bar on a terminal; on a log (stderr not a terminal: CI, Slurm, `nohup`), a
plain line at the start, at least every `every` seconds, and at the end, so a log tells progress from a hang."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tqdm import tqdm


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Counts `total` units of work. `enabled=False` silences it (`--no-progress`)."""

    def __init__(self, total: int, desc: str, unit: str = "it", enabled: bool = True, initial: int = 0,
                 every: float = 30.0, stream: TextIO | None = None, leave: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.desc, self.unit, self.every = total, initial, desc, unit, every
        self.postfix = ""
        self._bar = None
        self._log = False
        self._start = self._last = time.monotonic()
        self._start_done = initial
        if enabled and self.stream.isatty():
            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=self.stream,
                             dynamic_ncols=True, leave=leave)
        elif enabled:
            self._log = True
            self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        eta = f", ETA {_duration((self.total - self.done) / rate)}" if rate > 0 and self.total > self.done else ""
        post = f", {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}{pct}, {_duration(elapsed)} elapsed{eta}{post}",
              file=self.stream, flush=True)
        self._last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._log and time.monotonic() - self._last >= self.every:
            self._line()

    def set_postfix(self, text: str = "", **values: Any) -> None:
        """What the work is at ('loss=0.04 lr=1e-3', or the file in hand), shown with the count."""
        self.postfix = text or " ".join(f"{k}={v}" for k, v in values.items())
        if self._bar is not None:
            self._bar.set_postfix_str(self.postfix)

    def write(self, message: str, file: TextIO | None = None) -> None:
        """A line of its own (a validation result, an error; stdout unless `file`) without breaking the bar."""
        out = file if file is not None else sys.stdout
        if self._bar is not None:
            self._bar.write(message, file=out)
        else:
            print(message, file=out, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._log and self.done != self._start_done:
            self._line()
        self._log = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
