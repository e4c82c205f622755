"""A platform on a managed dev chain with four banks, two traders and an auditor, and two business days of postings.

The chain clock is moved to fixed UTC days (2031-03-03 and 2031-03-04), so statements and reconciliations of
those days are reproducible and consecutive, and then to DAY_3 (2031-03-05), so that both days are closed on
chain. Shared by the statements and reconciliations tests; each builds its own.

That platform is the consortium operator's, hosting every dev key. `attach_instance` opens another service
instance on the same chain by URL, as a bank runs its own: its own data directory and database, and only its
own key. EAST_BANK and WEST_BANK, which trade with each other on both days, are for such instances: no other
platform signs with their keys after the set-up (a key used by two instances would race for nonces).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from tradeledger.api.app import create_app
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.identity.service import create_api_key
from tradeledger.indexer.queries import event_argument
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import transaction

OPERATOR, AGENT, BANK, TRADER, OUTSIDER = (dev_account(i) for i in range(5))
EAST_BANK, WEST_BANK, AUDITOR, OTHER_BANK = (dev_account(i) for i in (5, 6, 7, 8))
DAY_1, DAY_2, DAY_3 = date(2031, 3, 3), date(2031, 3, 4), date(2031, 3, 5)
PASSPHRASE = "attached-instance-test-passphrase"  # the tests' own keystores: not a secret


@dataclass
class Ledger:
    platform: Platform
    tokens: dict[str, str]

    def client(self, who: str) -> TestClient:
        client = TestClient(create_app(self.platform))
        client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def _call(platform: Platform, contract: str, function: str, args: tuple[object, ...], signer: str) -> str:
    return platform.execute(ContractCall(contract, platform.address(contract), function, args, signer)).tx_hash


def _admit_bank(platform: Platform, bank: LocalAccount, voters: tuple[LocalAccount, ...]) -> None:
    """BANK proposes, `voters` make the majority."""
    tx_hash = _call(platform, "Membership", "propose", (0, bank.address), BANK.address)  # ADMIT_BANK
    with platform.sessions() as db:
        proposal_id = int(event_argument(db, tx_hash, "Membership", "ProposalCreated", "proposalId"))
    for voter in voters:
        _call(platform, "Membership", "vote", (proposal_id,), voter.address)


def _transfer(platform: Platform, sender: str, to: str, amount: int, reference: str) -> None:
    args = (to, currency_bytes("USD"), amount, reference_bytes(reference))
    _call(platform, "Settlement", "transfer", args, sender)


def _move_clock(platform: Platform, day: date) -> None:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    platform.transactions.rpc.call("evm_setNextBlockTimestamp", [int(at.timestamp())])


@contextmanager
def posted_ledger(folder: Path) -> Iterator[Ledger]:
    """Operator, agent, auditor, four banks and two traders of the first bank (one funded); transfers on DAY_1
    and DAY_2, then the clock on DAY_3; an API key per member."""
    from web3 import Web3

    settings = load_settings(data_dir=folder / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        agent_role = Web3.keccak(text="SETTLEMENT_AGENT_ROLE")
        _call(platform, "Settlement", "grantRole", (agent_role, AGENT.address), OPERATOR.address)
        _call(platform, "Membership", "admitFoundingBank", (BANK.address,), OPERATOR.address)
        for action, subject in ((4, AUDITOR), (0, OTHER_BANK)):  # ADMIT_AUDITOR, ADMIT_BANK
            _call(platform, "Membership", "propose", (action, subject.address), BANK.address)
        for bank in (EAST_BANK, WEST_BANK):
            _admit_bank(platform, bank, voters=(OTHER_BANK,))
        for trader in (TRADER, OUTSIDER):
            _call(platform, "Membership", "onboardTrader", (trader.address,), BANK.address)
        usd = currency_bytes("USD")
        for account, amount in ((BANK, 1_000_000), (OTHER_BANK, 500_000), (EAST_BANK, 300_000), (WEST_BANK, 200_000)):
            args = (account.address, usd, amount, reference_bytes(f"FUND-{amount}"))
            _call(platform, "Settlement", "issue", args, AGENT.address)
        _call(platform, "Settlement", "issue", (TRADER.address, usd, 50_000, reference_bytes("FUND-T1")), BANK.address)
        _move_clock(platform, DAY_1)
        _transfer(platform, BANK.address, TRADER.address, 10_000, "INV-2031-001")
        _transfer(platform, TRADER.address, BANK.address, 2_500, "FEE-001")
        _transfer(platform, BANK.address, OTHER_BANK.address, 70_000, "LC-2031-0001")
        _transfer(platform, OTHER_BANK.address, BANK.address, 12_345, "LC-2031-0002")
        _transfer(platform, EAST_BANK.address, WEST_BANK.address, 5_000, "EW-2031-001")
        _transfer(platform, WEST_BANK.address, EAST_BANK.address, 1_250, "EW-2031-002")
        _move_clock(platform, DAY_2)
        _transfer(platform, OTHER_BANK.address, BANK.address, 30_000, "LC-2031-0003")
        _transfer(platform, BANK.address, TRADER.address, 4_000, "INV-2031-002")
        _transfer(platform, EAST_BANK.address, WEST_BANK.address, 8_000, "EW-2031-003")
        _transfer(platform, WEST_BANK.address, EAST_BANK.address, 2_000, "EW-2031-004")
        _move_clock(platform, DAY_3)  # DAY_1 and DAY_2 close once a block of DAY_3 is indexed
        platform.transactions.rpc.call("evm_mine", [])
        platform.indexer.catch_up()
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


def attach_instance(ledger: Ledger, home: Path, bank: LocalAccount, database_url: str | None = None) -> Ledger:
    """Another service instance on the ledger's chain, given only its URL and deployment manifest, as a bank's
    own: its data directory and database (SQLite there unless `database_url`), and only `bank`'s key (its
    operator keystore). The caller closes its platform; `tokens["bank"]` is `bank`'s API key on it."""
    rpc_url = ledger.platform.chain.backend.rpc_url
    assert rpc_url is not None
    (home / "data").mkdir(parents=True)
    shutil.copy(ledger.platform.settings.deployment_file, home / "data" / "deployment.json")
    keystore = home / "bank.keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(bank.key, PASSPHRASE, kdf="pbkdf2", iterations=2)))
    settings = load_settings(
        _env_file=None,
        chain=rpc_url,
        data_dir=home / "data",
        database_url=database_url,
        operator_keystore=keystore,
        keystore_passphrase=PASSPHRASE,
    )
    platform = open_platform(settings, deploy_if_missing=False)
    try:
        assert platform.keys.addresses() == [bank.address]
        platform.indexer.catch_up()
        with transaction(platform.sessions) as db:
            token = create_api_key(db, bank.address, "bank")[1]
    except BaseException:
        platform.close()
        raise
    return Ledger(platform, {"bank": token})
