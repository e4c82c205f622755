"""A platform on a managed dev chain with a small consortium, and an HTTP client per member."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tradeledger.api.app import create_app
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import load_settings
from tradeledger.identity.service import create_api_key
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import transaction

OPERATOR, AGENT, BANK, TRADER, OTHER_TRADER, OUTSIDER = (dev_account(i) for i in range(6))
AUDITOR, OTHER_BANK = dev_account(7), dev_account(8)


@dataclass
class Consortium:
    platform: Platform
    tokens: dict[str, str]

    def client(self, who: str) -> TestClient:
        client = TestClient(create_app(self.platform))
        client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def _call(platform: Platform, contract: str, function: str, args: tuple[object, ...], signer: str) -> None:
    platform.execute(ContractCall(contract, platform.address(contract), function, args, signer))


@pytest.fixture(scope="session")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """Operator, settlement agent, an auditor, two banks; the founding bank sponsors three traders, one funded."""
    from web3 import Web3

    settings = load_settings(data_dir=Path(tmp_path_factory.mktemp("api")) / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        agent_role = Web3.keccak(text="SETTLEMENT_AGENT_ROLE")
        _call(platform, "Settlement", "grantRole", (agent_role, AGENT.address), OPERATOR.address)
        _call(platform, "Membership", "admitFoundingBank", (BANK.address,), OPERATOR.address)
        for action, subject in ((4, AUDITOR), (0, OTHER_BANK)):  # ADMIT_AUDITOR, ADMIT_BANK: one bank is a majority
            _call(platform, "Membership", "propose", (action, subject.address), BANK.address)
        for trader in (TRADER, OTHER_TRADER, OUTSIDER):
            _call(platform, "Membership", "onboardTrader", (trader.address,), BANK.address)
        usd = currency_bytes("USD")
        _call(
            platform, "Settlement", "issue", (BANK.address, usd, 1_000_000, reference_bytes("FUND-BANK")), AGENT.address
        )
        _call(platform, "Settlement", "issue", (TRADER.address, usd, 50_000, reference_bytes("FUND-T1")), BANK.address)
        tokens = {}
        with transaction(platform.sessions) as db:
            for name, account in (
                ("bank", BANK),
                ("trader", TRADER),
                ("other_trader", OTHER_TRADER),
                ("outsider", OUTSIDER),
                ("auditor", AUDITOR),
                ("other_bank", OTHER_BANK),
            ):
                tokens[name] = create_api_key(db, account.address, name)[1]
        yield Consortium(platform, tokens)
    finally:
        platform.close()


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, object] = response.json()
    return body


def without_id(body: str, object_id: str) -> str:
    """A problem body with the id it names (after a space in `detail`) masked, to compare two answers."""
    return re.sub(rf"(?<= ){re.escape(object_id)}(?=\")", "<id>", body)
