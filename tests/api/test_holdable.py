"""Every operation that moves money or commits the bank is holdable: one policy test per registered operation.

For each operation in the registry (`approvals.operations()`): a policy of the acting bank on it, a maker's write
above the threshold answers 202 with a pending request for the amount the policy compares and sends nothing; a
checker's approval sends the same call through the transaction manager, mined, signed by the bank. A registered
operation without a scenario here fails the test: adding a holdable operation means adding its scenario.

Each test's policy lives only while the test runs, so that other modules' writes are not held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, OUTSIDER, TRADER, Consortium
from tests.api.test_guarantees import _balance, guarantee
from tests.api.test_lcs import INVOICE, TODAY, application
from tests.api.test_openaccount import AMOUNT as PAYABLE_AMOUNT
from tests.api.test_openaccount import accepted_order, open_account_trade
from tests.api.test_payables import accepted_invoice, advance_for, approval, approved_payable, supplier_invoice
from tests.api.test_users import add_user, client_for
from tests.members import AGENT, issue
from tradeledger.store.models import ChainTransaction
from tradeledger.undertakings.discount import DayCount
from tradeledger.users import approvals
from tradeledger.users.models import Approval, ApprovalPolicy, ApprovalRequest

MEMBERS = {"bank": BANK.address, "other_bank": OTHER_BANK.address, "trader": TRADER.address,
           "outsider": OUTSIDER.address}  # fmt: skip


@dataclass(frozen=True)
class Write:
    """A maker's write: who (the bank's name), where, with what body; the amount and currency the policy
    compares, and the contract its transaction calls."""

    bank: str
    path: str
    body: dict[str, Any] | None
    amount: int
    currency: str
    contract: str
    transactions: int = 1  # what the approved request sends (a discount: the financing, then the assignment)


def _key(name: str, step: str) -> dict[str, str]:
    return {"Idempotency-Key": f"hold-{name}-{step}"}


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _credit(consortium: Consortium, name: str, applicant: str = "trader", amount: str = "2000.00",
            **parties: str) -> str:  # fmt: skip
    """A credit the applicant applies for (USD 2,000.00, the other bank issuing unless `parties` say otherwise)."""
    body = application(lc_number=f"LCH-{name}", amount=amount)
    body.update(issuing_bank=OTHER_BANK.address, advising_bank=OTHER_BANK.address,
                available_with_bank=OTHER_BANK.address)  # fmt: skip
    body.update(parties)
    lc = _ok(consortium.client(applicant).post("/v1/lcs", json=body, headers=_key(name, "apply")))
    return f"/v1/lcs/{lc['lc_id']}"


def _step(consortium: Consortium, who: str, path: str, name: str, step: str) -> dict[str, Any]:
    return _ok(consortium.client(who).post(f"{path}/{step}", headers=_key(name, step)))


def _presented(consortium: Consortium, name: str, path: str, amount: int, shipped: date = TODAY) -> str:
    invoice = {**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": f"HOLD-{name}"}}
    body = {"documents": [invoice], "amount": amount, "shipment_date": shipped.isoformat()}
    shown = _ok(consortium.client("other_trader").post(f"{path}/presentations", json=body,
                                                        headers=_key(name, "present")))  # fmt: skip
    return f"{path}/presentations/{shown['presentations'][-1]['presentation_id']}"


def lc_issue(consortium: Consortium) -> Write:
    return Write("other_bank", f"{_credit(consortium, 'issue')}/issue", None, 200_000, "USD", "LetterOfCredit")


def lc_confirm(consortium: Consortium) -> Write:
    path = _credit(consortium, "confirm", issuing_bank=BANK.address, advising_bank=BANK.address,
                   confirming_bank=OTHER_BANK.address)  # fmt: skip
    for step in ("issue", "advise"):
        _step(consortium, "bank", path, "confirm", step)
    return Write("other_bank", f"{path}/confirm", None, 200_000, "USD", "LetterOfCredit")


def lc_amend(consortium: Consortium) -> Write:
    path = _credit(consortium, "amend")
    _step(consortium, "other_bank", path, "amend", "issue")
    body = {"changes": {"amount": 300_000}}
    return Write("other_bank", f"{path}/amendments", body, 300_000, "USD", "LetterOfCredit")


def lc_honour(consortium: Consortium) -> Write:
    path = _credit(consortium, "honour")
    _step(consortium, "other_bank", path, "honour", "issue")
    presentation = _presented(consortium, "honour", path, 9_000)
    return Write("other_bank", f"{presentation}/honour", None, 9_000, "USD", "LetterOfCredit")


def lc_reimburse(consortium: Consortium) -> Write:
    """The founding bank, nominated, honours; the issuing (other) bank reimburses it (Art 7c)."""
    path = _credit(consortium, "reimburse", available_with_bank=BANK.address, advising_bank=BANK.address)
    _step(consortium, "other_bank", path, "reimburse", "issue")
    presentation = _presented(consortium, "reimburse", path, 8_000)
    _step(consortium, "bank", presentation, "reimburse", "honour")
    return Write("other_bank", f"{presentation}/reimburse-nominated-bank", None, 8_000, "USD", "LetterOfCredit")


def _short(consortium: Consortium) -> int:
    """More than the outsider (a client of the bank, the applicant below) holds: its reimbursement becomes a claim."""
    return _balance(consortium, OUTSIDER.address) + 1_000


def _fund_outsider(consortium: Consortium, name: str, amount: int) -> None:
    """The bank credits its client what the claim needs (no policy on deposits in the test), so the settlement
    the checker approves passes the pre-flight."""
    body = {"currency": "USD", "amount": amount, "reference": f"HOLD-{name}"}
    _ok(consortium.client("bank").post(f"/v1/accounts/{OUTSIDER.address}/deposits", json=body,
                                       headers=_key(name, "fund")))  # fmt: skip


def lc_settle_claim(consortium: Consortium) -> Write:
    """The applicant, short at honour, settles the issuing bank's reimbursement claim later (the claim's amount)."""
    owed = _short(consortium)
    path = _credit(consortium, "settle", applicant="outsider", amount=f"{owed // 100}.{owed % 100:02d}")
    _step(consortium, "other_bank", path, "settle", "issue")
    presentation = _presented(consortium, "settle", path, owed)
    honoured = _step(consortium, "other_bank", presentation, "settle", "honour")
    claim_id = honoured["presentations"][-1]["claim_id"]
    assert claim_id is not None, honoured
    _fund_outsider(consortium, "lc-claim", owed)
    return Write("outsider", f"/v1/lcs/reimbursement-claims/{claim_id}/settle", None, owed, "USD", "LetterOfCredit")


def lc_transfer(consortium: Consortium) -> Write:
    """The other bank, available-with hence transferring bank, consents to a transfer of part of a transferable
    credit: it commits it for the transferred amount (Art 38a)."""
    body = application(lc_number="LCH-transfer", amount="2000.00", form_of_credit="IRREVOCABLE TRANSFERABLE")
    body.update(issuing_bank=OTHER_BANK.address, advising_bank=OTHER_BANK.address,
                available_with_bank=OTHER_BANK.address)  # fmt: skip
    lc = _ok(consortium.client("trader").post("/v1/lcs", json=body, headers=_key("transfer", "apply")))
    path = f"/v1/lcs/{lc['lc_id']}"
    _step(consortium, "other_bank", path, "transfer", "issue")
    request = {"second_beneficiary": OUTSIDER.address, "amount": 150_000}
    requested = _ok(consortium.client("other_trader").post(f"{path}/transfers", json=request,
                                                           headers=_key("transfer", "request")))  # fmt: skip
    decision = f"{path}/transfers/{requested['transfers'][0]['transfer_id']}/decision"
    return Write("other_bank", decision, {"consent": True}, 150_000, "USD", "LetterOfCredit")


def lc_prepay(consortium: Consortium) -> Write:
    """The other bank, nominated under a deferred payment credit the founding bank issued, honoured by its undertaking;
    it prepays it, less a discount (Art 12b)."""
    body = application(lc_number="LCH-prepay", amount="2000.00", available_by="BY DEF PAYMENT", tenor_days=30)
    body.update(issuing_bank=BANK.address, advising_bank=OTHER_BANK.address, available_with_bank=OTHER_BANK.address)
    lc = _ok(consortium.client("trader").post("/v1/lcs", json=body, headers=_key("prepay", "apply")))
    path = f"/v1/lcs/{lc['lc_id']}"
    _step(consortium, "bank", path, "prepay", "issue")
    presentation = _presented(consortium, "prepay", path, 7_000)
    _step(consortium, "other_bank", presentation, "prepay", "honour")
    return Write("other_bank", f"{presentation}/prepay", {"discount": 100}, 6_900, "USD", "LetterOfCredit")


def lc_honour_default(consortium: Consortium) -> Write:
    """The founding bank, nominated under a deferred payment credit the other bank issued, honoured by its
    undertaking and did not pay it at maturity (14 days after a shipment 21 days ago); the other bank honours it
    (Art 7a iii): it pays the drawing."""
    body = application(lc_number="LCH-default", amount="2000.00", available_by="BY DEF PAYMENT", tenor_days=14,
                       tenor_basis="AFTER SHIPMENT")  # fmt: skip
    body.update(issuing_bank=OTHER_BANK.address, advising_bank=OTHER_BANK.address, available_with_bank=BANK.address)
    lc = _ok(consortium.client("trader").post("/v1/lcs", json=body, headers=_key("default", "apply")))
    path = f"/v1/lcs/{lc['lc_id']}"
    _step(consortium, "other_bank", path, "default", "issue")
    presentation = _presented(consortium, "default", path, 6_100, TODAY - timedelta(days=21))
    _step(consortium, "bank", presentation, "default", "honour")
    return Write("other_bank", f"{presentation}/honour-default", None, 6_100, "USD", "LetterOfCredit")


def transfer(consortium: Consortium) -> Write:
    body = {"to": BANK.address, "currency": "USD", "amount": 1_234, "reference": "HOLD-TRANSFER"}
    return Write("other_bank", "/v1/settlements/transfers", body, 1_234, "USD", "Settlement")


def deposit(consortium: Consortium) -> Write:
    body = {"currency": "USD", "amount": 700, "reference": "HOLD-DEPOSIT"}
    return Write("bank", f"/v1/accounts/{TRADER.address}/deposits", body, 700, "USD", "Settlement")


def withdrawal(consortium: Consortium) -> Write:
    """What the bank deposited first (its administrator: no policy on deposits here), so balances stay as found."""
    deposited = {"currency": "USD", "amount": 600, "reference": "HOLD-WITHDRAWAL"}
    _ok(consortium.client("bank").post(f"/v1/accounts/{TRADER.address}/deposits", json=deposited,
                                       headers=_key("withdrawal", "deposit")))  # fmt: skip
    return Write("bank", f"/v1/accounts/{TRADER.address}/withdrawals", deposited, 600, "USD", "Settlement")


def external_payment(consortium: Consortium) -> Write:
    body = {"payee": BANK.address, "currency": "EUR", "amount": 5_500, "rail": "swift",
            "rail_reference": "3b0f7a52-6a43-4c55-9d0e-2f1f1c0a7d11", "reference": "HOLD-EXT"}  # fmt: skip
    return Write("other_bank", "/v1/settlements/external-payments", body, 5_500, "EUR", "Settlement")


def _invoice(consortium: Consortium, name: str, seller: str, buyer: str, face_value: int) -> str:
    """An invoice of the trader's that the bank registers: its path."""
    fields = {"seller_id": seller, "buyer_id": buyer, "invoice_number": f"HOLD-{name}",
              "issue_date": TODAY.isoformat(), "amount": face_value, "currency": "USD"}  # fmt: skip
    body = {"kind": "invoice", "fields": fields, "owner": TRADER.address, "currency": "USD", "face_value": face_value}
    document = _ok(consortium.client("bank").post("/v1/documents", json=body, headers=_key(name, "register")))
    return f"/v1/documents/{document['document_id']}"


