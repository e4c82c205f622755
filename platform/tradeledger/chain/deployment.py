"""Deploy the platform's contracts from the committed artifacts and wire their roles.

Order: Membership, Settlement(membership), TransferableRecords(membership), DocumentRegistry(membership, settlement,
records) with TITLE_AGENT_ROLE on TransferableRecords, TradeOrders(membership, settlement, delay),
ReconciliationAnchor(membership), BankingCalendar(membership), [LetterOfCreditDrawings and LetterOfCreditTransfers
(external libraries), LetterOfCredit linked to them], [UndertakingsDemands (an external library),
Undertakings(membership, settlement, calendar) linked to it],
Invoices(membership, orders), PaymentUndertakings(membership, settlement, orders, invoices, documents),
PayablesFinance(membership, settlement, invoices, documents); then Settlement grants SETTLER_ROLE to TradeOrders,
DocumentRegistry and the business contracts that move money, TradeOrders grants UNDERTAKING_ROLE to
PaymentUndertakings (its settlement marks the order PAID) and DocumentRegistry grants FINANCER_ROLE to PayablesFinance
(it finances invoices on the financier's behalf). The operator is the default admin of every contract with admin
rules; it designates the settlement agent afterwards with
`Settlement.grantRole(SETTLEMENT_AGENT_ROLE, agent)` (or here, with `settlement_agent`).

Transactions are signed locally, nonces counted here from the operator's pending nonce, gas priced at the
chain's base fee (0 on the consortium's free-gas chains and the dev chain).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tradeledger.chain.abi import ZERO_ADDRESS
from tradeledger.chain.compiler import ARTIFACTS_DIR
from tradeledger.errors import TradeLedgerError

ADMIN_DELAY_S = 2 * 24 * 3600
"""Delay of a two-step default-admin transfer (OpenZeppelin AccessControlDefaultAdminRules)."""

SETTLER_ROLE = Web3.keccak(text="SETTLER_ROLE")
SETTLEMENT_AGENT_ROLE = Web3.keccak(text="SETTLEMENT_AGENT_ROLE")
PRESENTER_ROLE = Web3.keccak(text="PRESENTER_ROLE")
TITLE_AGENT_ROLE = Web3.keccak(text="TITLE_AGENT_ROLE")
UNDERTAKING_ROLE = Web3.keccak(text="UNDERTAKING_ROLE")
FINANCER_ROLE = Web3.keccak(text="FINANCER_ROLE")

RECEIPT_TIMEOUT_S = 120.0


class DeploymentError(TradeLedgerError):
    """A deployment transaction failed; the message names the step."""

    code = "deployment_failed"
    http_status = 500
    title = "Deployment failed"


@cache
def load_artifact(name: str) -> dict[str, Any]:
    """The committed artifact of one contract (abi, bytecode, ...)."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        raise DeploymentError(f"artifact {path} is missing: run `make contracts`")
    artifact: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return artifact


def link(bytecode: str, libraries: dict[str, str]) -> str:
    """`bytecode` with the placeholders of the named external libraries replaced by their addresses.

    solc leaves `__$<34 hex of keccak256("source:Library")>$__` where a contract delegate-calls an external library
    (LetterOfCredit -> LetterOfCreditDrawings); a placeholder left unlinked is an error here, not at deployment.
    """
    for library, address in libraries.items():
        qualified = f"{load_artifact(library)['sourceName']}:{library}"
        placeholder = f"__${Web3.keccak(text=qualified).hex().removeprefix('0x')[:34]}$__"
        bytecode = bytecode.replace(placeholder, address.removeprefix("0x").lower())
    if "__$" in bytecode:
        raise DeploymentError("bytecode references an external library that was not linked")
    return bytecode


