"""The core trade flow against a separately started node given only by URL (DESIGN.md §3, §8).

An anvil process started here stands in for a consortium validator: the platform only gets its URL, the chain id
and an operator keystore, deploys with the `tradeledger deploy` CLI, and then serves a small trade over HTTP with
hosted (custodial) member keys, never the public dev mnemonic's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from web3 import Web3

from tests.consortium.conftest import ROOT
from tradeledger.api.app import create_app
from tradeledger.chain.keys import new_custodial_key
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes
from tradeledger.config import Settings, load_settings
from tradeledger.identity.models import HostedAccount
from tradeledger.identity.service import create_api_key
from tradeledger.runtime import Platform, open_platform
from tradeledger.store.db import transaction

ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
TRADELEDGER = ROOT / ".venv" / "bin" / "tradeledger"
CHAIN_ID = 20261
PASSPHRASE = "external-node-test-passphrase"  # a test's own keystores: not a secret


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Node:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    if not ANVIL.is_file():
        pytest.skip(f"anvil is not installed at {ANVIL} (run `npm ci`)")
    port = _free_port()
    log = (tmp_path_factory.mktemp("anvil") / "anvil.log").open("wb")
    command = [
        str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID),
        "--gas-price", "0", "--base-fee", "0",
        # like a Besu validator with min-gas-price=0 and zeroBaseFee (checklist B10): eth_gasPrice answers 0.
        # Without this anvil suggests a 1 gwei tip, which the transaction manager would pay from empty accounts.
        "--disable-min-priority-fee",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 1})).eth.chain_id == CHAIN_ID:
                    break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
        yield Node(url, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@dataclass
class Service:
    """A bank's service home: its environment (as its .env gives it) and the `tradeledger` CLI run in it."""

    home: Path
    environment: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("TRADELEDGER_")} | self.environment
        return subprocess.run(
            [str(TRADELEDGER), *args], cwd=self.home, env=child_env, capture_output=True, text=True, timeout=60
        )