def financing(consortium: Consortium) -> Write:
    path = _invoice(consortium, "finance", "5493001KJTIIGC8Y1R12", "DE-HRB-1234", 40_000)
    body = {"amount": 30_000, "reference": "HOLD-FIN"}
    return Write("bank", f"{path}/financings", body, 30_000, "USD", "DocumentRegistry")


def repayment(consortium: Consortium) -> Write:
    """The trader repays (part of) what the bank financed against its invoice."""
    path = _invoice(consortium, "repay", "5493001KJTIIGC8Y1R99", "DE-HRB-9999", 33_000)
    _ok(consortium.client("bank").post(f"{path}/financings", json={"amount": 20_000, "reference": "HOLD-REP-F"},
                                       headers=_key("repay", "finance")))  # fmt: skip
    body = {"amount": 500, "reference": "HOLD-REP"}
    return Write("trader", f"{path}/repayments", body, 500, "USD", "DocumentRegistry")


def order_payment(consortium: Consortium) -> Write:
    """The trader, buyer, pays a delivered open-account order."""
    due = (TODAY + timedelta(days=30)).isoformat()
    body = {"seller": OTHER_TRADER.address, "amount": 900, "currency": "USD", "terms": {"goods": "HOLD-PAY"},
            "latest_shipment": due, "payment_terms": "open_account", "due_date": due}  # fmt: skip
    order = _ok(consortium.client("trader").post("/v1/orders", json=body, headers=_key("pay", "order")))
    path = f"/v1/orders/{order['order_id']}"
    _step(consortium, "other_trader", path, "pay", "accept")
    _ok(consortium.client("other_trader").post(f"{path}/ship", json={"transport_document_hash": "0x" + "44" * 32},
                                               headers=_key("pay", "ship")))  # fmt: skip
    _step(consortium, "trader", path, "pay", "deliver")
    return Write("trader", f"{path}/pay", None, 900, "USD", "TradeOrders")


