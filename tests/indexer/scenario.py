"""A scripted scenario that drives every platform contract through its main paths, on top of the contract tests'
world (tests.contracts.helpers.build_world: banks, traders, an auditor, funded accounts).

It emits every event of every artifact except those listed in `NOT_EMITTED`; the indexer tests then check that
the read model built from these events equals the contracts' getters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import keccak

from tests.contracts.helpers import ADMIT_BANK, EUR, REINSTATE_BANK, USD, World, account, fresh_address
from tests.contracts.lc_support import (
    ADVISER,
    AMEND_AMOUNT,
    AMEND_EXPIRY,
    AMEND_LATEST_SHIPMENT,
    AMEND_PARTIAL_DRAWINGS,
    AMEND_PRESENTATION_PERIOD,
    AMEND_TOLERANCE,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    CALENDAR,
    CONFIRMER,
    DAY,
    DEFERRED_PAYMENT,
    HOLD_PENDING_WAIVER,
    ISSUER,
    LC,
    RETURNING,
    amendment,
    balance,
    open_credit,
    present,
    start_on_monday,
    transfer_terms,
    warp,
)
from tests.contracts.openaccount_support import exercise_every_event
from tests.contracts.payables_support import payables_scenario
from tests.contracts.undertaking_support import undertakings_scenario

ZERO_ADDRESS = "0x" + "00" * 20
SETTLEMENT_AGENT_ROLE = keccak(text="SETTLEMENT_AGENT_ROLE")
TEMPORARY_ROLE = keccak(text="TEMPORARY_ROLE")
TITLE_AGENT_ROLE = keccak(text="TITLE_AGENT_ROLE")
DISCREPANCIES = [b"LATE_SHIPMENT".ljust(32, b"\0"), b"INVOICE_AMOUNT".ljust(32, b"\0")]
INVOICE, BILL_OF_LADING, WAREHOUSE_RECEIPT, OTHER = 0, 1, 3, 4
SWIFT, CIPS, RTGS = 0, 1, 2
LETTER_OF_CREDIT, OPEN_ACCOUNT = 0, 1

NOT_EMITTED = frozenset({
    # OpenZeppelin's AccessControl emits it only from _setRoleAdmin, which no platform contract calls
    ("DocumentRegistry", "RoleAdminChanged"),
    ("Membership", "RoleAdminChanged"),
    ("Settlement", "RoleAdminChanged"),
    ("TransferableRecords", "RoleAdminChanged"),
    ("TradeOrders", "RoleAdminChanged"),
})  # fmt: skip


@dataclass
class ScenarioFacts:
    """What the scenario did that the tests check beyond the getters."""

    duplicate_financing_error: str = ""
    stale_proposal_id: int = 0
    lc_ids: dict[str, int] = field(default_factory=dict)


def _statement(world: World, actor: str, counterparty: str, root: bytes, currency: bytes = USD) -> dict[str, object]:
    return {
        "periodStart": 1_767_225_600,  # 2026-01-01
        "periodEnd": 1_769_904_000,  # 2026-02-01
        "account": world.address(actor),
        "counterparty": world.address(counterparty) if counterparty else ZERO_ADDRESS,
        "currency": currency,
        "merkleRoot": root,
        "entryCount": 3,
        "totalDebits": 1_500,
        "totalCredits": 2**200,  # far beyond int64: exact amounts end to end
        "manifestHash": world.unique("manifest"),
    }


def run_membership(world: World, facts: ScenarioFacts) -> None:
    a = world.address
    # an admission proposal that stays open, then goes STALE when the bank set changes
    created = world.tx("sponsor_bank", "Membership", "propose", ADMIT_BANK, fresh_address("never-admitted"))
    facts.stale_proposal_id = created.event("ProposalCreated")["proposalId"]
    reinstate = world.tx("sponsor_bank", "Membership", "propose", REINSTATE_BANK, a("suspended_bank"))
    world.tx("bank", "Membership", "vote", reinstate.event("ProposalCreated")["proposalId"])  # 2 of 3: executed
    # a trader's whole life: onboard, suspend, reinstate, offboard
    late = account("late_trader").address
    world.tx("bank", "Membership", "onboardTrader", late)
    world.tx("bank", "Membership", "suspendTrader", late)
    world.tx("bank", "Membership", "reinstateTrader", late)
    world.tx("bank", "Membership", "offboardTrader", late)
    world.tx("sponsor_bank", "Membership", "reinstateTrader", a("suspended_trader"))
    # access control: two-step admin transfer and delay change, both cancelled; a role granted and revoked
    world.tx("operator", "Membership", "beginDefaultAdminTransfer", fresh_address("next-admin"))
    world.tx("operator", "Membership", "cancelDefaultAdminTransfer")
    world.tx("operator", "Membership", "changeDefaultAdminDelay", 3 * DAY)
    world.tx("operator", "Membership", "rollbackDefaultAdminDelay")
    for contract in ("Settlement", "DocumentRegistry", "TransferableRecords", "TradeOrders"):
        world.tx("operator", contract, "beginDefaultAdminTransfer", fresh_address("next-admin"))
        world.tx("operator", contract, "cancelDefaultAdminTransfer")
        world.tx("operator", contract, "changeDefaultAdminDelay", 4 * DAY)
        world.tx("operator", contract, "rollbackDefaultAdminDelay")
    for contract, role in (("Settlement", SETTLEMENT_AGENT_ROLE), ("Membership", TEMPORARY_ROLE),
                           ("DocumentRegistry", TEMPORARY_ROLE), ("TransferableRecords", TEMPORARY_ROLE),
                           ("TradeOrders", TEMPORARY_ROLE)):  # fmt: skip
        world.tx("operator", contract, "grantRole", role, fresh_address("temporary"))
        world.tx("operator", contract, "revokeRole", role, fresh_address("temporary"))
    world.tx("operator", "Membership", "grantRole", TEMPORARY_ROLE, fresh_address("kept"))


def run_settlement(world: World) -> None:
    a, ref = world.address, world.unique
    world.tx("bank", "Settlement", "transfer", a("another_bank"), USD, 1_000, ref("transfer"))
    world.tx("trader", "Settlement", "transfer", a("another_trader"), USD, 500, ref("transfer"))
    world.tx("agent", "Settlement", "redeem", a("bank"), USD, 300, ref("redeem"))
    world.tx("sponsor_bank", "Settlement", "redeem", a("trader"), EUR, 100, ref("redeem"))
    world.tx("agent", "Settlement", "issue", a("another_bank"), b"JPY", 2**128, ref("issue"))  # beyond int64
    confirmed = world.tx("bank", "Settlement", "recordExternalPayment", a("another_bank"), USD, 7_000, SWIFT,
                         ref("swift"), ref("ext"))  # fmt: skip
    world.tx(
        "another_bank", "Settlement", "confirmExternalPayment", confirmed.event("ExternalPaymentRecorded")["paymentId"]
    )
    rejected = world.tx("trader", "Settlement", "recordExternalPayment", a("another_trader"), EUR, 80, CIPS,
                        ref("cips"), ref("ext"))  # fmt: skip
    world.tx(
        "another_trader", "Settlement", "rejectExternalPayment", rejected.event("ExternalPaymentRecorded")["paymentId"]
    )
    world.tx("sponsor_bank", "Settlement", "recordExternalPayment", a("bank"), USD, 90, RTGS, ref("rtgs"), ref("ext"))


def run_orders(world: World) -> None:
    a, now = world.address, world.chain.timestamp()
    seller = a("another_trader")

    def create(terms: int, due: int) -> int:
        receipt = world.tx("trader", "TradeOrders", "createOrder", seller, 10_000, USD, world.unique("po"),
                           now + 30 * DAY, terms, due)  # fmt: skip
        order_id: int = receipt.event("OrderCreated")["orderId"]
        return order_id

    paid = create(OPEN_ACCOUNT, now + 40 * DAY)
    world.tx("another_trader", "TradeOrders", "acceptOrder", paid)
    world.tx("another_trader", "TradeOrders", "recordShipment", paid, world.unique("bl"))
    world.tx("trader", "TradeOrders", "confirmDelivery", paid)
    world.tx("trader", "TradeOrders", "payOrder", paid)
    rejected = create(LETTER_OF_CREDIT, 0)
    world.tx("another_trader", "TradeOrders", "rejectOrder", rejected)
    cancelled = create(OPEN_ACCOUNT, now + 40 * DAY)
    world.tx("trader", "TradeOrders", "requestCancellation", cancelled)
    world.tx("another_trader", "TradeOrders", "requestCancellation", cancelled)
    # the largest dates a uint64 holds: beyond signed BIGINT, stored exactly
    world.tx("trader", "TradeOrders", "createOrder", seller, 1, EUR, world.unique("po"), 2**64 - 1, OPEN_ACCOUNT,
             2**64 - 1)  # fmt: skip
    pending = create(LETTER_OF_CREDIT, 0)
    world.tx("another_trader", "TradeOrders", "acceptOrder", pending)
    world.tx("another_trader", "TradeOrders", "requestCancellation", pending)  # one consent only


def run_documents(world: World, facts: ScenarioFacts) -> None:
    a, ref = world.address, world.unique
    f1, f2, f3, f4, f5 = (ref("fingerprint") for _ in range(5))
    d1 = world.tx("sponsor_bank", "DocumentRegistry", "registerDocument", a("trader"), INVOICE, USD, 50_000, [f1, f2])
    doc1 = d1.event("DocumentRegistered")["documentId"]
    d2 = world.tx("trader", "DocumentRegistry", "registerDocument", a("trader"), BILL_OF_LADING, USD, 40_000,
                  [f2, f3, f3])  # fmt: skip
    doc2 = d2.event("DocumentRegistered")["documentId"]
    world.tx("sponsor_bank", "DocumentRegistry", "finance", doc1, 30_000, ref("fin"))
    error = world.error("bank", "DocumentRegistry", "finance", doc2, 20_000, ref("fin"))
    facts.duplicate_financing_error = error.name if error else ""
    world.tx("trader", "DocumentRegistry", "repay", doc1, 10_000, ref("repay"))
    world.tx("trader", "DocumentRegistry", "repay", doc1, 20_000, ref("repay"))
    world.tx("bank", "DocumentRegistry", "finance", doc2, 20_000, ref("fin"))  # unlocked by the full repayment
    world.tx("bank", "DocumentRegistry", "release", doc2)
    d3 = world.tx(
        "another_trader", "DocumentRegistry", "registerDocument", a("another_trader"), OTHER, EUR, 1_000, [f4]
    )
    world.tx("another_trader", "DocumentRegistry", "release", d3.event("DocumentRegistered")["documentId"])
    world.tx("bank", "DocumentRegistry", "registerDocument", a("another_trader"), WAREHOUSE_RECEIPT, EUR, 9_000, [f5])


def run_anchors(world: World) -> None:
    agreed = world.unique("root")
    world.tx("trader", "ReconciliationAnchor", "anchor", _statement(world, "trader", "sponsor_bank", agreed))
    world.tx("sponsor_bank", "ReconciliationAnchor", "anchor", _statement(world, "sponsor_bank", "trader", agreed))
    world.tx("bank", "ReconciliationAnchor", "anchor", _statement(world, "bank", "another_bank", world.unique("root")))
    world.tx("another_bank", "ReconciliationAnchor", "anchor",
             _statement(world, "another_bank", "bank", world.unique("root")))  # fmt: skip
    world.tx(
        "another_trader", "ReconciliationAnchor", "anchor", _statement(world, "another_trader", "", world.unique("r"))
    )
    world.tx("bank", "ReconciliationAnchor", "anchor", _statement(world, "bank", "sponsor_bank", world.unique("root")))


def _run_second_banks(world: World, lc1: int) -> tuple[int, int, int, int]:
    # second banks (Art 7c, 8, 12): the confirming bank honours and the issuer reimburses it; the available-with
    # bank honours and the issuer refuses its forwarded documents in time (Art 16d)
    p4 = present(world, lc1, 100_000)
    world.tx(CONFIRMER, LC, "honour", lc1, p4)
    world.tx(ISSUER, LC, "reimburseNominatedBank", lc1, p4)
    p5 = present(world, lc1, 50_000)
    world.tx(ADVISER, LC, "honour", lc1, p5)
    world.tx(ISSUER, LC, "refuseReimbursement", lc1, p5, DISCREPANCIES)
    # an amendment advised (Art 9d), its confirmation extended (Art 10b), accepted by a presentation (Art 10c)
    world.tx(ISSUER, LC, "issueAmendment", lc1, world.unique("mt707"), amendment(AMEND_AMOUNT, amount=3 * AMOUNT))
    world.tx(ADVISER, LC, "adviseAmendment", lc1, 5)
    world.tx(CONFIRMER, LC, "decideAmendmentConfirmation", lc1, 5, True)
    world.tx(BENEFICIARY, LC, "presentUnderAmendment", lc1, 5, [world.unique("doc")], 10_000,
             world.chain.timestamp() - DAY)  # fmt: skip
    return _incur_deferred(world)


def _incur_deferred(world: World) -> tuple[int, int, int, int]:
    """Deferred payment (Art 7a, 12b) with a share of the proceeds assigned (Art 39): the nominated bank honours by
    its undertaking and prepays it (the assignee paid its share less its part of the discount); the issuing bank
    honours by its own; the nominated bank honours a third and will not pay it (Art 7a iii). Returns (lcId,
    prepaid presentation, presentation the issuer pays at maturity, presentation in default)."""
    lc_id = open_credit(world, "ADVISED", availability=DEFERRED_PAYMENT, tenorDays=2)
    world.tx(BENEFICIARY, LC, "assignProceeds", lc_id, world.address(CONFIRMER), 2_500)
    prepaid, paid = present(world, lc_id, 30_000), present(world, lc_id, 20_000)
    defaulted = present(world, lc_id, 10_000)
    world.tx(ADVISER, LC, "honour", lc_id, prepaid)
    world.tx(ADVISER, LC, "prepayDeferredPayment", lc_id, prepaid, 300)
    world.tx(ISSUER, LC, "honour", lc_id, paid)
    world.tx(ADVISER, LC, "honour", lc_id, defaulted)
    return lc_id, prepaid, paid, defaulted


def _settle_deferred(world: World, facts: ScenarioFacts, lc_id: int, prepaid: int, paid: int, defaulted: int) -> None:
    """At maturity (Art 7c): the issuer pays its undertaking and reimburses the nominated bank that prepaid; after
    it, the issuer honours the undertaking the nominated bank left unpaid (Art 7a iii)."""
    facts.lc_ids["deferred"] = lc_id
    world.tx(ISSUER, LC, "payAtMaturity", lc_id, paid)
    world.tx(ISSUER, LC, "reimburseNominatedBank", lc_id, prepaid)
    world.tx(BENEFICIARY, LC, "honourDefaultedUndertaking", lc_id, defaulted)
    # the applicant reimbursed the drawings: its sponsor funds it again for the scenarios that follow
    world.tx("sponsor_bank", "Settlement", "issue", world.address(APPLICANT), USD, 60_000, world.unique("fund"))


def _transfer(world: World, lc_id: int, amount: int) -> int:
    """The beneficiary asks for `amount` of the credit to go to the applicant's trader (the cast's other trader)."""
    transfer = transfer_terms(world, lc_id, APPLICANT, amount=amount)
    receipt = world.tx(BENEFICIARY, LC, "requestTransfer", lc_id, transfer)
    transfer_id: int = receipt.event("TransferRequested")["transferId"]
    return transfer_id


def _run_transfers(world: World) -> int:
    """Art 38 and 39: a transfer consented and one declined; proceeds assigned; a substituted invoice honoured
    (second beneficiary, assignee and first beneficiary paid); a presentation forwarded as presented (38i)."""
    before = balance(world, APPLICANT)
    lc8 = open_credit(world, "ADVISED", transferable=True)
    t1 = _transfer(world, lc8, 400_000)
    world.tx(ADVISER, LC, "decideTransfer", lc8, t1, True)
    world.tx(ADVISER, LC, "decideTransfer", lc8, _transfer(world, lc8, 100_000), False)
    world.tx(BENEFICIARY, LC, "assignProceeds", lc8, world.address(CONFIRMER), 1_000)
    shipped = world.chain.timestamp() - DAY
    presented = world.tx(APPLICANT, LC, "presentTransferred", lc8, t1, [world.unique("doc")], 300_000, shipped)
    tp1 = presented.event("TransferredDocumentsPresented")["transferredPresentationId"]
    substituted = world.tx(BENEFICIARY, LC, "substituteInvoice", lc8, tp1, [world.unique("inv")], 350_000)
    world.tx(ISSUER, LC, "honour", lc8, substituted.event("InvoiceSubstituted")["presentationId"])
    docs = [world.unique("doc"), world.unique("doc")]
    presented = world.tx(APPLICANT, LC, "presentTransferred", lc8, t1, docs, 50_000, shipped)
    tp2 = presented.event("TransferredDocumentsPresented")["transferredPresentationId"]
    demanded = world.tx(ADVISER, LC, "demandSubstitution", lc8, tp2)
    warp(world, demanded.event("SubstitutionDemanded")["deadline"] + 1)
    forwarded = world.tx(ADVISER, LC, "forwardAsPresented", lc8, tp2, docs)
    world.tx(ISSUER, LC, "honour", lc8, forwarded.event("TransferredDocumentsForwarded")["presentationId"])
    # the applicant, paid as second beneficiary and debited as applicant, gets back the balance the rest expects
    world.tx("sponsor_bank", "Settlement", "issue", world.address(APPLICANT), USD, before - balance(world, APPLICANT),
             world.unique("fund"))  # fmt: skip
    return lc8


def run_letters_of_credit(world: World, facts: ScenarioFacts) -> None:
    monday = start_on_monday(world)
    # the issuing bank is closed today (presentations count from tomorrow) and registers, then removes, another day
    world.tx(ISSUER, CALENDAR, "setHolidays", [monday, monday + 2 * DAY], True)
    world.tx(ISSUER, CALENDAR, "setHolidays", [monday + 2 * DAY], False)

    lc1 = open_credit(world, "CONFIRMED")
    facts.lc_ids["main"] = lc1
    world.tx(ISSUER, LC, "issueAmendment", lc1, world.unique("mt707"), amendment(AMEND_AMOUNT, amount=2 * AMOUNT))
    world.tx(BENEFICIARY, LC, "acceptAmendment", lc1, 1, AMEND_AMOUNT)
    partial = amendment(AMEND_EXPIRY | AMEND_TOLERANCE, expiry=monday + 70 * DAY, tolerancePlusBps=500,
                        toleranceMinusBps=500)  # fmt: skip
    world.tx(ISSUER, LC, "issueAmendment", lc1, world.unique("mt707"), partial)
    world.tx(BENEFICIARY, LC, "acceptAmendment", lc1, 2, AMEND_EXPIRY)  # partial acceptance is a rejection
    fields = AMEND_PRESENTATION_PERIOD | AMEND_PARTIAL_DRAWINGS | AMEND_LATEST_SHIPMENT | AMEND_TOLERANCE
    full = amendment(fields, presentationPeriodDays=0, partialDrawingsAllowed=True, latestShipment=monday + 40 * DAY,
                     tolerancePlusBps=1_000, toleranceMinusBps=1_000)  # fmt: skip
    world.tx(ISSUER, LC, "issueAmendment", lc1, world.unique("mt707"), full)
    world.tx(BENEFICIARY, LC, "acceptAmendment", lc1, 3, fields)
    world.tx(ISSUER, LC, "issueAmendment", lc1, world.unique("mt707"), amendment(AMEND_AMOUNT, amount=3 * AMOUNT))
    world.tx(BENEFICIARY, LC, "rejectAmendment", lc1, 4)

    # presentation 1: refused, waived, honoured; the applicant reimburses in the same transaction
    documents = [world.unique("doc"), world.unique("doc")]
    p1 = present(world, lc1, 500_000, documents=documents)
    world.tx(ISSUER, LC, "refuse", lc1, p1, DISCREPANCIES, HOLD_PENDING_WAIVER)
    world.tx(APPLICANT, LC, "waiveDiscrepancies", lc1, p1)
    world.tx(ISSUER, LC, "honour", lc1, p1)
    # presentation 2: honoured while the applicant is short of funds: a reimbursement claim, settled later
    world.tx("sponsor_bank", "Settlement", "redeem", world.address(APPLICANT), USD, balance(world, APPLICANT) - 1_000,
             world.unique("redeem"))  # fmt: skip
    # ... with a bill of lading: title passes to the applicant with the bank keeping it as security until settled
    p2 = present(world, lc1, 600_000, record_id=_bill_of_lading(world))
    world.tx(ISSUER, LC, "honour", lc1, p2)
    world.tx("sponsor_bank", "Settlement", "issue", world.address(APPLICANT), USD, 1_000_000, world.unique("fund"))
    world.tx(APPLICANT, LC, "settleReimbursementClaim", 1)
    # presentation 3: refused, documents returned (its bill of lading back to the beneficiary)
    p3 = present(world, lc1, 100_000, record_id=_bill_of_lading(world))
    world.tx(ISSUER, LC, "refuse", lc1, p3, DISCREPANCIES[:1], RETURNING)
    world.tx(ISSUER, LC, "returnDocuments", lc1, p3)
    deferred = _run_second_banks(world, lc1)
    facts.lc_ids["transferred"] = _run_transfers(world)

    lc2 = _run_cancellation(world, documents[0])
    # applications declined and withdrawn
    world.tx(ISSUER, LC, "declineApplication", open_credit(world, "APPLIED"))
    world.tx(APPLICANT, LC, "withdrawApplication", open_credit(world, "APPLIED"))
    # no partial drawings: one drawing draws it fully (claim left open), then closed
    lc5 = open_credit(world, "ADVISED", partialDrawingsAllowed=False)
    world.tx(ISSUER, LC, "honour", lc5, present(world, lc5, AMOUNT))
    world.tx(ISSUER, LC, "close", lc5)
    # preclusion (Art 16f) and expiry
    lc6 = open_credit(world, "ISSUED")
    p6 = present(world, lc6, 200_000)
    now = world.chain.timestamp()
    lc7 = open_credit(world, "ISSUED", expiry=now + 2 * DAY, latestShipment=now + DAY)
    warp(world, now + 9 * DAY)
    world.tx(BENEFICIARY, LC, "enforcePreclusion", lc6, p6)
    world.tx(ADVISER, LC, "expire", lc7)
    world.tx(ISSUER, LC, "close", lc7)
    _settle_deferred(world, facts, *deferred)
    facts.lc_ids.update(cancelled=lc2, fully_drawn=lc5, precluded=lc6, expired=lc7)


def _run_cancellation(world: World, reused_document: bytes) -> int:
    """A second credit: a document of the first presented again (re-use flagged), then cancelled by consent."""
    lc2 = open_credit(world, "CONFIRMED")
    reused = present(world, lc2, 100_000, documents=[reused_document, world.unique("doc")])
    world.tx(ISSUER, LC, "refuse", lc2, reused, DISCREPANCIES, RETURNING)
    world.tx(ISSUER, LC, "returnDocuments", lc2, reused)
    for party in (ISSUER, CONFIRMER, BENEFICIARY):
        world.tx(party, LC, "consentToCancellation", lc2)
    return lc2


def _bill_of_lading(world: World) -> int:
    """A bill of lading `another_bank` (the carrier) issues to the beneficiary, for a presentation to carry."""
    receipt = world.tx(
        CONFIRMER, "TransferableRecords", "issue", 0, world.unique("ebl"), world.address(BENEFICIARY), False
    )
    record_id: int = receipt.event("RecordIssued")["recordId"]
    return record_id


def run_records(world: World) -> None:
    """Every edge of the transferable-record graph: `agent` acts as the LetterOfCredit contract (title agent)."""
    a, records = world.address, "TransferableRecords"
    world.tx("operator", records, "grantRole", TITLE_AGENT_ROLE, a("agent"))

    def issue(to_order: bool) -> int:
        receipt = world.tx("bank", records, "issue", 0, world.unique("bl"), a("trader"), to_order)
        record_id: int = receipt.event("RecordIssued")["recordId"]
        return record_id

    bill = issue(True)  # endorsed, pledged and released, enforced, surrendered, rejected, surrendered, voided
    world.tx("trader", records, "endorse", bill, a("another_trader"))
    world.tx("another_trader", records, "endorse", bill, ZERO_ADDRESS)
    world.tx("another_trader", records, "transfer", bill, a("trader"))
    world.tx("trader", records, "pledge", bill, a("sponsor_bank"))
    world.tx("sponsor_bank", records, "releasePledge", bill)
    world.tx("trader", records, "pledge", bill, a("sponsor_bank"))
    world.tx("sponsor_bank", records, "enforcePledge", bill)
    world.tx("sponsor_bank", records, "surrender", bill)
    world.tx("bank", records, "rejectSurrender", bill)
    world.tx("sponsor_bank", records, "surrender", bill)
    world.tx("bank", records, "voidRecord", bill)
    key = (42).to_bytes(32, "big")
    lodged = issue(False)  # lodged under an LC and returned, lodged again, title passed with security, released
    world.tx("agent", records, "lodge", lodged, a("trader"), a("bank"), key)
    world.tx("agent", records, "returnToPresenter", lodged, key)
    world.tx("agent", records, "lodge", lodged, a("trader"), a("bank"), key)
    world.tx("agent", records, "passTitle", lodged, key, a("another_trader"), a("bank"))
    world.tx("agent", records, "releaseSecurity", lodged, key)
    outright = issue(False)  # title passed outright; still escrowed: a second one stays with the bank
    world.tx("agent", records, "lodge", outright, a("trader"), a("another_bank"), key)
    world.tx("agent", records, "passTitle", outright, key, a("another_trader"), ZERO_ADDRESS)
    escrowed = issue(True)
    world.tx("agent", records, "lodge", escrowed, a("trader"), a("bank"), world.unique("lc"))


def run_financing_pledges(world: World) -> None:
    """Financing against a record pledges it (DocumentRegistry as title agent): pledged and released by repayment,
    refused while pledged, pledged and released by the financier's release, pledged and enforced by the financier
    (whose later repayment releases nothing), and a linked document never financed."""
    a, ref, registry = world.address, world.unique, "DocumentRegistry"
    bill = world.tx("bank", "TransferableRecords", "issue", 0, ref("bl"), a("trader"), True).event("RecordIssued")

    def linked() -> int:
        receipt = world.tx("trader", registry, "registerDocumentWithRecord", a("trader"), BILL_OF_LADING, USD,
                           40_000, [ref("fingerprint")], bill["recordId"])  # fmt: skip
        document_id: int = receipt.event("DocumentRecordLinked")["documentId"]
        return document_id

    repaid, released, enforced = linked(), linked(), linked()
    world.tx("sponsor_bank", registry, "finance", repaid, 30_000, ref("fin"))
    assert world.error("bank", registry, "finance", released, 30_000, ref("fin")) is not None  # the record is pledged
    world.tx("trader", registry, "repay", repaid, 30_000, ref("repay"))
    world.tx("bank", registry, "finance", released, 20_000, ref("fin"))
    world.tx("bank", registry, "release", released)
    world.tx("sponsor_bank", registry, "finance", enforced, 10_000, ref("fin"))
    world.tx("sponsor_bank", "TransferableRecords", "enforcePledge", bill["recordId"])
    world.tx("trader", registry, "repay", enforced, 10_000, ref("repay"))
    linked()


def run_scenario(world: World) -> ScenarioFacts:
    """Drive every contract; returns facts the tests check."""
    facts = ScenarioFacts()
    run_membership(world, facts)
    run_settlement(world)
    run_orders(world)
    run_documents(world, facts)
    run_anchors(world)
    run_letters_of_credit(world, facts)
    undertakings_scenario(world)
    run_records(world)
    run_financing_pledges(world)
    exercise_every_event(world)  # Invoices and PaymentUndertakings (tests/contracts/openaccount_support.py)
    payables_scenario(world)  # PayablesFinance (tests/contracts/payables_support.py)
    return facts
