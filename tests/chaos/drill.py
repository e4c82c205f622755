"""The chaos drill of issue #15: rounds of concurrent writes with one fault each, then the checks.

A round: the clients of `workload.py` send a burst of mixed writes for BURST_S seconds (at most `budget`
flows); at a random moment inside it one fault strikes (SIGKILL of the node, of the service, of both, or an
immediate restart of the private PostgreSQL) and what it took down is started again as `make run` would; the
clients keep retrying with their keys until each request has a final answer. Then: every request got a final
answer (no request hangs) and none was ever answered 500 (a fault is a 503 to retry), what was killed came back,
a new write by every signer succeeds within 30 s, and, with the service settled, `checks.py` checks everything
acknowledged so far (this round and every earlier one on the same platform: a later crash must not lose an
earlier acknowledgement).

`make test` runs a few rounds (tests/chaos/test_drill.py); `make chaos ROUNDS=50 SEED=7` runs many
(`python -m tests.chaos`), printing a line per round and "rounds run N, survived M". After a failed round the
long form goes on with a fresh platform (its home is kept for inspection), so that one wedged platform does not
fail every later round; the test stops at the first failed round.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.chaos.checks import Check, Checks, settle
from tests.chaos.ledger import ChainView
from tests.chaos.processes import Fault, ServedPlatform
from tests.chaos.workload import HTTP_TIMEOUT_S, REQUEST_DEADLINE_S, Outcome, Request, Workload
from tests.pgcluster import PgCluster, private_cluster

BURST_S = 6.0
BUDGET = 30  # flows begun per round, at most (one to four requests each)
NEW_WRITE_DEADLINE_S = 30.0
# The first rounds go through every fault once, in this order (the power loss first); later rounds draw.
SQLITE_FAULTS = (Fault.BOTH, Fault.SERVICE, Fault.NODE)
POSTGRES_FAULTS = (Fault.POSTGRES, Fault.BOTH, Fault.SERVICE, Fault.NODE)
# Who signs what in the "every signer writes" check: a transfer of one cent to a bank (the agent: a deposit).
SIGNER_WRITES = (("BANK_A", "BANK_B"), ("BANK_B", "BANK_C"), ("BANK_C", "BANK_A"), ("IMPORTER", "BANK_A"),
                 ("EXPORTER", "BANK_B"))  # fmt: skip


@dataclass
class DrillConfig:
    rounds: int
    seed: int
    database: str = "sqlite"  # or "postgresql": a private cluster of the drill's own
    burst_s: float = BURST_S
    budget: int = BUDGET
    fail_fast: bool = False
    home: Path | None = None  # where the platforms' homes go; a temporary folder if None
    faults: tuple[Fault, ...] | None = None  # the faults to draw from; None: every fault the database allows
    out: Callable[[str], None] = print


@dataclass
class RoundResult:
    number: int
    database: str
    fault: Fault
    moment: float  # seconds into the burst
    requests: list[Request]
    checks: list[Check]
    restart_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def survived(self) -> bool:
        return all(check.passed for check in self.checks)

    def line(self) -> str:
        count = {o: sum(1 for r in self.requests if r.outcome is o) for o in Outcome}
        passed = sum(1 for check in self.checks if check.passed)
        failed = [check.name for check in self.checks if not check.passed]
        return (f"round {self.number:>3} [{self.database}] {self.fault.value:<27} at {self.moment:4.1f} s "
                f"(back in {self.restart_s:4.1f} s)  requests {len(self.requests):>3}: "
                f"{count[Outcome.ACKNOWLEDGED]} acknowledged, {count[Outcome.REFUSED]} refused, "
                f"{count[Outcome.UNRESOLVED]} unresolved  checks {passed}/{len(self.checks)} passed"
                + (f"  FAILED: {', '.join(failed)}" if failed else ""))  # fmt: skip

    def refusals(self) -> str:
        """What the refused requests were answered, by kind: a workload that is refused is no test."""
        seen = Counter(f"{r.kind} {r.status} {r.answer.get('code', '')}".strip()
                       for r in self.requests if r.outcome is Outcome.REFUSED)  # fmt: skip
        return ", ".join(f"{what} x{count}" for what, count in sorted(seen.items()))

    def failures(self) -> str:
        head = f"round {self.number} [{self.database}], fault {self.fault.value} at {self.moment:.1f} s:"
        return "\n".join([head, *(check.summary() for check in self.checks if not check.passed)])


@dataclass
class DrillReport:
    rounds: list[RoundResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def survived(self) -> int:
        return sum(1 for r in self.rounds if r.survived)

    def closing(self) -> str:
        return f"rounds run {len(self.rounds)}, survived {self.survived}"

    def failures(self) -> str:
        return "\n\n".join([*(r.failures() for r in self.rounds if not r.survived), *self.notes, self.closing()])


class Drill:
    """One platform (service, dev chain, database) and its workload; replaced by a fresh one after a failure."""

    def __init__(self, config: DrillConfig, homes: Path, cluster: PgCluster | None) -> None:
        self.config = config
        self.homes = homes
        self.cluster = cluster
        self.generation = 0
        self.served: ServedPlatform | None = None
        self.workload: Workload | None = None

    def open(self) -> None:
        self.generation += 1
        home = self.homes / f"platform-{self.generation}"
        database = None
        if self.cluster is not None:
            database = f"chaos_{uuid.uuid4().hex[:12]}"
            self.cluster.create_database(database)
        self.served = ServedPlatform(home, cluster=self.cluster, database=database)
        self.served.serve()
        chain = ChainView(self.served.rpc_url, self.served.deployment())
        self.workload = Workload(self.served.api_url, self.served.members(), chain, run=uuid.uuid4().hex[:6].upper())
        self._probe_agent_deposits()

    def _probe_agent_deposits(self) -> None:
        """Can the settlement agent fund a bank through the API (issue #15)? If not (404), leave that kind out."""
        assert self.workload is not None
        rng = random.Random(self.config.seed)
        with httpx.Client(base_url=self.workload.api_url, timeout=HTTP_TIMEOUT_S) as client:
            probe = self.workload.send(client, self.workload.money(0, "deposit", "AGENT", "BANK_C", 1, rng),
                                       NEW_WRITE_DEADLINE_S)  # fmt: skip
        if probe.status == 404:
            self.workload.agent_deposits = False
            self.config.out(f"note: the settlement agent cannot deposit to a bank through the API ({probe.answer.get('code')}): "  # noqa: E501
                            "agent deposits left out of the workload")  # fmt: skip
            self.workload.requests.remove(probe)

    def close(self, keep: bool) -> None:
        if self.served is not None:
            self.served.stop()
            if self.workload is not None:
                self.workload.chain.close()
            if keep:
                self.config.out(f"platform kept for inspection: {self.served.home}")
            else:
                shutil.rmtree(self.served.home, ignore_errors=True)
        self.served = self.workload = None

    def fault_of(self, number: int, rng: random.Random) -> Fault:
        faults = self.config.faults or (POSTGRES_FAULTS if self.cluster is not None else SQLITE_FAULTS)
        return faults[number - 1] if number <= len(faults) else rng.choice(faults)

    def round(self, number: int) -> RoundResult:
        assert self.served is not None and self.workload is not None
        served, workload = self.served, self.workload
        rng = random.Random(f"{self.config.seed}-round-{number}")
        fault = self.fault_of(number, rng)
        moment = rng.uniform(0.5, self.config.burst_s * 0.8)
        start = time.monotonic()
        burst: list[list[Request]] = []
        until = start + self.config.burst_s
        clients = threading.Thread(
            target=lambda: burst.append(workload.burst(number, self.config.seed, until, self.config.budget)),
            name="chaos-burst",
        )
        clients.start()
        time.sleep(max(0.0, start + moment - time.monotonic()))
        restart_error = None
        struck = time.monotonic()
        try:
            served.inject(fault)
        except Exception as error:  # the platform did not come back: the round failed, the checks say how
            restart_error = f"{fault.value}: restart failed: {error}"
        restart_s = time.monotonic() - struck
        clients.join()
        requests = burst[0] if burst else []
        answered, never_500 = Check("every_request_answered"), Check("never_a_500")
        for request in requests:
            if request.outcome is Outcome.UNRESOLVED:
                answered.fail(f"{request.describe()}: no final answer after {REQUEST_DEADLINE_S:.0f} s of retries")
            if any(seen.split(":")[0] == "500" for seen in request.history):
                never_500.fail(f"{request.describe()}: answered 500 (a fault is a 503 the client may retry)")
        checks, notes = self.check(number, restart_error)
        return RoundResult(number, self.config.database, fault, moment, requests, [answered, never_500, *checks],
                           restart_s, notes)  # fmt: skip

    def check(self, number: int, restart_error: str | None) -> tuple[list[Check], list[str]]:
        assert self.served is not None and self.workload is not None
        chain = self.workload.chain
        restarted = Check("restarted", [restart_error] if restart_error else [])
        first = settle(self.served, chain)
        writes = self.every_signer_writes(number)
        settled = settle(self.served, chain) if first.ok else first
        checks = Checks(self.served, chain)
        try:
            return [restarted, writes, *checks.run(self.workload.requests, settled)], checks.notes
        finally:
            checks.close()

    def every_signer_writes(self, number: int) -> Check:
        """A new write by every signer, each acknowledged within NEW_WRITE_DEADLINE_S."""
        assert self.workload is not None
        workload = self.workload
        pairs = [*SIGNER_WRITES, *((("AGENT", "BANK_A"),) if workload.agent_deposits else ())]
        rng = random.Random(f"{self.config.seed}-signers-{number}")
        requests = [workload.money(number, "deposit" if payer == "AGENT" else "transfer", payer, payee, 1, rng)
                    for payer, payee in pairs]  # fmt: skip

        def send(request: Request) -> None:
            with httpx.Client(base_url=workload.api_url, timeout=NEW_WRITE_DEADLINE_S) as client:
                workload.send(client, request, NEW_WRITE_DEADLINE_S)

        threads = [threading.Thread(target=send, args=(r,), name=f"chaos-signer-{r.party}") for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check = Check("every_signer_writes")
        for request in requests:
            if request.outcome is not Outcome.ACKNOWLEDGED or request.operation_state not in (None, "mined"):
                check.fail(f"{request.describe()}: no acknowledgement within {NEW_WRITE_DEADLINE_S:.0f} s")
        return check


@contextmanager
def _cluster(config: DrillConfig) -> Iterator[PgCluster | None]:
    if config.database != "postgresql":
        yield None
        return
    with private_cluster() as cluster:
        yield cluster


def run_drill(config: DrillConfig) -> DrillReport:
    """Run `config.rounds` rounds and report each; platforms that survived leave nothing behind."""
    report = DrillReport()
    with ExitStack() as stack:
        if config.home is None:
            homes = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tradeledger-chaos-")))
        else:  # a folder of its own inside: an earlier drill's platforms there are not reused
            config.home.mkdir(parents=True, exist_ok=True)
            homes = Path(tempfile.mkdtemp(prefix="drill-", dir=config.home.resolve()))  # the services run in it
        cluster = stack.enter_context(_cluster(config))
        drill = Drill(config, homes, cluster)
        config.out(f"chaos drill: {config.rounds} rounds on {config.database}, seed {config.seed}, bursts of "
                   f"{config.burst_s:.0f} s / at most {config.budget} flows")  # fmt: skip
        try:
            for number in range(1, config.rounds + 1):
                if drill.served is None:
                    drill.open()
                result = drill.round(number)
                report.rounds.append(result)
                config.out(result.line())
                if result.refusals():
                    config.out(f"  refused: {result.refusals()}")
                for note in result.notes:
                    config.out(f"  note: {note}")
                if not result.survived:
                    config.out(result.failures())
                    drill.close(keep=config.home is not None)
                    if config.fail_fast:
                        break
        finally:
            drill.close(keep=False)
    config.out(report.closing())
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--burst", type=float, default=BURST_S, help="seconds of writes per round")
    parser.add_argument("--budget", type=int, default=BUDGET, help="flows per round, at most")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failed round")
    parser.add_argument("--home", type=Path, default=None, help="keep the platforms here (failed ones stay)")
    options = parser.parse_args(argv)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)
    config = DrillConfig(options.rounds, seed, options.database, options.burst, options.budget, options.fail_fast,
                         options.home, out=lambda line: print(line, flush=True))  # fmt: skip
    report = run_drill(config)
    return 0 if report.survived == len(report.rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
