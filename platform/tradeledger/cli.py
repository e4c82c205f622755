"""The `tradeledger` command: chain control, deployment and the API server."""

from __future__ import annotations

import enum
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, ParamSpec, TypeVar
from urllib.parse import urlparse

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from tradeledger.chain.abi import checksum
from tradeledger.chain.backends import DevChain
from tradeledger.chain.session import open_chain_session
from tradeledger.codec import InvalidValueError
from tradeledger.config import ENV_PREFIX, Settings, load_settings
from tradeledger.demo.consortium import bootstrap_demo, write_demo_env
from tradeledger.errors import ConfigurationError, TradeLedgerError
from tradeledger.identity.service import create_api_key
from tradeledger.members.models import Member, MemberKind
from tradeledger.processes import ROLES, sharing_processes
from tradeledger.runtime import Platform, database_share, freeze_long_lived, open_platform
from tradeledger.store.db import database_url, make_engine, migrate, session_factory, transaction
from tradeledger.users import service as users
from tradeledger.users.access import Actor
from tradeledger.users.models import Role, UserKind
from tradeledger.users.schemas import UserRequest

if TYPE_CHECKING:  # imported where a records, guarantees or undertakings command runs
    from tradeledger.guarantees.schemas import GuaranteeView
    from tradeledger.records.schemas import RecordView
    from tradeledger.undertakings.schemas import PaymentUndertakingView

app = typer.Typer(
    help="tradeledger: consortium trade-finance ledger and reconciliation platform.", no_args_is_help=True
)
chain_app = typer.Typer(help="Check a chain node; control the managed dev chain (anvil).", no_args_is_help=True)
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
            text = escape(f"[{error.code}]: {error.message}")  # a code in brackets is no markup tag
            errors.print(f"[bold red]error[/] {text}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _settings(level: int = logging.INFO) -> Settings:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per webhook delivery or demo call drowns the rest
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


@chain_app.command("advance")
@reports_errors
def chain_advance(
    past: Annotated[str, typer.Option("--past", help="the UTC day (YYYY-MM-DD) the dev chain's clock moves past")],
) -> None:
    """Move the dev chain's clock to the first second after a day, so what falls due that day falls due now (the
    scheduler settles it); a consortium chain's clock is nobody's to move."""
    from tradeledger.chain.backends import advance_dev_clock
    from tradeledger.orders.service import end_of_day

    try:
        day = date.fromisoformat(past)
    except ValueError:
        raise TradeLedgerError(f"--past {past!r} is not a day (YYYY-MM-DD)", code="invalid_value") from None
    record = _dev_chain(_settings()).running()
    if record is None:
        raise TradeLedgerError("no dev chain is running: start it with `make run`", code="chain_unavailable")
    now = advance_dev_clock(record.url, end_of_day(day) + 1)  # a due date means the whole day
    console.print(f"dev chain time: {datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M:%S}Z", highlight=False)


@chain_app.command("check")
@reports_errors
def chain_check(url: str = typer.Argument(..., help="the node's JSON-RPC URL, e.g. http://127.0.0.1:8545")) -> None:
    """Check a node against everything the service needs from it: one line per requirement, exit 1 on a failure."""
    from tradeledger.chain.nodecheck import check_node

    report = check_node(url, _settings(logging.WARNING))
    for finding in report.findings:
        style = "green" if finding.passed else "bold red"
        console.print(f"[{style}]{escape(finding.line)}[/]", highlight=False, soft_wrap=True)
    if not report.passed:
        raise typer.Exit(1)


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


consortium_app = typer.Typer(help="The consortium operator's commands.", no_args_is_help=True)
app.add_typer(consortium_app, name="consortium")


@consortium_app.command("bootstrap")
@reports_errors
def consortium_bootstrap(
    founding_bank: str = typer.Option(
        ..., "--founding-bank", envvar="TRADELEDGER_FOUNDING_BANK", help="address of the bank that founds it"
    ),
    settlement_agent: str | None = typer.Option(
        None,
        "--settlement-agent",
        envvar="TRADELEDGER_SETTLEMENT_AGENT",
        help="address that funds the banks' accounts (default: the founding bank)",
    ),
) -> None:
    """After `deploy`, as the operator: admit the founding bank and designate the settlement agent (idempotent)."""
    from tradeledger.chain.deployment import bootstrap_consortium

    for name, value in (("--founding-bank", founding_bank), ("--settlement-agent", settlement_agent)):
        if value is not None:
            try:
                checksum(value)
            except ValueError:
                raise TradeLedgerError(f"{name} {value!r} is not an address", code="invalid_value") from None
    settings = _settings()
    session = open_chain_session(settings)
    try:
        if session.manifest is None:
            raise TradeLedgerError(
                f"no deployment manifest at {settings.deployment_file}: run `tradeledger deploy` first",
                code="configuration_error",
            )
        addresses = {name: contract.address for name, contract in session.manifest.contracts.items()}
        done = bootstrap_consortium(
            session.w3,
            session.operator(),
            addresses,
            founding_bank=founding_bank,
            settlement_agent=settlement_agent or founding_bank,
        )
    finally:
        session.close()
    for line in done or ["the consortium was already bootstrapped: nothing to do"]:
        console.print(line)


# uvicorn asks each worker for a sign of life from its spawn on, and replaces one that is silent this long: a worker
# spends its first seconds importing the service (several, on a loaded 2-core machine), when the default 5 s
# had every worker replaced again and again.
WORKER_START_S = 60
RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        help="all: the API and the engine in one process (the default); api: API workers only, beside a running "
        "`tradeledger engine`; engine: the engine alone (as `tradeledger engine`)",
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers", min=1, help="API worker processes; above 1 (role all) this process runs the engine beside them"
    ),
]


@app.command()
@reports_errors
def serve(role: RoleOption = "all", workers: WorkersOption = 1) -> None:
    """Serve the API; on the dev chain, start it and deploy the contracts when needed."""
    if role not in ROLES:
        raise TradeLedgerError(f"--role must be one of {', '.join(ROLES)}, not {role!r}", code="invalid_option")
    settings = _settings()
    if role == "engine":
        _run_engine(settings)
        return
    settings = _sharing(settings, sharing_processes(role, workers))
    if role == "api":
        connections = database_share(settings, "api")  # refused here, not once per worker
        _require_engine(settings)
        if connections is not None:
            console.print(connections.describe(), soft_wrap=True)
        _serve_workers(settings, workers)
        return
    if urlparse(settings.chain).scheme in {"http", "https"}:  # a node by URL: refused before anything is built on it
        from tradeledger.chain.nodecheck import require_fit_node

        require_fit_node(settings.chain, settings)
    platform = open_platform(settings, role="all" if workers == 1 else "engine")
    freeze_long_lived()
    try:
        platform.start()
        base = f"http://{settings.host}:{settings.port}"
        if settings.is_dev_chain:
            _print_demo_consortium(platform, settings, base)
        console.print(
            f"tradeledger API on {base}/v1  (OpenAPI docs: {base}/docs)  chain id {platform.chain.chain_id()}"
            + ("" if workers == 1 else f"  ({workers} API workers; this process runs the engine)"),
            soft_wrap=True,
        )
        if platform.connections is not None:
            console.print(platform.connections.describe(), soft_wrap=True)
        if workers == 1:
            import uvicorn

            from tradeledger.api.app import create_app
            from tradeledger.api.server import OneWriteHttp

            api = create_app(platform)
            freeze_long_lived()  # the app's routes, models and schemas too, as an API worker does (api/worker.py)
            uvicorn.run(
                api, host=settings.host, port=settings.port, log_level="info", access_log=settings.access_log,
                http=OneWriteHttp,
            )  # fmt: skip
        else:
            _serve_workers(settings, workers)
    finally:
        platform.close()


