"""The `tradeledger` command: chain control, deployment and the API server."""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

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
from tradeledger.runtime import Platform, freeze_long_lived, open_platform
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
    freeze_long_lived()
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
    freeze_long_lived()
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


statements_app = typer.Typer(help="Statements from the ledger: generate, list, show.", no_args_is_help=True)
app.add_typer(statements_app, name="statements")


@statements_app.command("generate")
@reports_errors
def statements_generate(
    account: str = typer.Option(..., "--account", help="the statement account (a member address)"),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code"),
    date_from: str = typer.Option(..., "--from", help="first UTC day, YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="last UTC day (inclusive); defaults to --from"),
    fmt: str = typer.Option("camt.053.001.08", "--format", help="camt.053.001.08, mt940, csv or json"),
    counterparty: str | None = typer.Option(None, "--counterparty", help="restrict to one counterparty"),
    requester: str | None = typer.Option(None, "--as", help="requesting member (default: the account)"),
) -> None:
    """Generate a statement file from the indexed ledger and sign its manifest with the member's key."""
    from pydantic import ValidationError

    from tradeledger.members.models import Member
    from tradeledger.statements import service
    from tradeledger.statements.schemas import StatementRequest

    try:
        request = StatementRequest.model_validate(
            {
                "account": account,
                "currency": currency,
                "date_from": date_from,
                "date_to": date_to or date_from,
                "format": fmt,
                "counterparty": counterparty,
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise TradeLedgerError(f"--{first['loc'][0]}: {first['msg']}", code="invalid_value") from None
    spec = service.spec_of(request)
    settings = _settings()
    platform = open_platform(settings, deploy_if_missing=False)
    try:
        platform.indexer.catch_up()
        viewer = checksum(requester) if requester else spec.account
        with transaction(platform.sessions) as db:
            member = db.get(Member, viewer)
            row = service.generate(
                db,
                keys=platform.keys,
                chain_id=platform.transactions.chain_id,
                directory=settings.data_dir / "statements",
                spec=spec,
                viewer=viewer,
                viewer_kind=None if member is None else member.kind,
            )
            view = service.view(db, row)
    finally:
        platform.close()
    console.print(f"statement {view.id}: {settings.data_dir / 'statements' / row.file_name}")
    console.print(f"  entries {view.entry_count}, opening {view.opening}, closing {view.closing}")
    console.print(f"  merkle root {view.merkle_root}\n  manifest hash {view.manifest_hash}", highlight=False)


@statements_app.command("list")
@reports_errors
def statements_list(account: str | None = typer.Option(None, "--account", help="only this account")) -> None:
    """List generated statements."""
    from tradeledger.statements import repository, service

    settings = _settings()
    engine = make_engine(database_url(settings.database_url, settings.data_dir))
    try:
        migrate(engine)
        with session_factory(engine)() as db:
            rows = repository.statements(db, None if account is None else {checksum(account)}, None, 10_000)
            views = [service.view(db, row) for row in rows]
    finally:
        engine.dispose()
    table = Table(title="statements")
    for column in ("id", "account", "currency", "period", "format", "entries", "closing", "anchor"):
        table.add_column(column, overflow="fold")
    for v in views:
        table.add_row(
            v.id,
            v.account,
            v.currency,
            f"{v.period_start:%Y-%m-%d}..{v.period_end:%Y-%m-%d}",
            v.format,
            str(v.entry_count),
            v.closing,
            v.anchor_status or "-",
        )
    console.print(table)


@statements_app.command("show")
@reports_errors
def statements_show(statement_id: int = typer.Argument(..., help="the statement id")) -> None:
    """Show one statement and its signed manifest (JSON)."""
    import json

    from tradeledger.statements import repository, service

    settings = _settings()
    engine = make_engine(database_url(settings.database_url, settings.data_dir))
    try:
        migrate(engine)
        with session_factory(engine)() as db:
            row = repository.statement(db, statement_id)
            if row is None:
                raise TradeLedgerError(f"no statement {statement_id}", code="statement_not_found")
            document = {
                "statement": service.view(db, row).model_dump(mode="json"),
                "file": str(settings.data_dir / "statements" / row.file_name),
                "signed_manifest": service.signed_manifest(row).model_dump(mode="json"),
            }
    finally:
        engine.dispose()
    console.print_json(json.dumps(document))


audit_app = typer.Typer(help="Independent verification against the chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@reports_errors
def audit_verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the statement file")],
    manifest: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="its signed manifest (JSON)")],
    rpc: str = typer.Option(..., "--rpc", help="JSON-RPC URL of any consortium node"),
    deployment: Annotated[
        Path | None,
        typer.Option("--deployment", help="deployment manifest with the contract addresses (default: the data dir's)"),
    ] = None,
    anchor_contract: str | None = typer.Option(None, "--anchor-contract", help="ReconciliationAnchor address"),
    settlement_contract: str | None = typer.Option(None, "--settlement-contract", help="Settlement address"),
    signature: str | None = typer.Option(None, "--signature", help="hex signature, if not in the manifest file"),
) -> None:
    """Check a statement file and its manifest against the chain alone: signature, anchor, root, every entry."""
    from reconciliation.manifest import ManifestError
    from tradeledger.chain.ledger import ChainLedgerReader
    from tradeledger.chain.manifest import DeploymentManifest
    from tradeledger.chain.rpc import HttpJsonRpc
    from tradeledger.statements.audit import load_signed_manifest, verify_statement

    if anchor_contract is None or settlement_contract is None:
        path = deployment or load_settings().deployment_file
        deployed = DeploymentManifest.load(path)
        if deployed is None:
            raise TradeLedgerError(
                f"no deployment manifest at {path}: pass --deployment or --anchor-contract and --settlement-contract",
                code="configuration_error",
            )
        anchor_contract = anchor_contract or deployed.contracts["ReconciliationAnchor"].address
        settlement_contract = settlement_contract or deployed.contracts["Settlement"].address
    try:
        parsed, raw_signature = load_signed_manifest(manifest.read_bytes(), signature)
    except ManifestError as error:
        errors.print(f"FAILED manifest: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    client = HttpJsonRpc(rpc)
    try:
        reader = ChainLedgerReader(client, settlement=settlement_contract, anchor=anchor_contract)
        problems = verify_statement(file, parsed, raw_signature, reader)
    finally:
        client.close()
    if problems:
        for problem in problems:
            errors.print(f"FAILED {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"verified: {file.name} ({parsed.entry_count} entries, root {parsed.merkle_root}) signed by "
        f"{parsed.issuer} and anchored on chain {reader.chain_id}",
        highlight=False,
        soft_wrap=True,
    )
