"""Event completeness (checklist A12): replaying every event the contracts emitted since deployment through a
pure Python model reproduces what every getter returns, field for field; every role change is an event too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from tests.contracts.helpers import (
    ADMIT_AUDITOR,
    ADMIT_BANK,
    EUR,
    LETTER_OF_CREDIT,
    OPEN_ACCOUNT,
    SUSPEND_BANK,
    USD,
    Event,
    World,
)

ZERO = "0x0000000000000000000000000000000000000000"
REPLAYED = ("Membership", "Settlement", "DocumentRegistry", "TradeOrders", "ReconciliationAnchor")
DAY = 24 * 3600
BANK, ACTIVE, REMOVED = 2, 1, 3
OPEN, EXECUTED, STALE = 1, 2, 3
# enum values, as the interfaces declare them
ORDER = {"CREATED": 1, "ACCEPTED": 2, "REJECTED": 3, "SHIPPED": 4, "DELIVERED": 5, "PAID": 6, "CANCELLED": 7}
DOCUMENT = {"REGISTERED": 1, "FINANCED": 2, "REPAID": 3, "RELEASED": 4}
PAYMENT = {"RECORDED": 1, "CONFIRMED": 2, "REJECTED": 3}
RECONCILIATION = {"UNILATERAL": 1, "PENDING": 2, "AGREED": 3, "DISPUTED": 4}


@dataclass
class Model:
    """Everything the getters expose, rebuilt from events only (plus each event's block timestamp)."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    founding_bank: str = ZERO
    epoch: int = 0
    proposals: dict[int, dict[str, Any]] = field(default_factory=dict)
    votes: set[tuple[int, str]] = field(default_factory=set)
    balances: dict[tuple[str, bytes], int] = field(default_factory=lambda: defaultdict(int))
    issued: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    redeemed: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    last_entry: int = 0
    payments: dict[int, dict[str, Any]] = field(default_factory=dict)
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)
    fingerprints: dict[int, list[bytes]] = field(default_factory=dict)
    financed_document: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    latest_document: dict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    presented_under: dict[bytes, bytes] = field(default_factory=lambda: defaultdict(lambda: b"\0" * 32))
    record_of: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    record_pledged_by: dict[int, int] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    anchors: dict[int, dict[str, Any]] = field(default_factory=dict)
    anchor_ids: dict[tuple[Any, ...], int] = field(default_factory=dict)
    roles: dict[tuple[str, bytes, str], bool] = field(default_factory=dict)

    def apply(self, event: Event, timestamp: int) -> None:
        handler = getattr(self, f"on_{event.name}", None)
        assert handler is not None, f"no replay rule for {event.contract}.{event.name}"
        handler(event.contract, event.args, timestamp)

    # ---- access control (every contract)
    def on_RoleGranted(self, contract: str, a: dict[str, Any], _: int) -> None:
        self.roles[(contract, a["role"], a["account"])] = True

    def on_RoleRevoked(self, contract: str, a: dict[str, Any], _: int) -> None:
        self.roles[(contract, a["role"], a["account"])] = False

    # ---- membership
    def on_MemberStatusChanged(self, _: str, a: dict[str, Any], __: int) -> None:
        self.members[a["account"]] = {"kind": a["kind"], "status": a["current"], "sponsor": a["sponsor"]}
        if a["kind"] == BANK:
            if a["previous"] == ACTIVE or a["current"] == ACTIVE:
                self.epoch += 1
            if self.founding_bank == ZERO:
                self.founding_bank = a["account"]

    def on_ProposalCreated(self, _: str, a: dict[str, Any], __: int) -> None:
        self.proposals[a["proposalId"]] = {
            "action": a["action"],
            "state": OPEN,
            "subject": a["subject"],
            "proposer": a["proposer"],
            "epoch": a["epoch"],
            "votes": 0,
        }

    def on_ProposalVoted(self, _: str, a: dict[str, Any], __: int) -> None:
        self.proposals[a["proposalId"]]["votes"] = a["votes"]
        self.votes.add((a["proposalId"], a["voter"]))

    def on_ProposalExecuted(self, _: str, a: dict[str, Any], __: int) -> None:
        self.proposals[a["proposalId"]]["state"] = EXECUTED

    # ---- settlement
    def on_Posted(self, _: str, a: dict[str, Any], __: int) -> None:
        currency, amount = a["currency"], a["amount"]
        if a["debitAccount"] == ZERO:
            self.issued[currency] += amount
        else:
            self.balances[(a["debitAccount"], currency)] -= amount
            assert self.balances[(a["debitAccount"], currency)] >= 0
        if a["creditAccount"] == ZERO:
            self.redeemed[currency] += amount
        else:
            self.balances[(a["creditAccount"], currency)] += amount
        assert a["entryId"] == self.last_entry + 1, "entry ids must be gapless"
        self.last_entry = a["entryId"]

    def on_ExternalPaymentRecorded(self, _: str, a: dict[str, Any], __: int) -> None:
        self.payments[a["paymentId"]] = {
            **{k: a[k] for k in ("payer", "payee", "currency", "rail", "amount", "railReference", "ref")},
            "state": PAYMENT["RECORDED"],
        }

    def on_ExternalPaymentConfirmed(self, _: str, a: dict[str, Any], __: int) -> None:
        self.payments[a["paymentId"]]["state"] = PAYMENT["CONFIRMED"]

    def on_ExternalPaymentRejected(self, _: str, a: dict[str, Any], __: int) -> None:
        self.payments[a["paymentId"]]["state"] = PAYMENT["REJECTED"]

    # ---- documents
    def on_DocumentRegistered(self, _: str, a: dict[str, Any], __: int) -> None:
        doc_id = a["documentId"]
        self.documents[doc_id] = {
            "owner": a["owner"],
            "registrar": a["registrar"],
            "kind": a["kind"],
            "state": DOCUMENT["REGISTERED"],
            "currency": a["currency"],
            "financier": ZERO,
            "faceValue": a["faceValue"],
            "financedAmount": 0,
            "outstanding": 0,
        }
        self.fingerprints[doc_id] = list(a["fingerprints"])
        for fingerprint in a["fingerprints"]:
            self.latest_document[fingerprint] = doc_id

    def on_FingerprintReused(self, _: str, a: dict[str, Any], __: int) -> None:
        assert a["fingerprint"] in self.fingerprints[a["documentId"]]
        assert a["fingerprint"] in self.fingerprints[a["priorDocumentId"]]

    def _unlock(self, doc_id: int) -> None:
        for fingerprint in self.fingerprints[doc_id]:
            self.financed_document[fingerprint] = 0

    def on_DocumentFinanced(self, _: str, a: dict[str, Any], __: int) -> None:
        doc = self.documents[a["documentId"]]
        doc.update(
            state=DOCUMENT["FINANCED"], financier=a["financier"], financedAmount=a["amount"], outstanding=a["amount"]
        )
        for fingerprint in self.fingerprints[a["documentId"]]:
            self.financed_document[fingerprint] = a["documentId"]

    def on_DocumentRepaid(self, _: str, a: dict[str, Any], __: int) -> None:
        doc = self.documents[a["documentId"]]
        doc["outstanding"] = a["outstanding"]
        if a["outstanding"] == 0:
            doc["state"] = DOCUMENT["REPAID"]
            self._unlock(a["documentId"])

    def on_DocumentReleased(self, _: str, a: dict[str, Any], __: int) -> None:
        if self.documents[a["documentId"]]["state"] == DOCUMENT["FINANCED"]:
            self._unlock(a["documentId"])
        self.documents[a["documentId"]]["state"] = DOCUMENT["RELEASED"]

    def on_DocumentRecordLinked(self, _: str, a: dict[str, Any], __: int) -> None:
        assert self.record_of[a["documentId"]] == 0, "a document is linked once"
        self.record_of[a["documentId"]] = a["recordId"]

    def on_DocumentRecordPledged(self, _: str, a: dict[str, Any], __: int) -> None:
        doc = self.documents[a["documentId"]]
        assert (doc["state"], doc["financier"]) == (DOCUMENT["FINANCED"], a["financier"])
        assert self.record_of[a["documentId"]] == a["recordId"]
        self.record_pledged_by[a["recordId"]] = a["documentId"]

    def on_DocumentRecordReleased(self, _: str, a: dict[str, Any], __: int) -> None:
        doc = self.documents[a["documentId"]]
        assert doc["state"] in (DOCUMENT["REPAID"], DOCUMENT["RELEASED"]) and doc["owner"] == a["owner"]
        assert self.record_pledged_by.pop(a["recordId"]) == a["documentId"]

    def on_DocumentPresented(self, _: str, a: dict[str, Any], __: int) -> None:
        self.presented_under[a["fingerprint"]] = a["lcKey"]

    def on_DocumentReuseFlagged(self, _: str, a: dict[str, Any], __: int) -> None:
        assert self.presented_under[a["fingerprint"]] == a["priorLcKey"] != a["lcKey"]

    # ---- orders
    def on_OrderCreated(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]] = {
            **{k: a[k] for k in ("buyer", "seller", "currency", "paymentTerms", "latestShipment", "dueDate", "amount")},
            "termsHash": a["termsHash"],
            "state": ORDER["CREATED"],
            "buyerConsentsToCancel": False,
            "sellerConsentsToCancel": False,
            "shippedAt": 0,
            "deliveredAt": 0,
            "transportDocumentHash": b"\0" * 32,
        }

    def on_OrderAccepted(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]]["state"] = ORDER["ACCEPTED"]

    def on_OrderRejected(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]]["state"] = ORDER["REJECTED"]

    def on_OrderShipped(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]].update(
            state=ORDER["SHIPPED"], transportDocumentHash=a["transportDocumentHash"], shippedAt=a["shippedAt"]
        )

    def on_OrderDelivered(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]].update(state=ORDER["DELIVERED"], deliveredAt=a["deliveredAt"])

    def on_OrderPaid(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]]["state"] = ORDER["PAID"]

    def on_OrderCancellationRequested(self, _: str, a: dict[str, Any], __: int) -> None:
        order = self.orders[a["orderId"]]
        order["buyerConsentsToCancel" if a["party"] == order["buyer"] else "sellerConsentsToCancel"] = True

    def on_OrderCancelled(self, _: str, a: dict[str, Any], __: int) -> None:
        self.orders[a["orderId"]]["state"] = ORDER["CANCELLED"]

    # ---- anchors
    def on_StatementAnchored(self, _: str, a: dict[str, Any], timestamp: int) -> None:
        statement = a["statement"]
        self.anchors[a["anchorId"]] = {"statement": statement, "anchoredAt": timestamp, "mirrorAnchorId": 0}
        key = tuple(statement[k] for k in ("periodStart", "periodEnd", "account", "counterparty", "currency"))
        self.anchor_ids[key] = a["anchorId"]

    def on_ReconciliationAgreed(self, _: str, a: dict[str, Any], __: int) -> None:
        self.anchors[a["anchorId"]]["mirrorAnchorId"] = a["mirrorAnchorId"]
        self.anchors[a["mirrorAnchorId"]]["mirrorAnchorId"] = a["anchorId"]

    on_ReconciliationDisputed = on_ReconciliationAgreed

    # ---- derived getters
    def active_bank_count(self) -> int:
        return sum(1 for m in self.members.values() if m["kind"] == BANK and m["status"] == ACTIVE)

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        proposal = dict(self.proposals[proposal_id])
        if proposal["state"] == OPEN and proposal["epoch"] != self.epoch:
            proposal["state"] = STALE
        return proposal

    def reconciliation_status(self, anchor_id: int) -> int:
        anchor = self.anchors[anchor_id]
        if anchor["statement"]["counterparty"] == ZERO:
            return RECONCILIATION["UNILATERAL"]
        if anchor["mirrorAnchorId"] == 0:
            return RECONCILIATION["PENDING"]
        mirror = self.anchors[anchor["mirrorAnchorId"]]
        same = mirror["statement"]["merkleRoot"] == anchor["statement"]["merkleRoot"]
        return RECONCILIATION["AGREED" if same else "DISPUTED"]