def _guarantee(consortium: Consortium, name: str) -> str:
    body = guarantee(guarantor=OTHER_BANK.address, amount=20_000,
                     terms={"kind": "performance guarantee", "contract": f"HOLD-{name}"})  # fmt: skip
    applied = _ok(consortium.client("trader").post("/v1/guarantees", json=body, headers=_key(name, "apply")))
    return f"/v1/guarantees/{applied['guarantee_id']}"


def guarantee_issue(consortium: Consortium) -> Write:
    return Write("other_bank", f"{_guarantee(consortium, 'g-issue')}/issue", None, 20_000, "USD", "Undertakings")


def guarantee_pay(consortium: Consortium) -> Write:
    path = _guarantee(consortium, "g-pay")
    _step(consortium, "other_bank", path, "g-pay", "issue")
    demand = {"amount": 1_500, "statement": {"breach": "not delivered", "signed_by": "beneficiary"}}
    demanded = _ok(consortium.client("other_trader").post(f"{path}/demands", json=demand,
                                                           headers=_key("g-pay", "demand")))  # fmt: skip
    demand_id = demanded["demands"][-1]["demand_id"]
    return Write("other_bank", f"{path}/demands/{demand_id}/pay", None, 1_500, "USD", "Undertakings")


def undertaking_establish(consortium: Consortium) -> Write:
    """The bank, the trader's sponsor, undertakes to pay the other bank for the trader's accepted order."""
    order_id = accepted_order(consortium, "hold-establish")
    body = {"order_id": order_id, "recipient_bank": OTHER_BANK.address, "amount": 1_100,
            "due_date": (TODAY + timedelta(days=10)).isoformat(), "expiry": (TODAY + timedelta(days=20)).isoformat(),
            "terms": {"rules": "URBPO 750"}}  # fmt: skip
    return Write("bank", "/v1/payment-undertakings", body, 1_100, "USD", "PaymentUndertakings")


