"""Stop a run cleanly on SIGTERM (schedulers, `kill`, `timeout`) or Ctrl-C: finish the step, checkpoint, exit.

Schedulers (Slurm's scancel, Kubernetes, `timeout`) and Ctrl-C signal the whole process group, DataLoader workers
included; a worker that died of it would crash the run before it could checkpoint. Workers therefore ignore
TERM / INT (`ignore_stop_signals`, their `worker_init_fn`) and are shut down by the main process, which stops
cleanly; they still exit with it, and on their own if it is killed outright (PyTorch's parent watchdog).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """While active, the first SIGTERM / SIGINT is recorded in `.received` instead of killing the process; a second
    one acts as usual (an immediate stop). Inactive off the main thread, where handlers cannot be installed."""

    def __init__(self, active: bool = True) -> None:
        self.active = active and threading.current_thread() is threading.main_thread()
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))  # type: ignore[arg-type]

    def __enter__(self) -> StopRequest:
        if self.active:
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()


def ignore_stop_signals(worker_id: int = 0) -> None:
    """A DataLoader `worker_init_fn`: leave TERM / INT to the main process, which stops the run in order."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
