"""The `tradeledger` command: chain control, deployment and the API server."""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tradeledger.chain.abi import checksum
from tradeledger.chain.backends import DevChain
from tradeledger.chain.session import open_chain_session
from tradeledger.config import Settings, load_settings
from tradeledger.demo.consortium import bootstrap_demo
from tradeledger.errors import TradeLedgerError
from tradeledger.identity.service import create_api_key
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import database_url, make_engine, migrate, session_factory, transaction

app = typer.Typer(
    help="tradeledger: consortium trade-finance ledger and reconciliation platform.", no_args_is_help=True
)
chain_app = typer.Typer(help="Control the managed dev chain (anvil).", no_args_is_help=True)
app.add_typer(chain_app, name="chain")

console = Console()
errors = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Expected errors end the command with one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TradeLedgerError as error:
            errors.print(f"[bold red]error[/] [{error.code}]: {error.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _settings() -> Settings:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return load_settings()


def _dev_chain(settings: Settings) -> DevChain:
    if settings.chain != "dev":
        raise TradeLedgerError(
            f"`tradeledger chain` controls the managed dev chain, but TRADELEDGER_CHAIN={settings.chain}",
            code="configuration_error",
        )
    return DevChain(settings.data_dir, port=settings.dev_chain_port, detach=True, anvil=settings.anvil_path)


@chain_app.command("start")
@reports_errors
def chain_start() -> None:
    """Start the dev chain in the background (state kept under the data directory)."""
    chain = _dev_chain(_settings())
    chain.start()
    console.print(f"dev chain running at {chain.rpc_url} (state: {chain.state_file})")


@chain_app.command("stop")
@reports_errors
def chain_stop() -> None:
    """Stop the background dev chain; it writes its state first."""
    chain = _dev_chain(_settings())
    console.print("dev chain stopped" if chain.stop_detached() else "no dev chain was running")


@chain_app.command("status")
@reports_errors
def chain_status() -> None:
    """Show whether the dev chain runs, where, and its head block."""
    settings = _settings()
    chain = _dev_chain(settings)
    record = chain.running()
    if record is None:
        console.print("dev chain: not running")
        raise typer.Exit(3)
    session = open_chain_session(settings)
    table = Table(title="dev chain", show_header=False)
    for key, value in (
        ("url", record.url),
        ("pid", str(record.pid)),
        ("chain id", str(session.chain_id())),
        ("block", str(session.block_number())),
        ("state file", str(chain.state_file)),
        ("deployed", "yes" if session.manifest else "no"),
    ):
        table.add_row(key, value)
    console.print(table)


@app.command()
@reports_errors
def deploy() -> None:
    """Deploy the platform contracts and write the deployment manifest."""
    settings = _settings()
    session = open_chain_session(settings)
    try:
        manifest = session.deploy()
    finally:
        session.close()
    table = Table(title=f"deployed on chain {manifest.chain_id} from block {manifest.deploy_block}")
    table.add_column("contract")
    table.add_column("address")
    for name, contract in manifest.contracts.items():
        table.add_row(name, contract.address)
    console.print(table)
    console.print(f"manifest: {settings.deployment_file}")


@app.command()
@reports_errors
def serve() -> None:
    """Serve the API; on the dev chain, start it and deploy the contracts when needed."""
    import uvicorn

    from tradeledger.api.app import create_app

    settings = _settings()
    platform = open_platform(settings)
    try:
        platform.start()
        if settings.is_dev_chain:
            _print_demo_consortium(platform, settings)
        base = f"http://{settings.host}:{settings.port}"
        console.print(
            f"tradeledger API on {base}/v1  (OpenAPI docs: {base}/docs)  chain id {platform.chain.chain_id()}"
        )
        uvicorn.run(create_app(platform), host=settings.host, port=settings.port, log_level="info")
    finally:
        platform.close()


def _print_demo_consortium(platform: Platform, settings: Settings) -> None:
    with console.status("bootstrapping the demo consortium on the dev chain..."):
        members = bootstrap_demo(platform)
    table = Table(title="demo consortium (PUBLIC dev keys: never on a real chain)")
    for column in ("member", "role", "address", "API key"):
        table.add_column(column, overflow="fold")
    for member in members:
        table.add_row(member.name, member.role, member.address, member.api_key)
    console.print(table)
    console.print(f"the demo API keys are also in {settings.data_dir / 'demo-keys.json'}")


keys_app = typer.Typer(help="API keys: each is bound to one member.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
@reports_errors
def keys_create(
    member: str = typer.Option(..., "--member", help="address of the member the key acts for"),
    label: str = typer.Option("cli", "--label", help="what the key is for"),
) -> None:
    """Create an API key; the token is shown once."""
    settings = _settings()
    engine = make_engine(database_url(settings.database_url, settings.data_dir))
    try:
        migrate(engine)
        try:
            address = checksum(member)
        except ValueError:
            raise TradeLedgerError(f"--member {member!r} is not an address", code="invalid_value") from None
        with transaction(session_factory(engine)) as db:
            key, token = create_api_key(db, address, label)
    finally:
        engine.dispose()
    console.print(f"API key {key.id} for {address} ({label}):")
    console.print(token, highlight=False, soft_wrap=True)


indexer_app = typer.Typer(help="Run the indexer on its own.", no_args_is_help=True)
app.add_typer(indexer_app, name="indexer")


@indexer_app.command("run")
@reports_errors
def indexer_run(once: bool = typer.Option(False, "--once", help="catch up to head, then exit")) -> None:
    """Index the platform's events into the read model (standalone; `serve` runs it too)."""
    platform = open_platform(_settings(), deploy_if_missing=False)
    try:
        if once:
            applied = platform.indexer.catch_up()
            console.print(f"applied {applied} events; indexed through block {platform.indexer.indexed_through()}")
            return
        thread = platform.indexer_loop()
        thread.start()
        console.print("indexer running; Ctrl-C stops it")
        try:
            while thread.error is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            thread.stop()
        if thread.error is not None:
            raise thread.error
    finally:
        platform.close()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