def undertaking_accept_mismatch(consortium: Consortium) -> Write:
    """The obligor bank accepts the mismatch of the order's invoice: its undertaking (USD 10.00) becomes payable."""
    trade = open_account_trade(consortium, "hold-accept")
    path = f"/v1/payment-undertakings/{trade['undertaking_id']}/accept-mismatch"
    return Write("bank", path, None, 1_000, "USD", "PaymentUndertakings")


def undertaking_discount(consortium: Consortium) -> Write:
    """The recipient (other) bank discounts the undertaking (USD 10.00 due in 10 days) at 5 % ACT/360: 1,000 x 5 % x
    10 / 360 = 1.39, so 1 minor unit of discount and an advance of 999, the amount its policy compares. The approved
    request sends the financing (which carries the approval trail) and then the assignment of the proceeds."""
    trade = open_account_trade(consortium, "hold-discount")
    fields = {"seller_id": "5493001KJTIIGC8Y1R77", "buyer_id": "DE-HRB-7777", "invoice_number": "HOLD-discount",
              "issue_date": TODAY.isoformat(), "amount": 1_000, "currency": "USD"}  # fmt: skip
    invoice = {"kind": "invoice", "fields": fields, "owner": OTHER_TRADER.address, "currency": "USD",
               "face_value": 1_000}  # fmt: skip
    document = _ok(consortium.client("other_bank").post("/v1/documents", json=invoice,
                                                        headers=_key("discount", "register")))  # fmt: skip
    body = {"document_id": document["document_id"], "rate_bps": 500, "day_count": "ACT/360", "reference": "HOLD-DISC"}
    path = f"/v1/payment-undertakings/{trade['undertaking_id']}/discounts"
    return Write("other_bank", path, body, 999, "USD", "DocumentRegistry", transactions=2)