@pytest.fixture(scope="module")
def service(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Service:
    """A URL chain, its id, an operator keystore and a passphrase; the contracts deployed with the CLI."""
    home = tmp_path_factory.mktemp("service")
    operator = Account.create()
    keystore = home / "operator.keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(operator.key, PASSPHRASE, kdf="pbkdf2", iterations=2)))
    service = Service(
        home,
        {
            "TRADELEDGER_CHAIN": node.url,
            "TRADELEDGER_CHAIN_ID": str(CHAIN_ID),
            "TRADELEDGER_DATA_DIR": str(home / "data"),
            "TRADELEDGER_OPERATOR_KEYSTORE": str(keystore),
            "TRADELEDGER_KEYSTORE_PASSPHRASE": PASSPHRASE,
            "TRADELEDGER_FINGERPRINT_KEY": "external-node-test-fingerprint-key",
        },
    )
    deployed = service.cli("deploy")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert (home / "data" / "deployment.json").is_file()
    return service


@pytest.fixture(scope="module")
def settings(service: Service) -> Settings:
    """The same settings, for a platform opened in this process."""
    env = service.environment
    return load_settings(
        _env_file=None,
        chain=env["TRADELEDGER_CHAIN"],
        chain_id=int(env["TRADELEDGER_CHAIN_ID"]),
        data_dir=Path(env["TRADELEDGER_DATA_DIR"]),
        operator_keystore=Path(env["TRADELEDGER_OPERATOR_KEYSTORE"]),
        keystore_passphrase=PASSPHRASE,
        fingerprint_key=env["TRADELEDGER_FINGERPRINT_KEY"],
    )


@pytest.fixture(scope="module")
def platform(settings: Settings) -> Iterator[Platform]:
    opened = open_platform(settings)
    try:
        yield opened
    finally:
        opened.close()


def _host(platform: Platform, label: str) -> str:
    """A hosted member key, as a bank's service keeps its own and its clients' keys (encrypted at rest)."""
    account, keystore = new_custodial_key(platform.settings.custodial_passphrase())
    with transaction(platform.sessions) as db:
        db.add(HostedAccount(address=account.address, label=label, keystore=keystore))
    return str(account.address)


def _call(platform: Platform, contract: str, function: str, args: tuple[object, ...], signer: str) -> None:
    platform.execute(ContractCall(contract, platform.address(contract), function, args, signer))


def test_the_node_passes_the_node_check_with_its_deployment(node: Node, service: Service) -> None:
    """What `serve` runs before it starts on a URL chain; first in this module, while the chain's latest block
    (anvil mines only on transactions here) is still fresh by the clock line's measure."""
    checked = service.cli("chain", "check", node.url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"ok   chain id: {CHAIN_ID}" in checked.stdout
    assert "ok   deployment: the code of 12 contracts matches" in checked.stdout


def test_a_url_chain_needs_the_pinned_chain_id_and_an_operator_keystore(settings: Settings) -> None:
    from tradeledger.errors import TradeLedgerError

    assert not settings.is_dev_chain
    with pytest.raises(TradeLedgerError, match="TRADELEDGER_CHAIN_ID"):
        open_platform(settings.model_copy(update={"chain_id": CHAIN_ID + 1}))
    with pytest.raises(TradeLedgerError, match="TRADELEDGER_OPERATOR_KEYSTORE is required"):
        open_platform(settings.model_copy(update={"operator_keystore": None}))


def test_bootstrap_refuses_a_non_address(service: Service) -> None:
    refused = service.cli("consortium", "bootstrap", "--founding-bank", "bank-one")
    assert refused.returncode == 1
    assert "--founding-bank 'bank-one' is not an address" in refused.stderr


def test_core_trade_flow_over_http(platform: Platform, service: Service) -> None:
    operator = platform.chain.operator().address
    assert platform.chain.manifest is not None and platform.chain.manifest.deployer == operator
    bank, agent = _host(platform, "founding bank"), _host(platform, "settlement agent")
    # the consortium's bootstrap, as the operator does it once after `tradeledger deploy`; again, it does nothing
    bootstrap = ("consortium", "bootstrap", "--founding-bank", bank, "--settlement-agent", agent)
    first, second = service.cli(*bootstrap), service.cli(*bootstrap)
    assert first.returncode == 0 and "admitted the founding bank" in first.stdout, first.stdout + first.stderr
    assert second.returncode == 0 and "nothing to do" in second.stdout, second.stdout + second.stderr
    other = service.cli("consortium", "bootstrap", "--founding-bank", operator)
    assert other.returncode == 1 and f"founded by {bank}" in other.stderr
    _call(platform, "Settlement", "issue", (bank, currency_bytes("USD"), 100_000, reference_bytes("FUND-1")), agent)
    with transaction(platform.sessions) as db:
        bank_token = create_api_key(db, bank, "bank")[1]

    client = TestClient(create_app(platform))
    as_bank = {"Authorization": f"Bearer {bank_token}"}
    health = client.get("/v1/health")
    assert health.status_code == 200, health.text
    assert health.json()["chain_id"] == CHAIN_ID

    onboarded = client.post(
        "/v1/members/traders", json={"label": "Jade Tea Co."}, headers={**as_bank, "Idempotency-Key": "onb-1"}
    )
    assert onboarded.status_code == 201, onboarded.text
    trader = onboarded.json()["member"]["address"]
    as_trader = {"Authorization": f"Bearer {onboarded.json()['api_key']}"}
    assert client.get(f"/v1/members/{trader}", headers=as_trader).json()["status"] == "ACTIVE"

    paid = client.post(
        "/v1/settlements/transfers",
        json={"to": trader, "currency": "USD", "amount": 2_500, "reference": "PAY-1"},
        headers={**as_bank, "Idempotency-Key": "pay-1"},
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "mined"
    # the trader's own custodial key signs its payment back
    repaid = client.post(
        "/v1/settlements/transfers",
        json={"to": bank, "currency": "USD", "amount": 500, "reference": "PAY-2"},
        headers={**as_trader, "Idempotency-Key": "pay-2"},
    )
    assert repaid.status_code == 200, repaid.text

    balances = client.get(f"/v1/accounts/{trader}/balances", headers=as_trader).json()["balances"]
    assert [(b["currency"], b["amount"]) for b in balances] == [("USD", "2000")]
    bank_balances = client.get(f"/v1/accounts/{bank}/balances", headers=as_bank).json()["balances"]
    assert [(b["currency"], b["amount"]) for b in bank_balances] == [("USD", "98000")]
    # every transaction was mined on the external node, free of charge
    w3 = Web3(Web3.HTTPProvider(platform.settings.chain))
    assert w3.eth.gas_price == 0 and w3.eth.get_balance(Web3.to_checksum_address(trader)) == 0
