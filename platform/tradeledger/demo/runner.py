"""`tradeledger demo`: find the running platform (or start one in this process) and walk the trade through it.

The platform `make run` started answers on the configured host and port; its demo API keys are in the data
directory's `demo-keys.json` and its dev chain's address in `chain/anvil.json`. When nothing answers there, the
demo opens the platform on the same data directory itself (dev chain, deployment, demo consortium) and serves
it on a free loopback port for the length of the walk.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from reconciliation.formats import StatementFormat
from tradeledger.chain.backends import DevChain, advance_dev_clock
from tradeledger.chain.manifest import DeploymentManifest
from tradeledger.config import Settings
from tradeledger.demo.consortium import DemoMember, bootstrap_demo
from tradeledger.demo.reports import STATEMENT_FORMATS, Reports, SavedStatement
from tradeledger.demo.trade import Cast, Check, Party, Trade
from tradeledger.errors import ConfigurationError
from tradeledger.orders.service import end_of_day

HTTP_TIMEOUT_S = 120.0  # a write answers once its block is indexed; a busy machine needs more than the default


@dataclass(frozen=True)
class Target:
    """Where the demo talks to: the API, its demo members, and the chain an auditor would read."""

    base_url: str
    members: list[DemoMember]
    rpc_url: str
    deployment: DeploymentManifest
    advance_clock: Callable[[date], None] | None = None  # a dev chain's: moves its clock past a day

    def client(self, api_key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=HTTP_TIMEOUT_S
        )


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/v1/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _members(path: Path) -> list[DemoMember]:
    try:
        return [DemoMember(**row) for row in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as error:
        raise ConfigurationError(
            f"the demo API keys are not readable at {path} ({error}): start the platform with `make run`"
        ) from None


def _deployment(settings: Settings) -> DeploymentManifest:
    deployment = DeploymentManifest.load(settings.deployment_file)
    if deployment is None:
        raise ConfigurationError(f"no deployment manifest at {settings.deployment_file}: start `make run` first")
    return deployment


def _rpc_url(settings: Settings) -> str:
    if not settings.is_dev_chain or settings.chain != "dev":
        return settings.chain
    record = DevChain(settings.data_dir).running()
    if record is None:
        raise ConfigurationError(f"no dev chain is running for {settings.data_dir}: start `make run` first")
    return record.url


def _clock(settings: Settings, rpc_url: str) -> Callable[[date], None] | None:
    """How the walk makes a due date come: a dev chain's clock moves past the day; a consortium chain's clock is
    nobody's to move, and the walk leaves the settlement to its day."""
    if settings.chain != "dev":
        return None

    def past(day: date) -> None:
        advance_dev_clock(rpc_url, end_of_day(day) + 1)

    return past


def running_target(settings: Settings) -> Target | None:
    """The platform `make run` serves with these settings, if it answers."""
    base_url = f"http://{settings.host}:{settings.port}"
    if not _answers(base_url):
        return None
    rpc_url = _rpc_url(settings)
    return Target(
        base_url,
        _members(settings.data_dir / "demo-keys.json"),
        rpc_url,
        _deployment(settings),
        _clock(settings, rpc_url),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_target(settings: Settings) -> Iterator[Target]:
    """Open the platform on `settings` in this process, bootstrap the demo consortium and serve the API on a
    free loopback port until the block exits."""
    import uvicorn

    from tradeledger.api.app import create_app
    from tradeledger.runtime import open_platform

    if settings.chain != "dev":
        raise ConfigurationError(
            f"the demo starts its own platform only on the dev chain (TRADELEDGER_CHAIN=dev, not {settings.chain}); "
            "point it at a running platform instead"
        )
    platform = open_platform(settings)
    try:
        platform.start()
        members = bootstrap_demo(platform)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="demo-api", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ConfigurationError(f"the demo's API did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        try:
            assert platform.chain.manifest is not None
            rpc_url = _rpc_url(settings)
            yield Target(
                f"http://127.0.0.1:{port}", members, rpc_url, platform.chain.manifest, _clock(settings, rpc_url)
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        platform.close()


def walk(target: Target, out: Path, console: Console) -> list[Check]:
    """The whole trade and its reconciliation, with a progress bar; returns the summary's checks."""
    cast = Cast.of(target.members, target.client)
    trade = Trade(cast)
    reports = Reports(trade.api, cast, trade.outcome, out, trade.today)
    steps = (
        ("purchase order", trade.purchase_order),
        ("letter of credit: issue, advise, confirm, amend", trade.letter_of_credit),
        ("eBL, presentation, refusal, waiver, honour with title", trade.presentation),
        ("second drawing honoured by the confirming bank, reimbursed", trade.confirmed_honour),
        ("performance guarantee: issue, advise, demands examined, payment", trade.performance_guarantee),
        ("invoice financing, duplicate attempt", trade.financing),
        ("open account: invoice matched, payment undertaking, discount", trade.open_account),
    )
    statements = len(cast.account_holders()) * len(STATEMENT_FORMATS)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("trade", total=len(steps) + statements + 3 + (target.advance_clock is not None))

        def advance(description: str) -> None:
            progress.update(task, advance=1, description=description)

        for description, step in steps:
            progress.update(task, description=description)
            step()
            advance(description)
        progress.update(task, description="statements")
        saved = reports.statements(lambda: advance("statements"))
        progress.update(task, description="bilateral anchors")
        anchored = reports.bilateral()
        advance("bilateral anchors")
        progress.update(task, description="books-vs-ledger reconciliation")
        reports.reconciliation(_csv_of(saved, cast.issuing_bank))
        advance("books-vs-ledger reconciliation")
        progress.update(task, description="audit verify")
        reports.audit(
            max(anchored, key=lambda saved: int(saved.view["entry_count"])),
            target.rpc_url,
            target.deployment,
        )
        if target.advance_clock is not None:  # last: the clock it moves would shift today's statements above
            progress.update(task, description="open account: the scheduler settles on the due date")
            reports.due_date_settlement(trade.settlement_on_due_date(target.advance_clock))
        advance("done")
    return trade.outcome.checks


def _csv_of(saved: list[SavedStatement], party: Party) -> SavedStatement:
    return next(s for s in saved if s.party is party and s.view["format"] == StatementFormat.CSV.value)