class _Deployer:
    """Signs and sends the operator's transactions one after the other with locally counted nonces."""

    def __init__(self, w3: Web3, operator: LocalAccount) -> None:
        self.w3 = w3
        self.operator = operator
        self.chain_id = int(w3.eth.chain_id)
        self.nonce = int(w3.eth.get_transaction_count(operator.address, "pending"))
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        self.gas_price = 0 if base_fee == 0 else 2 * base_fee

    def send(self, step: str, transaction: dict[str, Any]) -> dict[str, Any]:
        transaction = {
            **transaction,
            "from": self.operator.address,
            "nonce": self.nonce,
            "gasPrice": self.gas_price,
            "chainId": self.chain_id,
            "value": 0,
        }
        transaction["gas"] = int(self.w3.eth.estimate_gas(transaction)) * 5 // 4 + 50_000  # type: ignore[arg-type]
        del transaction["from"]
        signed = self.operator.sign_transaction(transaction)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self.nonce += 1
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S, poll_latency=0.05)
        if receipt["status"] != 1:
            raise DeploymentError(f"deployment step {step!r} reverted (tx {tx_hash.hex()})")
        return dict(receipt)

    def deploy(self, name: str, *args: Any, libraries: dict[str, str] | None = None) -> str:
        artifact = load_artifact(name)
        bytecode = link(artifact["bytecode"], libraries or {})
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.send(f"deploy {name}", {"data": data})
        return Web3.to_checksum_address(receipt["contractAddress"])

    def call(self, name: str, address: str, function: str, *args: Any) -> None:
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name)["abi"])
        data = contract.encode_abi(function, args=list(args))
        self.send(f"{name}.{function}", {"to": contract.address, "data": data})


def deploy_platform(w3: Web3, operator: LocalAccount, *, settlement_agent: str | None = None) -> dict[str, str]:
    """Deploy every platform contract with `operator` as deployer and admin, and grant the roles.

    Args:
        w3: a client on the target chain.
        operator: the consortium operator's key; it must be able to pay the chain's gas (free on our chains).
        settlement_agent: optionally designate the settlement agent (SETTLEMENT_AGENT_ROLE on Settlement).

    Returns:
        Contract name -> checksummed address.

    Raises:
        DeploymentError: a transaction reverted or an artifact is missing.
    """
    deployer = _Deployer(w3, operator)
    membership = deployer.deploy("Membership", ADMIN_DELAY_S)
    settlement = deployer.deploy("Settlement", membership, ADMIN_DELAY_S)
    # ---- TransferableRecords: electronic transferable records (eBLs) with exclusive control; before the registry
    # ---- (financing against a record pledges it) and the credits (title against payment), its title agents.
    records = deployer.deploy("TransferableRecords", membership, ADMIN_DELAY_S)
    # ---- end TransferableRecords
    documents = deployer.deploy("DocumentRegistry", membership, settlement, records, ADMIN_DELAY_S)
    deployer.call("TransferableRecords", records, "grantRole", TITLE_AGENT_ROLE, documents)
    orders = deployer.deploy("TradeOrders", membership, settlement, ADMIN_DELAY_S)
    anchors = deployer.deploy("ReconciliationAnchor", membership)
    addresses = {
        "Membership": membership,
        "Settlement": settlement,
        "TransferableRecords": records,
        "DocumentRegistry": documents,
        "TradeOrders": orders,
        "ReconciliationAnchor": anchors,
    }

    # ---- BankingCalendar(membership): the banks' banking days, shared by every undertaking.
    calendar = deployer.deploy("BankingCalendar", membership)
    addresses["BankingCalendar"] = calendar
    # ---- end BankingCalendar

    # ---- LetterOfCredit: deployed with (membership, settlement, documents, calendar, records) and linked to its
    # ---- drawings and transfers libraries (LetterOfCreditDrawings, LetterOfCreditTransfers (Art 38, 39),
    # ---- delegate-called: not contracts of their own in `addresses`); it
    # ---- needs SETTLER_ROLE on Settlement (honour and reimbursement legs), PRESENTER_ROLE on DocumentRegistry
    # ---- (presentations) and TITLE_AGENT_ROLE on TransferableRecords (records move with the payments).
    drawings = deployer.deploy("LetterOfCreditDrawings")
    transfers = deployer.deploy("LetterOfCreditTransfers")
    letters = deployer.deploy(
        "LetterOfCredit",
        membership,
        settlement,
        documents,
        calendar,
        records,
        libraries={"LetterOfCreditDrawings": drawings, "LetterOfCreditTransfers": transfers},
    )
    addresses["LetterOfCredit"] = letters
    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, letters)
    deployer.call("DocumentRegistry", documents, "grantRole", PRESENTER_ROLE, letters)
    deployer.call("TransferableRecords", records, "grantRole", TITLE_AGENT_ROLE, letters)
    # ---- end LetterOfCredit

    # ---- Undertakings (demand guarantees, counter-guarantees, standbys): deployed with (membership,
    # ---- settlement, calendar): the LC's banking calendar, linked to its demands library (UndertakingsDemands,
    # ---- delegate-called: not a contract of its own in `addresses`). It needs SETTLER_ROLE on Settlement (payment
    # ---- and reimbursement legs).
    demands = deployer.deploy("UndertakingsDemands")
    guarantees = deployer.deploy(
        "Undertakings", membership, settlement, calendar, libraries={"UndertakingsDemands": demands}
    )
    addresses["Undertakings"] = guarantees
    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, guarantees)
    # ---- end Undertakings
    # ---- open account: Invoices(membership, orders) and PaymentUndertakings(membership, settlement, orders,
    # ---- invoices, documents); the undertakings settle through Settlement (SETTLER_ROLE).
    invoices = deployer.deploy("Invoices", membership, orders)
    undertakings = deployer.deploy("PaymentUndertakings", membership, settlement, orders, invoices, documents)
    addresses["Invoices"] = invoices
    addresses["PaymentUndertakings"] = undertakings
    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, undertakings)
    deployer.call("TradeOrders", orders, "grantRole", UNDERTAKING_ROLE, undertakings)
    # ---- end open account

    # ---- PayablesFinance(membership, settlement, invoices, documents): buyer-approved payables financed early; it
    # ---- needs SETTLER_ROLE on Settlement (the buyer's payment at maturity) and FINANCER_ROLE on DocumentRegistry
    # ---- (the advance goes through the duplicate-financing guard; the financing closes there when collected).
    payables = deployer.deploy("PayablesFinance", membership, settlement, invoices, documents)
    addresses["PayablesFinance"] = payables
    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, payables)
    deployer.call("DocumentRegistry", documents, "grantRole", FINANCER_ROLE, payables)
    # ---- end PayablesFinance

    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, orders)
    deployer.call("Settlement", settlement, "grantRole", SETTLER_ROLE, documents)
    if settlement_agent is not None:
        deployer.call("Settlement", settlement, "grantRole", SETTLEMENT_AGENT_ROLE, settlement_agent)
    return addresses


