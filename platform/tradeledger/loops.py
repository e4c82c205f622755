"""Background polling loops (the transaction confirmer, the indexer) with one shape of error handling."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tradeledger.errors import ChainUnavailableError, TradeLedgerError

log = logging.getLogger(__name__)


class PollingLoop:
    """Runs `step` in a daemon thread until stopped.

    `step` returns something truthy when it did work, and then runs again at once; otherwise the loop waits
    `interval` (or less, when someone `wake`s it). An unreachable node is retried; a `fatal` error stops the
    loop and stays in `error`, because retrying cannot help (a deep reorg, a log the ABI cannot decode).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        interval: float = 0.2,
        fatal: tuple[type[TradeLedgerError], ...] = (),
    ) -> None:
        self.name = name
        self.step = step
        self.interval = interval
        self.fatal = fatal
        self.error: TradeLedgerError | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        """Run the next step now instead of at the end of the interval (there is work for it)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.step():
                    continue
            except ChainUnavailableError as error:
                log.warning("%s: %s", self.name, error)
            except TradeLedgerError as error:
                if isinstance(error, self.fatal):
                    self.error = error
                    log.critical("%s halted: %s", self.name, error)
                    return
                log.exception("%s pass failed", self.name)
            except Exception:
                log.exception("%s pass failed", self.name)
            self._wake.wait(self.interval)
            self._wake.clear()