def _scenario(world: World) -> None:
    """Every event of every contract, including refusals that must leave no trace."""
    _membership_and_settlement(world)
    _documents(world)
    _orders(world)
    _anchors(world)


def _membership_and_settlement(world: World) -> None:
    a, tx, u = world.address, world.tx, world.unique
    # membership: a stale proposal, an executed one, trader lifecycle
    stale = tx("bank", "Membership", "propose", ADMIT_AUDITOR, a("auditor_2")).event("ProposalCreated")["proposalId"]
    tx("sponsor_bank", "Membership", "propose", ADMIT_BANK, a("bank_4"))
    tx("another_bank", "Membership", "vote", world.call("Membership", "proposalCount"))  # executes: stale is stale
    assert world.call("Membership", "proposal", stale)["state"] == STALE
    tx("bank_4", "Membership", "propose", SUSPEND_BANK, a("bank_4"))  # 1 of 4: open
    tx("bank", "Membership", "onboardTrader", a("trader_3"))
    tx("bank", "Membership", "suspendTrader", a("trader_3"))
    tx("bank", "Membership", "reinstateTrader", a("trader_3"))
    tx("bank", "Membership", "offboardTrader", a("trader_3"))
    # settlement: issue, transfer, redeem, external payments
    tx("agent", "Settlement", "issue", a("bank_4"), USD, 5_000, u())
    tx("bank_4", "Settlement", "transfer", a("trader"), USD, 1_000, u())
    tx("sponsor_bank", "Settlement", "redeem", a("trader"), EUR, 7, u())
    for confirm in (True, False):
        pid = tx("trader", "Settlement", "recordExternalPayment", a("bank"), USD, 10, 1, u(), u()).event(
            "ExternalPaymentRecorded"
        )["paymentId"]
        tx("bank", "Settlement", "confirmExternalPayment" if confirm else "rejectExternalPayment", pid)
    tx("trader", "Settlement", "recordExternalPayment", a("bank"), EUR, 11, 2, u(), u())  # stays RECORDED


