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
from datetime import UTC, date, datetime
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.members import AGENT, AUDITOR, BANK, OTHER_BANK, Consortium, api_keys, call, found, issue
from tradeledger.chain.keys import dev_account
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.identity.service import create_api_key
from tradeledger.indexer.queries import event_argument
from tradeledger.members.models import ProposalAction
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import transaction

TRADER, OUTSIDER, EAST_BANK, WEST_BANK = (dev_account(i) for i in (3, 4, 5, 6))
DAY_1, DAY_2, DAY_3 = date(2031, 3, 3), date(2031, 3, 4), date(2031, 3, 5)
PASSPHRASE = "attached-instance-test-passphrase"  # the tests' own keystores: not a secret
Ledger = Consortium  # the consortium, with its postings


def _admit_bank(platform: Platform, bank: LocalAccount, voters: tuple[LocalAccount, ...]) -> None:
    """BANK proposes, `voters` make the majority."""
    proposed = call(platform, "Membership", "propose", (int(ProposalAction.ADMIT_BANK), bank.address), BANK.address)
    with platform.sessions() as db:
        proposal_id = int(event_argument(db, proposed, "Membership", "ProposalCreated", "proposalId"))
    for voter in voters:
        call(platform, "Membership", "vote", (proposal_id,), voter.address)


def _transfer(platform: Platform, sender: LocalAccount, to: LocalAccount, amount: int, reference: str) -> None:
    args = (to.address, currency_bytes("USD"), amount, reference_bytes(reference))
    call(platform, "Settlement", "transfer", args, sender.address)


def _move_clock(platform: Platform, day: date) -> None:
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    platform.transactions.rpc.call("evm_setNextBlockTimestamp", [int(at.timestamp())])


@contextmanager
def posted_ledger(folder: Path) -> Iterator[Ledger]:
    """Operator, agent, auditor, four banks and two traders of the first bank (one funded); transfers on DAY_1
    and DAY_2, then the clock on DAY_3; an API key per member."""
    settings = load_settings(data_dir=folder / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        found(platform, traders=(TRADER, OUTSIDER))
        for bank in (EAST_BANK, WEST_BANK):
            _admit_bank(platform, bank, voters=(OTHER_BANK,))
        for account, amount in ((BANK, 1_000_000), (OTHER_BANK, 500_000), (EAST_BANK, 300_000), (WEST_BANK, 200_000)):
            issue(platform, account, amount, f"FUND-{amount}", issuer=AGENT)
        issue(platform, TRADER, 50_000, "FUND-T1", issuer=BANK)
        _move_clock(platform, DAY_1)
        _transfer(platform, BANK, TRADER, 10_000, "INV-2031-001")
        _transfer(platform, TRADER, BANK, 2_500, "FEE-001")
        _transfer(platform, BANK, OTHER_BANK, 70_000, "LC-2031-0001")
        _transfer(platform, OTHER_BANK, BANK, 12_345, "LC-2031-0002")
        _transfer(platform, EAST_BANK, WEST_BANK, 5_000, "EW-2031-001")
        _transfer(platform, WEST_BANK, EAST_BANK, 1_250, "EW-2031-002")
        _move_clock(platform, DAY_2)
        _transfer(platform, OTHER_BANK, BANK, 30_000, "LC-2031-0003")
        _transfer(platform, BANK, TRADER, 4_000, "INV-2031-002")
        _transfer(platform, EAST_BANK, WEST_BANK, 8_000, "EW-2031-003")
        _transfer(platform, WEST_BANK, EAST_BANK, 2_000, "EW-2031-004")
        _move_clock(platform, DAY_3)  # DAY_1 and DAY_2 close once a block of DAY_3 is indexed
        platform.transactions.rpc.call("evm_mine", [])
        platform.indexer.catch_up()
        members = {"bank": BANK, "trader": TRADER, "outsider": OUTSIDER, "auditor": AUDITOR, "other_bank": OTHER_BANK}
        yield Ledger(platform, api_keys(platform, members))
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