def bootstrap_consortium(
    w3: Web3, operator: LocalAccount, addresses: dict[str, str], *, founding_bank: str, settlement_agent: str
) -> list[str]:
    """The operator's one-time steps after deployment: admit the founding bank and designate the settlement
    agent. Steps already on chain are skipped, so running it again changes nothing.

    Returns:
        What was done, one line per step (empty when everything was in place).

    Raises:
        DeploymentError: another bank already founded the consortium, or a transaction reverted.
    """
    bank, agent = Web3.to_checksum_address(founding_bank), Web3.to_checksum_address(settlement_agent)
    membership, settlement = (
        w3.eth.contract(address=Web3.to_checksum_address(addresses[name]), abi=load_artifact(name)["abi"])
        for name in ("Membership", "Settlement")
    )
    deployer = _Deployer(w3, operator)
    done = []
    current = membership.functions.foundingBank().call()
    if current == ZERO_ADDRESS:
        deployer.call("Membership", membership.address, "admitFoundingBank", bank)
        done.append(f"admitted the founding bank {bank}")
    elif current != bank:
        raise DeploymentError(f"the consortium was founded by {current}, not {bank}")
    if not settlement.functions.hasRole(SETTLEMENT_AGENT_ROLE, agent).call():
        deployer.call("Settlement", settlement.address, "grantRole", SETTLEMENT_AGENT_ROLE, agent)
        done.append(f"granted SETTLEMENT_AGENT_ROLE to {agent}")
    return done