def _documents(world: World) -> None:
    """Financing, a refused duplicate, repayments, releases, presentations."""
    a, tx, u = world.address, world.tx, world.unique
    shared = u("fp")
    register = ("registerDocument", a("trader"), 0, USD, 1_000)
    first = tx("sponsor_bank", "DocumentRegistry", *register, [shared, u("fp")]).event("DocumentRegistered")[
        "documentId"
    ]
    copy = tx("bank", "DocumentRegistry", *register, [u("fp"), shared]).event("DocumentRegistered")["documentId"]
    tx("sponsor_bank", "DocumentRegistry", "finance", first, 900, u())
    assert world.error("bank", "DocumentRegistry", "finance", copy, 500, u()).name == "DocumentRegistryAlreadyFinanced"
    tx("trader", "DocumentRegistry", "repay", first, 400, u())
    tx("trader", "DocumentRegistry", "repay", first, 500, u())  # REPAID: the copy may now be financed
    tx("bank", "DocumentRegistry", "finance", copy, 500, u())
    tx("bank", "DocumentRegistry", "release", copy)
    third = tx("trader", "DocumentRegistry", *register, [u("fp")]).event("DocumentRegistered")["documentId"]
    tx("trader", "DocumentRegistry", "release", third)
    # a document linked to a bill of lading: its financing pledges the record, the full repayment releases it
    bill = tx("bank", "TransferableRecords", "issue", 0, u("bl"), a("trader"), False).event("RecordIssued")

    def linked() -> int:
        receipt = tx("trader", "DocumentRegistry", "registerDocumentWithRecord", a("trader"), 1, USD, 1_000,
                     [u("fp")], bill["recordId"])  # fmt: skip
        document_id: int = receipt.event("DocumentRecordLinked")["documentId"]
        return document_id

    repaid, held = linked(), linked()
    tx("sponsor_bank", "DocumentRegistry", "finance", repaid, 600, u())
    tx("trader", "DocumentRegistry", "repay", repaid, 600, u())
    tx("sponsor_bank", "DocumentRegistry", "finance", held, 300, u())  # still pledged at the end
    tx("operator", "DocumentRegistry", "grantRole", keccak(text="PRESENTER_ROLE"), a("operator"))
    tx("operator", "DocumentRegistry", "recordPresentation", u("lc1"), [shared, u("fp")])
    tx("operator", "DocumentRegistry", "recordPresentation", u("lc2"), [shared])
    tx("operator", "DocumentRegistry", "revokeRole", keccak(text="PRESENTER_ROLE"), a("operator"))


