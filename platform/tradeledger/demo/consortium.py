"""Bootstrapping the demo consortium through the real contracts, and its API keys.

Runs only on dev chains, whose keys come from the public dev mnemonic. Every step goes through the
transaction manager like any request; running it again finds the consortium in place and does nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from tradeledger.chain.abi import role_id
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.errors import ConfigurationError
from tradeledger.identity.service import AuthenticationError, authenticate, create_api_key
from tradeledger.indexer.queries import event_argument
from tradeledger.members.models import Member, MemberKind, ProposalAction
from tradeledger.runtime import Platform
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction


@dataclass(frozen=True)
class DemoMember:
    handle: str  # the shell variable of `demo.env`: $BANK_A is the address, $BANK_A_KEY the API key
    name: str
    role: str
    address: str
    api_key: str


# (handle, name, role, dev-mnemonic index)
ROSTER = (
    ("AGENT", "Settlement agent", "settlement agent", 1),
    ("BANK_A", "Bank A (founding)", "bank", 2),
    ("BANK_B", "Bank B", "bank", 3),
    ("BANK_C", "Bank C", "bank", 4),
    ("AUDITOR", "Auditor", "auditor", 5),
    ("IMPORTER", "Trader 1 - importer, client of Bank A", "trader", 6),
    ("EXPORTER", "Trader 2 - exporter, client of Bank B", "trader", 7),
)


def _address(index: int) -> str:
    return dev_account(index).address


class _Script:
    """The governance and funding steps, each one mined and indexed before the next."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def call(self, contract: str, function: str, args: tuple[object, ...], signer: int) -> ChainTransaction:
        call = ContractCall(contract, self.platform.address(contract), function, args, _address(signer))
        return self.platform.execute(call)

    def propose(self, action: ProposalAction, subject: int, voters: tuple[int, ...] = ()) -> None:
        mined = self.call("Membership", "propose", (int(action), _address(subject)), 2)
        with self.platform.sessions() as db:
            proposal_id = int(event_argument(db, mined, "Membership", "ProposalCreated", "proposalId"))
        for voter in voters:
            self.call("Membership", "vote", (proposal_id,), voter)

    def run(self) -> None:
        operator = 0
        self.call("Settlement", "grantRole", (role_id("SETTLEMENT_AGENT_ROLE"), _address(1)), operator)
        self.call("Membership", "admitFoundingBank", (_address(2),), operator)
        self.propose(ProposalAction.ADMIT_BANK, 3)  # one bank: its own vote is a majority
        self.propose(ProposalAction.ADMIT_BANK, 4, voters=(3,))  # two banks: both must vote
        self.propose(ProposalAction.ADMIT_AUDITOR, 5, voters=(3,))  # three banks: two votes
        self.call("Membership", "onboardTrader", (_address(6),), 2)
        self.call("Membership", "onboardTrader", (_address(7),), 3)
        usd = currency_bytes("USD")
        for bank in (2, 3, 4):
            self.call("Settlement", "issue", (_address(bank), usd, 10_000_000_00, reference_bytes("DEMO-FUNDING")), 1)
        self.call("Settlement", "issue", (_address(6), usd, 500_000_00, reference_bytes("DEMO-DEPOSIT")), 2)
        self.call("Settlement", "issue", (_address(7), usd, 100_000_00, reference_bytes("DEMO-DEPOSIT")), 3)


def _keys_file(platform: Platform) -> Path:
    return platform.settings.data_dir / "demo-keys.json"


def _stored_keys(platform: Platform) -> list[DemoMember] | None:
    """The demo keys written last time, if they still authenticate against this database."""
    try:
        members = [DemoMember(**row) for row in json.loads(_keys_file(platform).read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return None
    try:
        with platform.sessions() as db:
            for member in members:
                authenticate(db, member.api_key)
    except AuthenticationError:
        return None
    return members


def bootstrap_demo(platform: Platform) -> list[DemoMember]:
    """Create the demo consortium if the chain has none, and return its members with their API keys."""
    if not platform.settings.is_dev_chain:
        raise ConfigurationError(
            "the demo consortium uses the public dev keys: only on TRADELEDGER_CHAIN=dev or memory"
        )
    with platform.sessions() as db:
        banks = db.scalar(select(func.count()).select_from(Member).where(Member.kind == MemberKind.BANK)) or 0
    if banks == 0:
        _Script(platform).run()
    stored = _stored_keys(platform)
    if stored is not None:
        return stored
    with transaction(platform.sessions) as db:
        members = [
            DemoMember(handle, name, role, _address(index), create_api_key(db, _address(index), f"demo: {name}")[1])
            for handle, name, role, index in ROSTER
        ]
    path = _keys_file(platform)
    path.write_text(json.dumps([asdict(member) for member in members], indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return members


def write_demo_env(path: Path, members: list[DemoMember], *, api_url: str, rpc_url: str) -> None:
    """A shell file of the demo's addresses, API keys and URLs: `source data/demo.env` before the README's walk."""
    lines = [
        "# The demo consortium of `tradeledger serve` on the dev chain (PUBLIC dev keys: never on a real chain).",
        "# Rewritten at every start: the dev chain's port changes.",
        f"TL_API={api_url}",
        f"TL_RPC={rpc_url}",
    ]
    for member in members:
        lines += [f"# {member.name}", f"{member.handle}={member.address}", f"{member.handle}_KEY={member.api_key}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
