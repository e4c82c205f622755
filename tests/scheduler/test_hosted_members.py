"""After a restart the scheduler counts every hosted member as its own, not only the keys some request has already
decrypted: a client's payable or undertaking falls due whether or not the client signed anything since."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeledger.chain.keys import new_custodial_key
from tradeledger.config import Settings, load_settings
from tradeledger.identity.models import HostedAccount
from tradeledger.runtime import Platform, open_platform


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("hosted")) / "data", _env_file=None)


def test_a_hosted_member_whose_key_is_not_opened_yet_is_scheduled_for(settings: Settings) -> None:
    platform = open_platform(settings)
    try:
        account, keystore = new_custodial_key(settings.custodial_passphrase())
        with platform.sessions() as db, db.begin():
            db.add(HostedAccount(address=account.address, label="Client after restart", keystore=keystore))
    finally:
        platform.close()

    restarted = open_platform(settings, deploy_if_missing=False)
    try:
        assert account.address not in restarted.keys.addresses()  # nothing decrypted it in this process
        assert account.address in restarted.hosted_addresses()
        assert set(restarted.keys.addresses()) <= restarted.hosted_addresses()
    finally:
        restarted.close()


def test_a_pass_reads_the_hosted_members_once_and_the_next_pass_again(settings: Settings) -> None:
    """The four providers share one read of the hosted members per pass (it was a third of an idle pass), and a
    member hosted after a pass counts from the next one."""
    platform = open_platform(settings)  # deploys if missing: run alone, it needs no other test's deployment
    try:
        reads: list[set[str]] = []

        def hosted() -> set[str]:
            reads.append(Platform.hosted_addresses(platform))
            return reads[-1]

        platform.hosted_addresses = hosted  # type: ignore[method-assign]
        scheduler = platform.scheduler()
        assert len(scheduler.providers) == 4
        scheduler.run_once()
        assert len(reads) == 1
        account, keystore = new_custodial_key(settings.custodial_passphrase())
        with platform.sessions() as db, db.begin():
            db.add(HostedAccount(address=account.address, label="Client between passes", keystore=keystore))
        scheduler.run_once()
        assert len(reads) == 2 and account.address in reads[1]
        provider = scheduler.providers[0]
        with platform.sessions() as db:  # outside a pass: read at each call
            list(provider.due(db, platform.chain_time()))
            list(provider.due(db, platform.chain_time()))
        assert len(reads) == 4
    finally:
        platform.close()