def _orders(world: World) -> None:
    """Orders along every path."""
    a, tx, u = world.address, world.tx, world.unique
    now = world.chain.timestamp()

    def order(terms: int) -> int:
        due = now + 20 * DAY if terms == OPEN_ACCOUNT else 0
        args = (a("another_trader"), 300, USD, u("terms"), now + 10 * DAY, terms, due)
        order_id: int = tx("trader", "TradeOrders", "createOrder", *args).event("OrderCreated")["orderId"]
        return order_id

    paid, lc, rejected, cancelled, half = (
        order(t) for t in (OPEN_ACCOUNT, LETTER_OF_CREDIT, OPEN_ACCOUNT, OPEN_ACCOUNT, LETTER_OF_CREDIT)
    )
    for order_id in (paid, lc):
        tx("another_trader", "TradeOrders", "acceptOrder", order_id)
        tx("another_trader", "TradeOrders", "recordShipment", order_id, u("bl"))
        tx("trader", "TradeOrders", "confirmDelivery", order_id)
    tx("trader", "TradeOrders", "payOrder", paid)
    tx("another_trader", "TradeOrders", "rejectOrder", rejected)
    tx("another_trader", "TradeOrders", "acceptOrder", cancelled)
    tx("another_trader", "TradeOrders", "requestCancellation", cancelled)
    tx("trader", "TradeOrders", "requestCancellation", cancelled)
    tx("trader", "TradeOrders", "requestCancellation", half)


