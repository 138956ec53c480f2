"""Worker processes forked by Tumen (ingest's reader, the analysis pool) end when the
process that forked them ends, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sys
import time

# Seconds between the watch thread's checks that the parent is alive.
POLL = 0.5

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this (forked) process end when ``parent`` does, whatever it is doing.

    A reader blocked anywhere (the queue's feeder thread writing a batch into a full pipe
    that nobody reads any more, or the exit joining that thread) would otherwise live on
    as an orphan holding the store, the caller's stdout/stderr and, under ``tumen
    serve``, the listening socket.  On Linux the kernel sends SIGKILL when the parent
    dies (``PR_SET_PDEATHSIG``); everywhere a daemon thread checks the parent every
    ``POLL`` seconds and ends the process with ``os._exit``."""
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="tumen-parent-watch", daemon=True).start()