def _sharing(settings: Settings, processes: int, at_least: int | None = None) -> Settings:
    """`settings` with TRADELEDGER_DATABASE_PROCESSES counting the `processes` that this command's service runs,
    unless it is set (to `at_least` that many: more hosts may share the database); set in the environment too, for the
    API workers this process spawns to size their pools alike (store.connections)."""
    configured = settings.database_processes
    if configured is not None and configured < (at_least or processes):
        raise ConfigurationError(
            f"TRADELEDGER_DATABASE_PROCESSES={configured}, but this service runs {processes} processes "
            "(the engine and its API workers), each with its own database connections"
        )
    if configured is not None:
        return settings
    os.environ[f"{ENV_PREFIX}DATABASE_PROCESSES"] = str(processes)
    return settings.model_copy(update={"database_processes": processes})


def _serve_workers(settings: Settings, workers: int) -> None:
    """uvicorn's supervisor and its `workers` API processes (each opens its own platform in the `api` role)."""
    import uvicorn

    from tradeledger.api.server import OneWriteHttp
    from tradeledger.api.worker import FACTORY

    uvicorn.run(
        FACTORY, factory=True, workers=workers, host=settings.host, port=settings.port, log_level="info",
        access_log=settings.access_log, http=OneWriteHttp, timeout_worker_healthcheck=WORKER_START_S,
    )  # fmt: skip


def _require_engine(settings: Settings) -> None:
    """API workers attach to the engine's dev chain: they never start one of their own."""
    if settings.is_dev_chain and _dev_chain(settings).running() is None:
        raise TradeLedgerError(
            f"no dev chain is running for {settings.data_dir}: start `tradeledger engine` first",
            code="engine_not_running",
        )


@app.command()
@reports_errors
def engine() -> None:
    """Run the engine alone: receipts, re-sends, indexing, the scheduler and webhooks, for API workers started
    with `tradeledger serve --role api`; on the dev chain it starts the chain and deploys when needed."""
    _run_engine(_settings())


def _run_engine(settings: Settings) -> None:
    import signal

    platform = open_platform(_sharing(settings, sharing_processes("engine", 1), at_least=1), role="engine")
    freeze_long_lived()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # stop as on Ctrl-C: the managed dev chain saves its state
    try:
        platform.start()
        if settings.is_dev_chain:
            _print_demo_consortium(platform, settings, f"http://{settings.host}:{settings.port}")
        console.print(f"tradeledger engine running, chain id {platform.chain.chain_id()}; Ctrl-C stops it")
        if platform.connections is not None:
            console.print(platform.connections.describe(), soft_wrap=True)
        while platform.indexer_error() is None:
            time.sleep(0.5)
        raise TradeLedgerError(f"the indexer halted: {platform.indexer_error()}", code="indexer_halted")
    except KeyboardInterrupt:
        pass
    finally:
        platform.close()


def _print_demo_consortium(platform: Platform, settings: Settings, base_url: str) -> None:
    with console.status("bootstrapping the demo consortium on the dev chain..."):
        members = bootstrap_demo(platform)
    env_file = settings.data_dir / "demo.env"
    write_demo_env(env_file, members, api_url=base_url, rpc_url=platform.chain.backend.rpc_url or "")
    # plain aligned lines rather than a table: keys must stay whole and copyable at any terminal width
    console.print("[bold]demo consortium[/] (PUBLIC dev keys: never on a real chain)")
    width = max(len(member.name) for member in members)
    for m in members:
        line = f"  {m.name:<{width}}  {'$' + m.handle:<10} {m.address}  API key {m.api_key}"
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    console.print(f"the same in {settings.data_dir / 'demo-keys.json'}; for the shell: source {env_file}")


@app.command()
@reports_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="where the statements and reports are written")] = Path("out"),
) -> None:
    """Walk a complete trade through the API of the running platform (or of one started here) and report."""
    from contextlib import nullcontext

    from tradeledger.demo.runner import embedded_target, running_target, walk

    settings = _settings(logging.WARNING)
    running = running_target(settings)
    if running is None:
        console.print(f"no platform answers on http://{settings.host}:{settings.port}: starting one here")
    with nullcontext(running) if running is not None else embedded_target(settings) as target:
        console.print(f"demo trade through {target.base_url}")
        checks = walk(target, out, console)
    table = Table(title="tradeledger demo")
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(check.name, "[green]passed[/]" if check.passed else "[red]FAILED[/]", check.detail)
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    summary = [{"check": c.name, "passed": c.passed, "detail": c.detail} for c in checks]
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"files and summary under {out}/")
    if not all(check.passed for check in checks):
        raise typer.Exit(1)