def _anchors(world: World) -> None:
    """Anchors agreed, disputed, pending and unilateral."""
    a, tx, u = world.address, world.tx, world.unique

    def statement(account: str, counterparty: str, root: bytes, start: int = 1_700_000_000) -> dict[str, Any]:
        return {
            "periodStart": start,
            "periodEnd": start + DAY,
            "account": a(account),
            "counterparty": a(counterparty) if counterparty else ZERO,
            "currency": USD,
            "merkleRoot": root,
            "entryCount": 2,
            "totalDebits": 5,
            "totalCredits": 9,
            "manifestHash": u("manifest"),
        }

    root = u("root")
    tx("trader", "ReconciliationAnchor", "anchor", statement("trader", "sponsor_bank", root))
    tx("sponsor_bank", "ReconciliationAnchor", "anchor", statement("sponsor_bank", "trader", root))
    tx("trader", "ReconciliationAnchor", "anchor", statement("trader", "bank", u("root")))
    tx("bank", "ReconciliationAnchor", "anchor", statement("bank", "trader", u("root")))
    tx("bank", "ReconciliationAnchor", "anchor", statement("bank", "another_trader", u("root")))
    tx("bank", "ReconciliationAnchor", "anchor", statement("bank", "", u("root")))


class TestEventReplay:
    def test_replayed_events_reproduce_every_getter(self, world: World) -> None:
        _scenario(world)
        events = [e for e in world.logs() if e.contract in REPLAYED]
        timestamps: dict[int, int] = {}
        model = Model()
        for event in events:
            if event.block not in timestamps:
                block = world.chain.rpc("eth_getBlockByNumber", hex(event.block), False)
                timestamps[event.block] = int(block["timestamp"], 16)
            model.apply(event, timestamps[event.block])

        # membership
        for address, member in model.members.items():
            assert world.call("Membership", "memberOf", address) == member, address
        assert world.call("Membership", "activeBankCount") == model.active_bank_count()
        assert world.call("Membership", "bankSetEpoch") == model.epoch
        assert world.call("Membership", "foundingBank") == model.founding_bank
        assert world.call("Membership", "proposalCount") == len(model.proposals)
        for proposal_id in model.proposals:
            assert world.call("Membership", "proposal", proposal_id) == model.proposal(proposal_id)
        for proposal_id, voter in model.votes:
            assert world.call("Membership", "hasVoted", proposal_id, voter)
        # settlement
        for (address, currency), balance in model.balances.items():
            assert world.call("Settlement", "balanceOf", address, currency) == balance
        for currency in {c for _, c in model.balances}:
            assert world.call("Settlement", "totalIssued", currency) == model.issued[currency]
            assert world.call("Settlement", "totalRedeemed", currency) == model.redeemed[currency]
            supply = sum(v for (_, c), v in model.balances.items() if c == currency)
            assert supply == model.issued[currency] - model.redeemed[currency]
        assert world.call("Settlement", "lastEntryId") == model.last_entry
        assert world.call("Settlement", "externalPaymentCount") == len(model.payments) == 3
        for payment_id, payment in model.payments.items():
            assert world.call("Settlement", "externalPayment", payment_id) == payment
        # documents
        assert world.call("DocumentRegistry", "documentCount") == len(model.documents)
        for doc_id, document in model.documents.items():
            assert world.call("DocumentRegistry", "document", doc_id) == document
            assert world.call("DocumentRegistry", "fingerprintsOf", doc_id) == model.fingerprints[doc_id]
            assert world.call("DocumentRegistry", "recordOf", doc_id) == model.record_of[doc_id]
        assert set(model.record_of.values()) - {0} and model.record_pledged_by  # linked, and one pledge still held
        for record_id, doc_id in model.record_pledged_by.items():
            onchain = world.call("TransferableRecords", "record", record_id)
            assert onchain["controller"] == model.documents[doc_id]["financier"]
        for fingerprint in {f for fs in model.fingerprints.values() for f in fs} | set(model.presented_under):
            assert (
                world.call("DocumentRegistry", "financedDocumentOf", fingerprint)
                == model.financed_document[fingerprint]
            )
            assert world.call("DocumentRegistry", "latestDocumentOf", fingerprint) == model.latest_document[fingerprint]
            assert world.call("DocumentRegistry", "presentedUnder", fingerprint) == model.presented_under[fingerprint]
        # orders
        assert world.call("TradeOrders", "orderCount") == len(model.orders)
        for order_id, order in model.orders.items():
            assert world.call("TradeOrders", "order", order_id) == order
        # anchors
        assert world.call("ReconciliationAnchor", "anchorCount") == len(model.anchors)
        for anchor_id, anchor in model.anchors.items():
            assert world.call("ReconciliationAnchor", "anchorOf", anchor_id) == anchor
            assert world.call("ReconciliationAnchor", "reconciliationStatus", anchor_id) == model.reconciliation_status(
                anchor_id
            )
        for key, anchor_id in model.anchor_ids.items():
            assert world.call("ReconciliationAnchor", "anchorIdOf", *key) == anchor_id
        assert {model.reconciliation_status(i) for i in model.anchors} == set(RECONCILIATION.values())
        # roles: every grant and revoke is an event
        for (contract, role, address), held in model.roles.items():
            assert world.call(contract, "hasRole", role, address) == held
        assert {e.name for e in events} >= {
            "ProposalExecuted",
            "FingerprintReused",
            "DocumentReuseFlagged",
            "OrderCancelled",
            "ReconciliationDisputed",
            "ExternalPaymentRejected",
            "RoleRevoked",
        }
