"""SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so every clean-up written for KeyboardInterrupt runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM raises KeyboardInterrupt in the main thread; elsewhere it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
