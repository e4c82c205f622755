"""Process-level helpers for large runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a bulk operation.

    Generating or reconciling a million items allocates millions of short-lived, acyclic containers
    (tuples, small lists); each allocation burst triggers collections that walk every young object, so
    with the collector on, the bookkeeping costs more than the work. Nothing we allocate is cyclic, so
    pausing loses nothing; the previous state is restored on exit.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