def payable_approval(consortium: Consortium) -> Write:
    """The trader, buyer, approves a payable for its accepted invoice: a commitment to pay at maturity."""
    body = approval(consortium, accepted_invoice(consortium, "hold-pf-approve"))
    return Write("trader", "/v1/payables", body, PAYABLE_AMOUNT, "USD", "PayablesFinance")


def payable_financing(consortium: Consortium) -> Write:
    """The bank pays the supplier early: the policy compares the advance (the amount less the discount)."""
    payable = approved_payable(consortium, "hold-pf-finance")
    body = {
        "document_id": int(supplier_invoice(consortium, "hold-pf-finance")),
        "rate_bps": 300,
        "day_count": "ACT/360",
    }
    advance = advance_for(consortium, payable, 300, DayCount.ACT_360)
    return Write("bank", f"/v1/payables/{payable['payable_id']}/financings", body, advance, "USD", "PayablesFinance")


def guarantee_settle_claim(consortium: Consortium) -> Write:
    """The applicant, short when the guarantor paid, settles the guarantor's reimbursement claim (its amount)."""
    owed = _short(consortium)
    body = guarantee(guarantor=OTHER_BANK.address, amount=owed, terms={"kind": "bid bond", "contract": "HOLD-claim"})
    applied = _ok(consortium.client("outsider").post("/v1/guarantees", json=body, headers=_key("g-claim", "apply")))
    path = f"/v1/guarantees/{applied['guarantee_id']}"
    _step(consortium, "other_bank", path, "g-claim", "issue")
    demand = {"amount": owed, "statement": {"breach": "bid withdrawn", "signed_by": "beneficiary"}}
    _ok(consortium.client("other_trader").post(f"{path}/demands", json=demand, headers=_key("g-claim", "demand")))
    paid = _step(consortium, "other_bank", f"{path}/demands/1", "g-claim", "pay")
    claim_id = paid["demands"][0]["claim_id"]
    assert claim_id is not None, paid
    _fund_outsider(consortium, "g-claim", owed)
    return Write("outsider", f"/v1/guarantees/reimbursement-claims/{claim_id}/settle", None, owed, "USD",
                 "Undertakings")  # fmt: skip


SCENARIOS: dict[str, Callable[[Consortium], Write]] = {
    "lc.issue": lc_issue, "lc.confirm": lc_confirm, "lc.amend": lc_amend, "lc.honour": lc_honour,
    "lc.reimburse": lc_reimburse, "lc.prepay": lc_prepay, "lc.transfer": lc_transfer,
    "lc.honour_default": lc_honour_default,
    "settlements.transfer": transfer, "settlements.deposit": deposit,
    "settlements.withdrawal": withdrawal, "settlements.external_payment": external_payment,
    "documents.finance": financing, "documents.repay": repayment, "orders.pay": order_payment,
    "guarantees.issue": guarantee_issue, "guarantees.pay": guarantee_pay,
    "undertakings.establish": undertaking_establish, "undertakings.discount": undertaking_discount,
    "undertakings.accept_mismatch": undertaking_accept_mismatch,
    "payables.approve": payable_approval, "payables.finance": payable_financing, "lc.settle_claim": lc_settle_claim,
    "guarantees.settle_claim": guarantee_settle_claim,
}  # fmt: skip


