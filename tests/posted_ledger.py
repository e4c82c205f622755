"""A platform on a managed dev chain with two banks, two traders and an auditor, and two business days of postings.

The chain clock is moved to fixed UTC days (2031-03-03 and 2031-03-04), so statements and reconciliations of
those days are reproducible. Shared by the statements and reconciliations tests; each builds its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from tradeledger.api.app import create_app
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.identity.service import create_api_key
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import transaction

OPERATOR, AGENT, BANK, TRADER, OUTSIDER = (dev_account(i) for i in range(5))
AUDITOR, OTHER_BANK = dev_account(7), dev_account(8)
DAY_1, DAY_2 = date(2031, 3, 3), date(2031, 3, 4)


@dataclass
class Ledger:
    platform: Platform
    tokens: dict[str, str]

    def client(self, who: str) -> TestClient:
        client = TestClient(create_app(self.platform))
        client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def _call(platform: Platform, contract: str, function: str, args: tuple[object, ...], signer: str) -> None:
    platform.execute(ContractCall(contract, platform.address(contract), function, args, signer))


def _transfer(platform: Platform, sender: str, to: str, amount: int, reference: str) -> None:
    args = (to, currency_bytes("USD"), amount, reference_bytes(reference))
    _call(platform, "Settlement", "transfer", args, sender)


def _move_clock(platform: Platform, day: date) -> None:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    platform.transactions.rpc.call("evm_setNextBlockTimestamp", [int(at.timestamp())])


@contextmanager
def posted_ledger(folder: Path) -> Iterator[Ledger]:
    """Operator, agent, auditor, two banks and two traders of the first bank (one funded); transfers on DAY_1
    and DAY_2; an API key per member."""
    from web3 import Web3

    settings = load_settings(data_dir=folder / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        agent_role = Web3.keccak(text="SETTLEMENT_AGENT_ROLE")
        _call(platform, "Settlement", "grantRole", (agent_role, AGENT.address), OPERATOR.address)
        _call(platform, "Membership", "admitFoundingBank", (BANK.address,), OPERATOR.address)
        for action, subject in ((4, AUDITOR), (0, OTHER_BANK)):  # ADMIT_AUDITOR, ADMIT_BANK
            _call(platform, "Membership", "propose", (action, subject.address), BANK.address)
        for trader in (TRADER, OUTSIDER):
            _call(platform, "Membership", "onboardTrader", (trader.address,), BANK.address)
        usd = currency_bytes("USD")
        for account, amount in ((BANK, 1_000_000), (OTHER_BANK, 500_000)):
            args = (account.address, usd, amount, reference_bytes(f"FUND-{amount}"))
            _call(platform, "Settlement", "issue", args, AGENT.address)
        _call(platform, "Settlement", "issue", (TRADER.address, usd, 50_000, reference_bytes("FUND-T1")), BANK.address)
        _move_clock(platform, DAY_1)
        _transfer(platform, BANK.address, TRADER.address, 10_000, "INV-2031-001")
        _transfer(platform, TRADER.address, BANK.address, 2_500, "FEE-001")
        _transfer(platform, BANK.address, OTHER_BANK.address, 70_000, "LC-2031-0001")
        _transfer(platform, OTHER_BANK.address, BANK.address, 12_345, "LC-2031-0002")
        _move_clock(platform, DAY_2)
        _transfer(platform, OTHER_BANK.address, BANK.address, 30_000, "LC-2031-0003")
        _transfer(platform, BANK.address, TRADER.address, 4_000, "INV-2031-002")
        tokens = {}
        with transaction(platform.sessions) as db:
            for name, account in (
                ("bank", BANK),
                ("trader", TRADER),
                ("outsider", OUTSIDER),
                ("auditor", AUDITOR),
                ("other_bank", OTHER_BANK),
            ):
                tokens[name] = create_api_key(db, account.address, name)[1]
        yield Ledger(platform, tokens)
    finally:
        platform.close()