keys_app = typer.Typer(help="API keys: each is bound to one member.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
@reports_errors
def keys_create(
    member: str = typer.Option(..., "--member", help="address of the member the key acts for"),
    label: str = typer.Option("cli", "--label", help="what the key is for"),
) -> None:
    """Create an API key; the token is shown once."""
    address = _member_address(member, "--member")
    with _local_database() as sessions, transaction(sessions) as db:
        key, token = create_api_key(db, address, label)
    console.print(f"API key {key.id} for {address} ({label}):")
    console.print(token, highlight=False, soft_wrap=True)


users_app = typer.Typer(help="People and service accounts of a member, with roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
@reports_errors
def users_create(
    role: Annotated[
        list[str],
        typer.Option(
            "--role", help="administrator, maker, checker, viewer, auditor; banks also examiner, treasury (repeatable)"
        ),
    ],
    member: str = typer.Option(..., "--member", help="address of the member the user acts for"),
    username: str = typer.Option(..., "--username"),
    service: bool = typer.Option(False, "--service", help="a service account (API keys) instead of a person"),
    password_env: str = typer.Option(
        "TRADELEDGER_NEW_PASSWORD",
        help="a person's password is read from this environment variable (never from the command line)",
    ),
) -> None:
    """Add a user to a member (a member's first administrator, typically); a service account gets its API key."""
    address = _member_address(member, "--member")
    password = None if service else os.environ.get(password_env)
    try:
        request = UserRequest(username=username, kind=UserKind.SERVICE if service else UserKind.PERSON,
                              roles=[Role(r) for r in role], password=password)  # fmt: skip
    except (ValueError, ValidationError) as error:
        raise TradeLedgerError(f"invalid user: {error}", code="invalid_value") from None
    with _local_database() as sessions, transaction(sessions) as db:
        found = db.get(Member, address)
        actor = Actor(address, found.kind if found else None, "cli", "cli", frozenset({Role.ADMINISTRATOR.value}))
        user = users.create_user(db, actor, request)
        token = users.create_key(db, actor, user.id, "cli")[1] if service else None
    console.print(f"user {user.id} ({user.username}, {', '.join(user.roles)}) of {address}")
    if token is not None:
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


# the period options of `statements generate` and `reconcile run` (one PeriodRequest behind both)
CurrencyOption = Annotated[str, typer.Option("--currency", help="ISO 4217 code")]
DateFromOption = Annotated[str, typer.Option("--from", help="first UTC day, YYYY-MM-DD")]
DateToOption = Annotated[
    str | None,
    typer.Option("--to", help="last UTC day (inclusive); without it and --cut-off: up to the last indexed block"),
]
CutOffOption = Annotated[
    str | None, typer.Option("--cut-off", help="end of the period (exclusive), e.g. 2026-11-26T14:05:00Z")
]

statements_app = typer.Typer(help="Statements from the ledger: generate, list, show.", no_args_is_help=True)
app.add_typer(statements_app, name="statements")


@statements_app.command("generate")
@reports_errors
def statements_generate(
    account: Annotated[str, typer.Option("--account", help="the statement account (a member address)")],
    currency: CurrencyOption,
    date_from: DateFromOption,
    date_to: DateToOption = None,
    cut_off: CutOffOption = None,
    fmt: str = typer.Option("camt.053.001.08", "--format", help="camt.053.001.08, mt940, csv or json"),
    counterparty: str | None = typer.Option(None, "--counterparty", help="restrict to one counterparty"),
    requester: str | None = typer.Option(None, "--as", help="requesting member (default: the account)"),
) -> None:
    """Generate a statement file from the indexed ledger and sign its manifest with the member's key."""
    from tradeledger.statements import service
    from tradeledger.statements.schemas import StatementRequest

    values = {
        "account": account,
        "currency": currency,
        "date_from": date_from,
        "date_to": date_to,
        "cut_off": cut_off,
        "format": fmt,
        "counterparty": counterparty,
    }
    request = _validated(StatementRequest, {name: value for name, value in values.items() if value is not None})
    spec = _as_options(service.spec_of, request)
    settings = _settings()
    platform = open_platform(settings, deploy_if_missing=False)
    try:
        viewer = checksum(requester) if requester else spec.account
        with platform.sessions() as db:
            viewer_kind = _kind(db, viewer)
        view, path = service.create_statement(platform, spec, viewer, viewer_kind)
    finally:
        platform.close()
    console.print(f"statement {view.id}: {path}")
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

    settings = load_settings()
    from_block = 0
    if anchor_contract is None or settlement_contract is None:
        path = deployment or settings.deployment_file
        deployed = DeploymentManifest.load(path)
        if deployed is None:
            raise TradeLedgerError(
                f"no deployment manifest at {path}: pass --deployment or --anchor-contract and --settlement-contract",
                code="configuration_error",
            )
        anchor_contract = anchor_contract or deployed.contracts["ReconciliationAnchor"].address
        settlement_contract = settlement_contract or deployed.contracts["Settlement"].address
        from_block = deployed.deploy_block
    try:
        parsed, raw_signature = load_signed_manifest(manifest.read_bytes(), signature)
    except ManifestError as error:
        errors.print(escape(f"FAILED manifest: {error}"), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    client = HttpJsonRpc(rpc)
    try:
        reader = ChainLedgerReader(
            client,
            settlement=settlement_contract,
            anchor=anchor_contract,
            from_block=from_block,
            log_range=settings.log_range,
        )
        problems = verify_statement(file, parsed, raw_signature, reader)
    finally:
        client.close()
    if problems:
        for problem in problems:
            errors.print(escape(f"FAILED {problem}"), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"verified: {file.name} ({parsed.entry_count} entries, root {parsed.merkle_root}) signed by "
        f"{parsed.issuer} and anchored on chain {reader.chain_id}",
        highlight=False,
        soft_wrap=True,
    )


reconcile_app = typer.Typer(
    help="Books-vs-ledger reconciliation: run, list, breaks, export, assign, resolve, reopen.", no_args_is_help=True
)
app.add_typer(reconcile_app, name="reconcile")

OPTION_NAMES = {
    "account": "--account",
    "counterparty": "--counterparty",
    "currency": "--currency",
    "date_from": "--from",
    "date_to": "--to",
    "cut_off": "--cut-off",
    "format": "--format",
    "mapping": "--mapping",
    "amount_tolerance_minor": "--amount-tolerance",
    "amount_tolerance_bps": "--amount-tolerance-bps",
    "date_window_days": "--date-window",
    "assignee": "--to",
    "note": "--note",
    "order_id": "--order",
    "recipient_bank": "--recipient-bank",
    "amount": "--amount",
    "due_date": "--due-date",
    "expiry": "--expiry",
    "terms": "--terms",
    "document_id": "--document",
    "rate_bps": "--rate-bps",
    "day_count": "--day-count",
    "reference": "--reference",
}
ModelT = TypeVar("ModelT", bound=BaseModel)


def _validated(model: type[ModelT], values: dict[str, object]) -> ModelT:
    """The model, or one line naming the option at fault."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "input"
        raise TradeLedgerError(f"{OPTION_NAMES.get(name, name)}: {first['msg']}", code="invalid_value") from None


def _as_options(validate: Callable[[ModelT], R], request: ModelT) -> R:
    """A service's validation of a request, a field it refuses named as the command's option."""
    try:
        return validate(request)
    except InvalidValueError as error:
        field = error.details.get("field")
        if field is None:
            raise
        reason = error.message.removeprefix(f"{field}: ")
        raise TradeLedgerError(f"{OPTION_NAMES.get(field, field)}: {reason}", code=error.code) from None


@contextmanager
def _local_database() -> Iterator[sessionmaker[Session]]:
    """Sessions on the data directory's database (migrated), for commands that need no chain."""
    settings = _settings()
    engine = make_engine(database_url(settings.database_url, settings.data_dir))
    try:
        migrate(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


def _member_address(value: str, option: str) -> str:
    try:
        return checksum(value)
    except ValueError:
        raise TradeLedgerError(f"{option} {value!r} is not an address", code="invalid_value") from None


def _kind(db: Session, member: str) -> MemberKind | None:
    from tradeledger.members.models import Member

    row = db.get(Member, member)
    return None if row is None else row.kind


class _ProgressBars:
    """The reconciliation service's progress reports as one rich progress bar per stage."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._task: TaskID | None = None

    def start(self, stage: str, total: int | None) -> None:
        self.finish()
        self._task = self._bars.add_task(stage, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._bars.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            task = next(task for task in self._bars.tasks if task.id == self._task)
            total = task.total if task.total is not None else 1
            self._bars.update(self._task, total=total, completed=total)
        self._task = None


@contextmanager
def _readable(path: Path, option: str) -> Iterator[BinaryIO]:
    try:
        stream = path.open("rb")
    except OSError as error:
        raise TradeLedgerError(f"{option}: cannot read {path} ({error.strerror})", code="invalid_value") from None
    with stream:
        yield stream


def _days(start: datetime, end: datetime) -> str:
    last = (end - timedelta(microseconds=1)).date()
    return f"{start.date()}..{last}"


@reconcile_app.command("run")
@reports_errors
def reconcile_run(
    books: Annotated[Path, typer.Option("--books", help="the books file")],
    account: Annotated[str, typer.Option("--account", help="the reconciled account (a member address)")],
    currency: CurrencyOption,
    date_from: DateFromOption,
    date_to: DateToOption = None,
    cut_off: CutOffOption = None,
    fmt: str = typer.Option(..., "--format", help="csv, camt.053 or mt940"),
    mapping: str | None = typer.Option(
        None, "--mapping", help="CSV column mapping: a JSON object, or @FILE holding one (default: our CSV statement)"
    ),
    amount_tolerance: int | None = typer.Option(None, "--amount-tolerance", help="minor units (default 1)"),
    amount_tolerance_bps: int | None = typer.Option(None, "--amount-tolerance-bps", help="basis points (default 1)"),
    date_window: int | None = typer.Option(None, "--date-window", help="days either way (default 2)"),
    requester: str | None = typer.Option(None, "--as", help="the member running it (default: the account)"),
) -> None:
    """Reconcile an account's indexed ledger of a period against a books file; print the summary."""
    from tradeledger.reconciliations import service
    from tradeledger.reconciliations.schemas import RunRequest

    if mapping is not None and mapping.startswith("@"):
        try:
            mapping = Path(mapping[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise TradeLedgerError(
                f"--mapping: cannot read {mapping[1:]} ({error.strerror})", code="invalid_value"
            ) from None
    values: dict[str, object] = {
        "account": account,
        "currency": currency,
        "date_from": date_from,
        "date_to": date_to,
        "cut_off": cut_off,
        "format": fmt,
        "mapping": mapping,
        "amount_tolerance_minor": amount_tolerance,
        "amount_tolerance_bps": amount_tolerance_bps,
        "date_window_days": date_window,
    }
    request = _validated(RunRequest, {name: value for name, value in values.items() if value is not None})
    spec = _as_options(service.spec_of, request)
    viewer = _member_address(requester, "--as") if requester else spec.ledger.account
    platform = open_platform(_settings(), deploy_if_missing=False)
    try:
        platform.indexer.catch_up()
        with _readable(books, "--books") as stream, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=console,
        ) as display:  # fmt: skip
            bars = _ProgressBars(display)
            imported = service.import_books(spec, stream, books.name, bars)
            with platform.sessions() as db:
                viewer_kind = _kind(db, viewer)
            view = service.start_run(platform, spec, imported, viewer, viewer_kind, progress=bars)
            bars.finish()
    finally:
        platform.close()
    summary = Table(title=f"reconciliation run {view.id}", show_header=False)
    for key, value in (
        ("account", f"{view.account} {view.currency} {_days(view.period_start, view.period_end)}"),
        ("books file", f"{view.books_file.name} ({view.books_file.format}) sha256 {view.books_file.sha256}"),
        ("ledger entries", f"{view.ledger_entries.total}: {view.ledger_entries.matched} matched, "
                           f"{view.ledger_entries.unmatched} unmatched"),
        ("book lines", f"{view.book_lines.total}: {view.book_lines.matched} matched, {view.book_lines.unmatched} "
                       f"unmatched, {view.books_file.lines_out_of_scope} in other currencies left out"),
    ):  # fmt: skip
        summary.add_row(key, value)
    breaks = [(category, count) for category, count in view.breaks_by_category.items() if count]
    for category, count in breaks or [("breaks", 0)]:
        summary.add_row(category, str(count))
    console.print(summary)


@reconcile_app.command("list")
@reports_errors
def reconcile_list(account: str | None = typer.Option(None, "--account", help="only this account")) -> None:
    """List reconciliation runs."""
    from tradeledger.reconciliations import repository, service

    accounts = None if account is None else {_member_address(account, "--account")}
    with _local_database() as sessions, sessions() as db:
        views = [service.run_view(db, row) for row in repository.runs(db, accounts, None, 10_000)]
    table = Table(title="reconciliation runs")
    for column in ("id", "account", "currency", "period", "books file", "ledger", "books", "breaks", "open"):
        table.add_column(column, overflow="fold")
    for v in views:
        table.add_row(
            v.id,
            v.account,
            v.currency,
            _days(v.period_start, v.period_end),
            f"{v.books_file.name} ({v.books_file.format})",
            f"{v.ledger_entries.matched}/{v.ledger_entries.total}",
            f"{v.book_lines.matched}/{v.book_lines.total}",
            str(sum(v.breaks_by_category.values())),
            str(v.breaks_by_status["open"]),
        )
    console.print(table)


@reconcile_app.command("breaks")
@reports_errors
def reconcile_breaks(
    run_id: int = typer.Argument(..., help="the run id"),
    category: str | None = typer.Option(None, "--category", help="only this category (e.g. AMOUNT_MISMATCH)"),
    status: str | None = typer.Option(None, "--status", help="open, assigned or resolved"),
    limit: int = typer.Option(500, "--limit", min=1, help="show at most this many"),
) -> None:
    """List a run's breaks."""
    from reconciliation.matching import BreakCategory, BreakStatus
    from tradeledger.reconciliations import repository, service
    from tradeledger.reconciliations.export import decimal_text

    try:
        wanted_category = None if category is None else BreakCategory(category.upper())
        wanted_status = None if status is None else BreakStatus(status.lower())
    except ValueError as error:
        raise TradeLedgerError(f"{error}", code="invalid_value") from None
    with _local_database() as sessions, sessions() as db:
        run = repository.run(db, run_id)
        if run is None:
            raise service.RunNotFoundError(f"no reconciliation run {run_id}")
        rows = service.list_breaks(db, run, wanted_category, wanted_status, None, limit)
        total = repository.count_breaks(
            db, run_id, category=None if wanted_category is None else wanted_category.value, status=wanted_status
        )
    table = Table(title=f"breaks of run {run_id} ({len(rows)} of {total})")
    for column in ("id", "category", "status", "currency", "ledger", "books", "difference", "references", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.category + (f" {row.subtype}" if row.subtype else ""),
            row.status.value + (f" ({row.assignee})" if row.assignee else ""),
            row.currency or "-",
            decimal_text(row.ledger_amount, row.currency) or "-",
            decimal_text(row.book_amount, row.book_currency or row.currency) or "-",
            decimal_text(row.difference, row.currency) or "-",
            " ".join(dict.fromkeys([*row.ledger_references, *row.book_references])) or "-",
            row.detail,
        )
    console.print(table)
    if total > len(rows):
        console.print(f"{total - len(rows)} more: `tradeledger reconcile export {run_id}` writes them all")


@reconcile_app.command("export")
@reports_errors
def reconcile_export(
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    run_id: int = typer.Argument(..., help="the run id"),
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
) -> None:
    """Write every break of a run, with its status, as CSV (Excel-friendly) or JSON."""
    from tradeledger.reconciliations import repository, service
    from tradeledger.reconciliations.export import export
    from tradeledger.reconciliations.schemas import ExportFormat

    try:
        export_format = ExportFormat(fmt.lower())
    except ValueError:
        raise TradeLedgerError(f"--format: {fmt!r} is not csv or json", code="invalid_value") from None
    scratch = out.with_name(out.name + ".part")
    with _local_database() as sessions, sessions() as db:
        run = repository.run(db, run_id)
        if run is None:
            raise service.RunNotFoundError(f"no reconciliation run {run_id}")
        try:
            with scratch.open("wb") as handle:
                for chunk in export(db, run, export_format):
                    handle.write(chunk)
            scratch.replace(out)
        except OSError as error:
            scratch.unlink(missing_ok=True)
            raise TradeLedgerError(f"--out: cannot write {out} ({error.strerror})", code="invalid_value") from None
        count = repository.count_breaks(db, run_id)
    console.print(f"wrote {count} breaks of run {run_id} to {out}")


def _change_break(
    break_id: int, action: str, note: str | None, requester: str | None, assignee: str | None = None
) -> None:
    from tradeledger.reconciliations import repository, service

    with _local_database() as sessions, transaction(sessions) as db:
        found = repository.break_row(db, break_id)
        run = None if found is None else repository.run(db, found.run_id)
        if found is None or run is None:
            raise service.BreakNotFoundError(f"no break {break_id}")
        actor = _member_address(requester, "--as") if requester else run.account
        row = service.change_status(
            db, run_id=run.id, break_id=break_id, action=action, actor=actor, actor_kind=_kind(db, actor), note=note,
            assignee=assignee,
        )  # fmt: skip
        status, who = row.status.value, row.assignee
    console.print(f"break {break_id} is {status}" + (f" (assigned to {who})" if who else ""))


@reconcile_app.command("assign")
@reports_errors
def reconcile_assign(
    break_id: int = typer.Argument(..., help="the break id"),
    assignee: str = typer.Option(..., "--to", help="who works on it"),
    note: str | None = typer.Option(None, "--note", help="why, or what to do"),
    requester: str | None = typer.Option(None, "--as", help="the member making the change (default: the account)"),
) -> None:
    """Assign an open break (or reassign an assigned one) to someone."""
    from tradeledger.reconciliations.schemas import AssignRequest

    body = _validated(AssignRequest, {"assignee": assignee, "note": note})
    _change_break(break_id, "assign", body.note, requester, body.assignee)


@reconcile_app.command("resolve")
@reports_errors
def reconcile_resolve(
    break_id: int = typer.Argument(..., help="the break id"),
    note: str = typer.Option(..., "--note", help="how it was resolved (required)"),
    requester: str | None = typer.Option(None, "--as", help="the member making the change (default: the account)"),
) -> None:
    """Resolve an open or assigned break."""
    from tradeledger.reconciliations.schemas import ResolveRequest

    _change_break(break_id, "resolve", _validated(ResolveRequest, {"note": note}).note, requester)


@reconcile_app.command("reopen")
@reports_errors
def reconcile_reopen(
    break_id: int = typer.Argument(..., help="the break id"),
    note: str | None = typer.Option(None, "--note", help="why"),
    requester: str | None = typer.Option(None, "--as", help="the member making the change (default: the account)"),
) -> None:
    """Reopen a resolved break."""
    from tradeledger.reconciliations.schemas import ReopenRequest

    _change_break(break_id, "reopen", _validated(ReopenRequest, {"note": note}).note, requester)


webhooks_app = typer.Typer(help="Webhook subscriptions and their deliveries.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


def _deliveries_table(sessions: sessionmaker[Session], subscription_id: str, limit: int) -> Table:
    from tradeledger.webhooks import repository

    with sessions() as db:
        subscription = repository.subscription(db, subscription_id)
        if subscription is None:
            raise TradeLedgerError(f"no webhook subscription {subscription_id}", code="webhook_subscription_not_found")
        rows = repository.latest_deliveries(db, subscription_id, limit)
    table = Table(title=f"{subscription.url}  ({subscription.status.value}, member {subscription.member})")
    for column in ("#", "webhook-id", "type", "event", "state", "tries", "last answer", "when"):
        table.add_column(column, overflow="fold")
    for row in rows:
        answer = row.last_error or ("-" if row.last_status is None else str(row.last_status))
        when = row.delivered_at if row.state.value == "delivered" else row.next_attempt_at
        table.add_row(
            str(row.id),
            row.message_id,
            row.event_type,
            "-" if row.event_id is None else str(row.event_id),
            row.state.value,
            str(row.attempts),
            answer,
            f"{when:%Y-%m-%d %H:%M:%S}" if when else "-",
        )
    return table


@webhooks_app.command("tail")
@reports_errors
def webhooks_tail(
    subscription_id: Annotated[str, typer.Argument(help="the subscription id")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="how many of the latest deliveries")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep the table up to date until Ctrl-C")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.2, help="seconds between refreshes")] = 1.0,
) -> None:
    """A subscription's latest deliveries: state, attempts and the receiver's last answer, oldest first."""
    from rich.live import Live

    with _local_database() as sessions:
        table = _deliveries_table(sessions, subscription_id, limit)
        if not follow:
            console.print(table)
            return
        with Live(table, console=console, auto_refresh=False) as live:
            try:
                while True:
                    time.sleep(interval)
                    live.update(_deliveries_table(sessions, subscription_id, limit), refresh=True)
            except KeyboardInterrupt:
                pass


# ---- records: transferable records (electronic bills of lading) and their verification against the chain

records_app = typer.Typer(
    help="Transferable records (eBLs): issue, step, show; verify a document against the chain.", no_args_is_help=True
)
app.add_typer(records_app, name="records")


def _document_hash(document: str) -> str:
    """A file's SHA-256, or the 0x-hex SHA-256 given as is."""
    from tradeledger.records.service import document_hash

    path = Path(document)
    if path.is_file():
        return document_hash(path.read_bytes())
    if len(document) == 66 and document.startswith("0x"):
        try:
            bytes.fromhex(document[2:])
            return document.lower()
        except ValueError:
            pass
    raise TradeLedgerError(f"{document!r} is neither a file nor a 0x-hex SHA-256", code="invalid_value")


def _as_member(member: str, command: Callable[[Platform, str, MemberKind | None], R]) -> R:
    """Run a domain command as `member` (--as, a key this instance hosts) on the platform, its read model caught
    up first; the same command the API runs, so the contract and the service refuse alike."""
    caller = _member_address(member, "--as")
    platform = open_platform(_settings(), deploy_if_missing=False)
    try:
        platform.indexer.catch_up()
        with platform.sessions() as db:
            caller_kind = _kind(db, caller)
        return command(platform, caller, caller_kind)
    finally:
        platform.close()


def _written(view: object) -> bool:
    """Say so and answer False when a write is not in the read model yet (or is held for approval)."""
    from tradeledger.operations import Pending
    from tradeledger.users.approvals import Held

    if isinstance(view, Pending):
        console.print(f"submitted: transaction {view.row.id} is not yet in the read model")
        return False
    if isinstance(view, Held):
        console.print(f"held for approval: request {view.request.id}")
        return False
    return True


def _record_command(member: str, command: Callable[[Platform, str, MemberKind | None], object]) -> None:
    """Run a records command as `member` (--as) on the platform, and print the record it answers."""
    from tradeledger.records.schemas import RecordView

    view = _as_member(member, command)
    if _written(view):
        assert isinstance(view, RecordView)
        _print_record(view)


def _print_record(view: RecordView) -> None:
    console.print(
        f"record {view.record_id} ({view.kind}, {'order' if view.to_order else 'bearer'}): {view.state}, held by "
        f"{view.holder}, controlled by {view.controller}; document {view.document_hash}",
        highlight=False,
        soft_wrap=True,
    )
    for change in view.history:
        console.print(
            f"  {change.at:%Y-%m-%d %H:%M:%S}Z {change.action:<22} -> {change.controller}",
            highlight=False,
            soft_wrap=True,
        )


@records_app.command("issue")
@reports_errors
def records_issue(
    document: Annotated[str, typer.Argument(help="the document file (hashed with SHA-256) or its 0x-hex SHA-256")],
    issuer: str = typer.Option(..., "--as", help="the issuing member (the carrier, or a bank acting for it)"),
    holder: str = typer.Option(..., "--holder", help="the first holder (the shipper)"),
    kind: str = typer.Option("bill_of_lading", "--kind", help="bill_of_lading, warehouse_receipt, promissory_note"),
    bearer: bool = typer.Option(False, "--bearer", help="a bearer document (default: an order document)"),
) -> None:
    """Issue a transferable record of a document to its first holder (the hash on chain, the file stays here)."""
    from tradeledger.operations import Submission
    from tradeledger.records import service
    from tradeledger.records.schemas import IssueRecordRequest

    values = {"document_hash": _document_hash(document), "holder": holder, "kind": kind, "to_order": not bearer}
    request = _validated(IssueRecordRequest, values)
    _record_command(issuer, lambda platform, caller, kind: service.issue(platform, caller, kind, request, Submission()))


@records_app.command("step")
@reports_errors
def records_step(
    record_id: Annotated[int, typer.Argument(min=1, help="the record id")],
    step: Annotated[
        str,
        typer.Argument(
            help="endorse, transfer, pledge, release-pledge, enforce-pledge, surrender, reject-surrender or void"
        ),
    ],
    member: str = typer.Option(..., "--as", help="the member taking the step (the record's controller)"),
    to: str | None = typer.Option(None, "--to", help="endorsee (none: in blank), new holder, or pledgee bank"),
) -> None:
    """Take one step on a record; only its controller may."""
    from tradeledger.operations import Submission
    from tradeledger.records import service
    from tradeledger.records.schemas import CounterpartyRequest, EndorseRequest

    if step not in service.STEP_FUNCTIONS:
        raise TradeLedgerError(
            f"unknown step {step!r}: one of {', '.join(service.STEP_FUNCTIONS)}", code="invalid_value"
        )
    body: EndorseRequest | CounterpartyRequest | None = None
    if step == "endorse":
        body = _validated(EndorseRequest, {"endorsee": to})
    elif step in ("transfer", "pledge"):
        if to is None:
            raise TradeLedgerError(f"--to is required to {step}", code="invalid_value")
        body = _validated(CounterpartyRequest, {"to": to})
    _record_command(
        member,
        lambda platform, caller, kind: service.run_step(platform, caller, kind, record_id, step, body, Submission()),
    )


@records_app.command("show")
@reports_errors
def records_show(
    record_id: Annotated[int, typer.Argument(min=1, help="the record id")],
    member: str = typer.Option(..., "--as", help="the member asking (it sees records it is or was a party to)"),
) -> None:
    """One record and its history of control, from the read model."""
    from tradeledger.records import service

    _record_command(member, lambda platform, caller, kind: service.record_view(platform, caller, kind, record_id))


@records_app.command("verify")
@reports_errors
def records_verify(
    document: Annotated[str, typer.Argument(help="the document file or its 0x-hex SHA-256")],
    rpc: str = typer.Option(..., "--rpc", help="JSON-RPC URL of any consortium node"),
    deployment: Annotated[
        Path | None,
        typer.Option("--deployment", help="deployment manifest with the contract addresses (default: the data dir's)"),
    ] = None,
    records_contract: str | None = typer.Option(None, "--records-contract", help="TransferableRecords address"),
) -> None:
    """Check a document against the chain alone: its record, issuer, state and every change of control."""
    from tradeledger.chain.manifest import DeploymentManifest
    from tradeledger.chain.records import ChainRecordsReader
    from tradeledger.chain.rpc import HttpJsonRpc

    digest = _document_hash(document)
    settings = load_settings()
    from_block = 0
    if records_contract is None:
        path = deployment or settings.deployment_file
        deployed = DeploymentManifest.load(path)
        if deployed is None or "TransferableRecords" not in deployed.contracts:
            raise TradeLedgerError(
                f"no TransferableRecords in a deployment manifest at {path}: pass --deployment or --records-contract",
                code="configuration_error",
            )
        records_contract = deployed.contracts["TransferableRecords"].address
        from_block = deployed.deploy_block
    client = HttpJsonRpc(rpc)
    try:
        reader = ChainRecordsReader(
            client, records=records_contract, from_block=from_block, log_range=settings.log_range
        )
        record = reader.find(bytes.fromhex(digest[2:]))
        if record is None:
            console.print(f"not a transferable record on chain {reader.chain_id}: {digest}", highlight=False)
            raise typer.Exit(1)
        kinds = {address: reader.member_kind(address) for address in {record.issuer, record.controller}}
    finally:
        client.close()
    console.print(
        f"verified on chain {reader.chain_id}: {digest} is record {record.record_id} ({record.kind}), "
        f"{record.state}; issued {record.issued_at:%Y-%m-%d} by {kinds[record.issuer]} {record.issuer}; "
        f"controlled by {kinds[record.controller]} {record.controller}",
        highlight=False,
        soft_wrap=True,
    )
    for change in record.history:
        console.print(
            f"  {change.at:%Y-%m-%d %H:%M:%S}Z {change.event:<24} {change.action:<26} -> {change.controller}",
            highlight=False,
            soft_wrap=True,
        )


openaccount_help = "Open-account trade: invoice versions and bank payment undertakings (read model)."
invoices_app = typer.Typer(help=f"{openaccount_help} Invoices.", no_args_is_help=True)
undertakings_app = typer.Typer(help=f"{openaccount_help} Payment undertakings.", no_args_is_help=True)
app.add_typer(invoices_app, name="invoices")
app.add_typer(undertakings_app, name="undertakings")


def _day(timestamp: int | None) -> str:
    """A chain time as its UTC calendar day (dates on chain are days), '-' when unset."""
    return "-" if not timestamp else f"{datetime.fromtimestamp(timestamp, UTC):%Y-%m-%d}"


def _print_table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


StateT = TypeVar("StateT", bound=enum.Enum)


def _state_filter(state: str | None, states: type[StateT]) -> StateT | None:
    """The `--state` option as a member of `states` (NONE excluded, any case); an unknown name is refused by name."""
    named = {s.name.lower(): s for s in states if s.name != "NONE"}
    if state is not None and state.lower() not in named:
        raise TradeLedgerError(f"--state {state!r} is not one of {', '.join(named)}", code="invalid_value")
    return None if state is None else named[state.lower()]


def _money(amount: int, currency: str) -> str:
    from reconciliation.formats.common import format_minor

    return f"{format_minor(amount, currency)} {currency}"


@invoices_app.command("list")
@reports_errors
def invoices_list(
    account: str | None = typer.Option(None, "--account", help="only invoices this seller or buyer is party to"),
    order: int | None = typer.Option(None, "--order", help="only the versions of this order's invoice"),
) -> None:
    """List invoice versions with their data-match state."""
    from tradeledger.invoices import repository

    accounts = None if account is None else {_member_address(account, "--account")}
    with _local_database() as sessions, sessions() as db:
        rows = [
            (
                str(row.invoice_id),
                str(row.order_id),
                str(row.version),
                row.seller,
                row.buyer,
                _money(row.amount, row.currency),
                _day(row.issue_date),
                row.state.name + (f" by {row.superseded_by}" if row.superseded_by else ""),
                _day(row.matched_at),
                row.match_report_hash or "-",
            )
            for row in repository.invoices(db, accounts, order, 10_000)
        ]
    columns = ("id", "order", "version", "seller", "buyer", "amount", "issued", "state", "match", "report")
    _print_table("invoices", columns, rows)


@undertakings_app.command("list")
@reports_errors
def undertakings_list(
    account: str | None = typer.Option(None, "--account", help="only undertakings this member is party to"),
    state: str | None = typer.Option(None, "--state", help="established, settled or expired"),
) -> None:
    """List bank payment undertakings: banks, amount, due date, expiry, state and who receives the proceeds."""
    from tradeledger.undertakings import repository
    from tradeledger.undertakings.models import UndertakingState
    from tradeledger.undertakings.schemas import PaymentUndertakingView

    accounts = None if account is None else {_member_address(account, "--account")}
    wanted = _state_filter(state, UndertakingState)
    with _local_database() as sessions, sessions() as db:
        views = [PaymentUndertakingView.of(row) for row in repository.undertakings(db, accounts, wanted, 10_000)]
    _print_undertakings("payment undertakings", views)


UNDERTAKING_COLUMNS = ("id", "order", "obligor bank", "recipient bank", "amount", "due", "expiry", "state", "payee")


def _print_undertakings(title: str, views: Sequence[PaymentUndertakingView]) -> None:
    """Undertakings as one table: banks, amount, due date, expiry, state and who receives the proceeds."""
    rows = [
        (
            view.undertaking_id,
            view.order_id,
            view.obligor_bank,
            view.recipient_bank,
            _money(int(view.amount), view.currency),
            _day(view.due_date),
            _day(view.expiry),
            view.state + (f" {_day(view.settled_at)}" if view.settled_at else ""),
            "seller" if view.payee == view.seller else f"financier {view.payee}",
        )
        for view in views
    ]
    _print_table(title, UNDERTAKING_COLUMNS, rows)


def _terms(value: str) -> object:
    """--terms: a JSON file, or the JSON object itself."""
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    try:
        return json.loads(text)
    except ValueError as error:
        raise TradeLedgerError(f"--terms: neither a JSON file nor JSON ({error})", code="invalid_value") from None


@undertakings_app.command("establish")
@reports_errors
def undertakings_establish(
    bank: str = typer.Option(..., "--as", help="the obligor bank: the buyer's sponsor bank, hosted here"),
    order: int = typer.Option(..., "--order", min=0, help="the buyer's open-account order, accepted or later"),
    recipient_bank: str = typer.Option(..., "--recipient-bank", help="the seller's bank, paid on the due date"),
    amount: int = typer.Option(..., "--amount", help="minor units of the order's currency"),
    due_date: str = typer.Option(..., "--due-date", help="the UTC day it settles, once the data matched"),
    expiry: str = typer.Option(..., "--expiry", help="the last UTC day the data may match"),
    terms: str = typer.Option(..., "--terms", help="the full terms (kept off chain): a JSON file or JSON text"),
) -> None:
    """The buyer's bank undertakes to pay the seller's bank on the due date once the order's data match (URBPO 750).

    Run again with the same values, it shows the undertaking the first run established."""
    from tradeledger.operations import Submission
    from tradeledger.undertakings import service
    from tradeledger.undertakings.schemas import EstablishRequest, PaymentUndertakingView

    values = {"order_id": order, "recipient_bank": recipient_bank, "amount": amount, "due_date": due_date,
              "expiry": expiry, "terms": _terms(terms)}  # fmt: skip
    request = _validated(EstablishRequest, values)

    def establish(platform: Platform, caller: str, kind: MemberKind | None) -> object:
        return service.established_already(platform, caller, kind, request) or service.establish(
            platform, caller, kind, request, Submission()
        )

    view = _as_member(bank, establish)
    if _written(view):
        assert isinstance(view, PaymentUndertakingView)
        _print_undertakings("payment undertaking established", [view])


@undertakings_app.command("discount")
@reports_errors
def undertakings_discount(
    undertaking: Annotated[int, typer.Argument(min=1, help="the payment undertaking")],
    financier: str = typer.Option(..., "--as", help="the financier (the recipient bank or another bank), hosted here"),
    document: int = typer.Option(..., "--document", min=0, help="the seller's invoice the financier registered"),
    rate_bps: int = typer.Option(..., "--rate-bps", help="annual discount rate in basis points"),
    day_count: str = typer.Option("ACT/360", "--day-count", help="ACT/360 or ACT/365"),
    reference: str = typer.Option(..., "--reference", help="the financing's reference on the ledger"),
) -> None:
    """Receivables discounting: pay the seller the amount less the discount to the due date now, and take the
    undertaking's proceeds at maturity (the invoice is financed once in the consortium).

    Run again, it resumes a discount whose second step did not happen, or shows the one done."""
    from tradeledger.operations import Submission
    from tradeledger.undertakings import service
    from tradeledger.undertakings.schemas import DiscountRequest, DiscountView, PaymentUndertakingView

    values = {"document_id": document, "rate_bps": rate_bps, "day_count": day_count, "reference": reference}
    request = _validated(DiscountRequest, values)

    def discount(platform: Platform, caller: str, kind: MemberKind | None) -> object:
        seen = service.undertaking_view(platform, caller, kind, undertaking)
        if seen.payee == caller and seen.financed_document_id == str(request.document_id):
            return seen  # discounted already, against this invoice
        return service.discount_undertaking(platform, caller, kind, undertaking, request, Submission())

    view = _as_member(financier, discount)
    if not _written(view):
        return
    if isinstance(view, PaymentUndertakingView):
        _print_undertakings("payment undertaking discounted already", [view])
        return
    assert isinstance(view, DiscountView)
    price = (
        _money(int(view.undertaking.amount), view.undertaking.currency),
        f"{view.rate_bps} bps {view.day_count}",
        f"{view.value_date:%Y-%m-%d}",
        str(view.days),
        _money(int(view.discount), view.undertaking.currency),
        _money(int(view.advance), view.undertaking.currency),
        view.document_id,
    )
    _print_table("receivables discount", ("face", "rate", "value date", "days", "discount", "advance", "invoice"),
                 [price])  # fmt: skip
    _print_undertakings("payment undertaking", [view.undertaking])


payables_app = typer.Typer(
    help="Payables finance: payables buyers approved, financed early by banks.", no_args_is_help=True
)
app.add_typer(payables_app, name="payables")


@payables_app.command("list")
@reports_errors
def payables_list(
    account: str | None = typer.Option(
        None, "--account", help="only payables this buyer, supplier or bank is party to"
    ),
    state: str | None = typer.Option(None, "--state", help="approved, financed, overdue or paid"),
) -> None:
    """List payables: buyer, supplier, amount, maturity, state, and the financier with its advance once financed."""
    from tradeledger.payables import repository
    from tradeledger.payables.models import PayableState

    accounts = None if account is None else {_member_address(account, "--account")}
    wanted = _state_filter(state, PayableState)
    with _local_database() as sessions, sessions() as db:
        rows = [
            (
                str(row.payable_id),
                str(row.invoice_id),
                row.buyer,
                row.supplier,
                _money(row.amount, row.currency),
                _day(row.maturity),
                row.state.name + (f" {_day(row.paid_at)}" if row.paid_at else ""),
                row.financier or "-",
                "-" if row.advance is None else _money(row.advance, row.currency),
            )
            for row in repository.payables(db, accounts, wanted, 10_000)
        ]
    columns = ("id", "invoice", "buyer", "supplier", "amount", "maturity", "state", "financier", "advance")
    _print_table("payables", columns, rows)


guarantees_app = typer.Typer(
    help="Demand guarantees and counter-guarantees (URDG 758) and standby credits (ISP98) (read model).",
    no_args_is_help=True,
)
app.add_typer(guarantees_app, name="guarantees")


def _extension(row: GuaranteeView) -> str:
    """A standby's automatic extension (ISP98 2.06(a)) in a few words, '-' when it states none."""
    if not row.extension_days:
        return "-"
    if row.non_extension_noticed:
        return "noticed: not extended"
    limit = f", until {_day(row.final_expiry)}" if row.final_expiry else ""
    return f"+{row.extension_days}d unless noticed {row.non_extension_notice_days}d before{limit}"


@guarantees_app.command("list")
@reports_errors
def guarantees_list(
    account: str | None = typer.Option(None, "--account", help="only undertakings this member is party to"),
    state: str | None = typer.Option(None, "--state", help="applied, issued, advised, exhausted, expired, ..."),
) -> None:
    """List guarantees, counter-guarantees and standbys: rules, parties, amount outstanding, expiry and state."""
    from tradeledger.guarantees import repository, service
    from tradeledger.guarantees.models import UndertakingState

    accounts = None if account is None else {_member_address(account, "--account")}
    wanted = _state_filter(state, UndertakingState)
    with _local_database() as sessions, sessions() as db:
        views = [service.view(db, row) for row in repository.page(db, accounts, None, 10_000)]
    rows = [
        (
            view.guarantee_id,
            view.rules + (f" counter of {view.counter_guarantee_of}" if view.counter_guarantee_of else ""),
            view.applicant,
            view.beneficiary,
            view.guarantor,
            _money(int(view.amount), view.currency),
            _money(int(view.outstanding), view.currency),
            _day(view.expiry),
            _extension(view),
            view.state,
        )
        for view in views
        if wanted is None or view.state == wanted.name
    ]
    columns = ("id", "rules", "applicant", "beneficiary", "guarantor", "amount", "outstanding", "expiry",
               "automatic extension", "state")  # fmt: skip
    _print_table("guarantees and standbys", columns, rows)


@guarantees_app.command("show")
@reports_errors
def guarantees_show(guarantee_id: Annotated[int, typer.Argument(min=1, help="the guarantee or standby id")]) -> None:
    """One guarantee or standby with its amendments and demands, from the read model."""
    from tradeledger.guarantees import repository, service

    with _local_database() as sessions, sessions() as db:
        row = repository.get(db, guarantee_id)
        if row is None:
            raise service.GuaranteeNotFoundError(f"no guarantee {guarantee_id}")
        view = service.view(db, row)
    fields = (
        ("rules", view.rules), ("state", view.state), ("applicant", view.applicant),
        ("beneficiary", view.beneficiary), ("guarantor", view.guarantor),
        ("advising party", view.advising_party or "-"),
        ("counter-guarantee of", view.counter_guarantee_of or "-"),
        ("counter-guaranteed by", view.counter_guarantee_id or "-"),
        ("amount", _money(int(view.amount), view.currency)), ("paid", _money(int(view.paid), view.currency)),
        ("reduced", _money(int(view.reduced), view.currency)),
        ("outstanding", _money(int(view.outstanding), view.currency)),
        ("current amount", _money(int(view.current_amount), view.currency)), ("expiry", _day(view.expiry)),
        ("automatic extension", _extension(view)), ("terms hash", view.terms_hash),
    )  # fmt: skip
    _print_table(f"guarantee {view.guarantee_id}", ("field", "value"), fields)
    if view.reduction_schedule:
        steps = [
            (str(s.step), _day(s.day * 86_400), _money(int(s.amount), view.currency),
             _day(s.recorded_at) if s.recorded_at is not None else "not yet")
            for s in view.reduction_schedule
        ]  # fmt: skip
        _print_table("reduction schedule", ("step", "from", "reduced by", "recorded"), steps)
    if view.amendments:
        amendments = [
            (a.amendment_id, _money(int(a.amount), view.currency) if a.fields & 1 else "-",
             _day(a.expiry) if a.fields & 2 else "-", a.state)
            for a in view.amendments
        ]  # fmt: skip
        _print_table("amendments", ("id", "amount", "expiry", "state"), amendments)
    if view.demands:
        demands = [
            (d.demand_id, _money(int(d.amount), view.currency), _day(d.presented_at), _day(d.deadline),
             d.state + (" (precluded)" if d.precluded else ""), ", ".join(d.statement_references) or "-")
            for d in view.demands
        ]  # fmt: skip
        _print_table("demands", ("id", "amount", "presented", "deadline", "state", "references"), demands)
