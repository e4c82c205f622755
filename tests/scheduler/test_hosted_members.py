"""After a restart the scheduler counts every hosted member as its own, not only the keys some request has already
decrypted: a client's payable or undertaking falls due whether or not the client signed anything since."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeledger.chain.keys import new_custodial_key
from tradeledger.config import Settings, load_settings
from tradeledger.identity.models import HostedAccount
from tradeledger.runtime import open_platform


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
