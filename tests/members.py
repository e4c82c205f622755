"""The consortium the API-level tests stand on: founded through the contracts, one API key per member.

Dev-mnemonic keys, as the demo uses: 0 the operator, 1 the settlement agent, 2 the founding bank, 7 an
auditor, 8 a second bank; the rest are traders or further banks, as each test module needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tradeledger.api.app import create_app
from tradeledger.chain.abi import role_id
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.identity.service import create_api_key
from tradeledger.members.models import ProposalAction
from tradeledger.runtime import Platform
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction

OPERATOR, AGENT, BANK = dev_account(0), dev_account(1), dev_account(2)
AUDITOR, OTHER_BANK = dev_account(7), dev_account(8)


@dataclass
class Consortium:
    """A platform and the API key of each member, by the tests' name for it."""

    platform: Platform
    tokens: dict[str, str]
    _app: FastAPI | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def app(self) -> FastAPI:
        """The platform's one API app, as a service process has one: FastAPI builds each route's validation on
        the first request an app serves (most of a request's CPU time), so a new app per client rebuilt it all."""
        if self._app is None:
            self._app = create_app(self.platform)
        return self._app

    def client(self, who: str) -> TestClient:
        client = TestClient(self.app)
        client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client


def call(platform: Platform, contract: str, function: str, args: tuple[object, ...], signer: str) -> ChainTransaction:
    """One mined and indexed contract call; its outbox row (which `event_argument` looks up by its block)."""
    return platform.execute(ContractCall(contract, platform.address(contract), function, args, signer))


def issue(platform: Platform, account: LocalAccount, amount: int, reference: str, issuer: LocalAccount) -> None:
    """USD credited to `account` by its issuer (the agent for banks, the sponsor bank for traders)."""
    args = (account.address, currency_bytes("USD"), amount, reference_bytes(reference))
    call(platform, "Settlement", "issue", args, issuer.address)


def found(platform: Platform, traders: tuple[LocalAccount, ...]) -> None:
    """The operator designates AGENT and admits BANK; BANK, alone a majority, admits AUDITOR and OTHER_BANK and
    onboards `traders` as its clients."""
    call(platform, "Settlement", "grantRole", (role_id("SETTLEMENT_AGENT_ROLE"), AGENT.address), OPERATOR.address)
    call(platform, "Membership", "admitFoundingBank", (BANK.address,), OPERATOR.address)
    for action, subject in ((ProposalAction.ADMIT_AUDITOR, AUDITOR), (ProposalAction.ADMIT_BANK, OTHER_BANK)):
        call(platform, "Membership", "propose", (int(action), subject.address), BANK.address)
    for trader in traders:
        call(platform, "Membership", "onboardTrader", (trader.address,), BANK.address)


def api_keys(platform: Platform, members: dict[str, LocalAccount]) -> dict[str, str]:
    """An API key for each member, by name."""
    with transaction(platform.sessions) as db:
        return {name: create_api_key(db, account.address, name)[1] for name, account in members.items()}


def feed(consortium: Consortium, who: str, after: str | None = None) -> list[dict[str, Any]]:
    """`GET /v1/events` as `who` after a cursor (from the start without one), page by page to its current end."""
    client = consortium.client(who)
    events: list[dict[str, Any]] = []
    cursor = after
    while True:
        page = client.get("/v1/events", params={"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        events += page["items"]
        if page["next_cursor"] == cursor:
            return events
        cursor = page["next_cursor"]