@pytest.fixture(scope="module")
def people(consortium: Consortium) -> dict[tuple[str, str], TestClient]:
    """A maker and a checker of each bank; the other bank funded for what it pays here."""
    issue(consortium.platform, OTHER_BANK, 100_000, "FUND-HOLD-OTHER-BANK", issuer=AGENT)
    return {
        (bank, role): client_for(consortium, add_user(consortium, bank, f"hold-{bank}-{role}", [role],
                                                      f"hold-{bank}-{role}"))
        for bank in MEMBERS for role in ("maker", "checker")
    }  # fmt: skip


def _sent_by(consortium: Consortium, signer: str) -> int:
    with consortium.platform.sessions() as db:
        return int(db.scalar(select(func.count()).where(ChainTransaction.signer == signer)) or 0)


@pytest.fixture
def policy_of(consortium: Consortium) -> Iterator[Callable[[Write, str], None]]:
    """Makes a policy for one test; removes it afterwards."""
    made: list[str] = []

    def make(write: Write, operation: str) -> None:
        created = consortium.client(write.bank).post(
            "/v1/approval-policies",
            json={"operation": operation, "currency": write.currency, "threshold": write.amount - 1, "approvals": 1},
            headers=_key(f"{operation}-{write.amount}", "policy"),
        )
        made.append(_ok(created)["id"])

    yield make
    with consortium.platform.transaction() as db:  # the test's requests go with it (audit entries stay)
        requests = select(ApprovalRequest.id).where(ApprovalRequest.policy_id.in_(made))
        db.execute(delete(Approval).where(Approval.request_id.in_(requests)))
        db.execute(delete(ApprovalRequest).where(ApprovalRequest.policy_id.in_(made)))
        db.execute(delete(ApprovalPolicy).where(ApprovalPolicy.id.in_(made)))


def test_every_registered_operation_has_a_scenario() -> None:
    """The chain writes; a policy change (database only) has its own tests (tests/api/test_policies.py)."""
    assert set(approvals.operations()) - {approvals.POLICY_CHANGE} == set(SCENARIOS)


@pytest.mark.parametrize("operation", sorted(SCENARIOS))
def test_held_above_the_threshold_then_sent_once_approved(
    consortium: Consortium, people: dict[tuple[str, str], TestClient], policy_of: Callable[[Write, str], None],
    operation: str,
) -> None:  # fmt: skip
    write = SCENARIOS[operation](consortium)
    policy_of(write, operation)
    signer = MEMBERS[write.bank]
    before = _sent_by(consortium, signer)
    held = people[write.bank, "maker"].post(write.path, json=write.body, headers=_key(operation, "maker"))
    assert held.status_code == 202, held.text
    request = held.json()
    assert held.headers["location"] == f"/v1/approvals/{request['id']}"
    assert (request["operation"], request["status"]) == (operation, "pending")
    assert (request["amount"], request["currency"]) == (write.amount, write.currency)
    assert _sent_by(consortium, signer) == before  # nothing signed while it waits

    approved = people[write.bank, "checker"].post(f"/v1/approvals/{request['id']}/approve", json={"reason": "ok"},
                                                  headers=_key(operation, "checker"))  # fmt: skip
    assert approved.status_code == 200, approved.text
    done = approved.json()
    assert done["status"] == "sent" and done["trail_hash"], done
    sent = consortium.client(write.bank).get(f"/v1/transactions/{done['transaction_id']}").json()
    assert (sent["state"], sent["contract"], sent["signer"]) == ("mined", write.contract, signer), sent
    assert _sent_by(consortium, signer) == before + write.transactions


def test_at_the_threshold_nothing_is_held(consortium: Consortium, people: dict[tuple[str, str], TestClient],
                                          policy_of: Callable[[Write, str], None]) -> None:  # fmt: skip
    """A transfer of exactly the threshold goes through at once (policies hold amounts above it)."""
    write = Write("other_bank", "/v1/settlements/transfers",
                  {"to": BANK.address, "currency": "USD", "amount": 321, "reference": "HOLD-AT"}, 322, "USD",
                  "Settlement")  # fmt: skip
    policy_of(write, "settlements.transfer")
    sent = people["other_bank", "maker"].post(write.path, json=write.body, headers=_key("at", "maker"))
    assert sent.status_code == 200 and sent.json()["state"] == "mined", sent.text
