"""Object- and function-level authorization over every route (OWASP API1 BOLA, API5 BFLA).

Every route that takes an object id is called by each kind of principal, for an object the trader is party
to: parties, the sponsor bank and the auditor see it; another trader and an unrelated bank get a 404 whose
body is byte-identical (id aside) to the one for an id that does not exist. Every bank-only action answers 403
to a trader, and every write answers 403 to the auditor. Webhook subscriptions are their own member's alone:
the sponsor bank and the auditor get the same answers as strangers. New routes fail here until classified.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.conftest import BANK, OTHER_TRADER, TRADER, Consortium, without_id
from tests.api.test_lcs import INVOICE, application
from tests.api.test_openaccount import open_account_trade
from tests.api.test_payables import approved_payable
from tradeledger.members.models import MemberKind
from tradeledger.users.models import ApprovalPolicy, ApprovalRequest, RequestStatus
from tradeledger.webhooks import service as webhooks
from tradeledger.webhooks.schemas import SubscriptionRequest

MISSING_ID = "987654321"
SEES = ("trader", "bank", "auditor")
HIDDEN_FROM = ("outsider", "other_bank")


@pytest.fixture(scope="module")
def objects(consortium: Consortium) -> dict[str, str]:
    """One object of each kind with the trader as a party (and the founding bank as its sponsor or bank)."""
    trader, bank = consortium.client("trader"), consortium.client("bank")
    soon = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    order = trader.post(
        "/v1/orders",
        json={"seller": OTHER_TRADER.address, "amount": 100, "currency": "USD", "terms": {"goods": "tea"},
              "latest_shipment": soon, "payment_terms": "open_account", "due_date": soon},
        headers={"Idempotency-Key": "bola-order"},
    ).json()  # fmt: skip
    lc = trader.post("/v1/lcs", json=application(lc_number="LC-BOLA"), headers={"Idempotency-Key": "bola-lc"}).json()
    document = bank.post(
        "/v1/documents",
        json={**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": "BOLA-1"}, "owner": TRADER.address,
              "currency": "USD", "face_value": 10_500},
        headers={"Idempotency-Key": "bola-doc"},
    ).json()  # fmt: skip
    payment = trader.post(
        "/v1/settlements/external-payments",
        json={"payee": OTHER_TRADER.address, "currency": "USD", "amount": 5, "rail": "rtgs",
              "rail_reference": "RTGS-BOLA", "reference": "BOLA-PAY"},
        headers={"Idempotency-Key": "bola-pay"},
    ).json()  # fmt: skip
    transfer = trader.post(
        "/v1/settlements/transfers",
        json={"to": OTHER_TRADER.address, "currency": "USD", "amount": 1, "reference": "BOLA-TX"},
        headers={"Idempotency-Key": "bola-tx"},
    ).json()
    # today is not closed on chain: an intraday report (and a run without an end) goes up to the request's time
    today = datetime.now(UTC).date()
    statement = bank.post(
        "/v1/statements",
        json={"account": TRADER.address, "currency": "USD", "date_from": (today - timedelta(days=1)).isoformat(),
              "date_to": today.isoformat(), "format": "camt.052.001.08"},
        headers={"Idempotency-Key": "bola-statement"},
    ).json()  # fmt: skip
    first_entry = re.search(
        r"<AcctSvcrRef>(\d+)</AcctSvcrRef>", trader.get(f"/v1/statements/{statement['id']}/file").text
    )
    assert first_entry is not None, statement
    anchored = trader.post(f"/v1/statements/{statement['id']}/anchor", headers={"Idempotency-Key": "bola-anchor"})
    run = trader.post(
        "/v1/reconciliations",
        data={"account": TRADER.address, "currency": "USD", "date_from": (today - timedelta(days=1)).isoformat(),
              "format": "csv",
              "mapping": '{"booking_date": "Date", "amount": "Amount", "fixed_currency": "USD"}'},
        files={"books": ("books.csv", b"Date,Amount\n2031-01-01,1.00\n")},
        headers={"Idempotency-Key": "bola-reconciliation"},
    ).json()  # fmt: skip
    first_break = trader.get(f"/v1/reconciliations/{run['id']}/breaks").json()["items"][0]
    guarantee = trader.post(
        "/v1/guarantees",
        json={"rules": "urdg758", "beneficiary": OTHER_TRADER.address, "guarantor": BANK.address, "currency": "USD",
              "amount": 100, "expiry_date": soon, "terms": {"kind": "bid bond"}},
        headers={"Idempotency-Key": "bola-guarantee"},
    ).json()  # fmt: skip
    record = bank.post(
        "/v1/records", json={"document_hash": "0x" + "b0" * 32, "holder": TRADER.address},
        headers={"Idempotency-Key": "bola-record"},
    ).json()  # fmt: skip
    subscription = _trader_subscription(consortium)
    user_id = trader.get("/v1/me").json()["id"]
    open_account = open_account_trade(consortium, "bola-oa")
    payable = approved_payable(consortium, "bola-pf")  # the trader's payable to the other trader
    return {
        "payable_id": payable["payable_id"],
        "invoice_id": open_account["invoice_id"],
        "undertaking_id": open_account["undertaking_id"],
        "guarantee_id": guarantee["guarantee_id"],
        "demand_id": "1",
        "user_id": user_id,
        "request_id": _trader_approval_request(consortium, user_id),
        "policy_id": _trader_policy(consortium),
        "subscription_id": subscription,
        "run_id": run["id"],
        "break_id": first_break["id"],
        "statement_id": statement["id"],
        "entry_id": first_entry.group(1),
        "anchor_id": anchored.json()["anchor_id"],
        "order_id": order["order_id"],
        "lc_id": lc["lc_id"],
        "document_id": document["document_id"],
        "payment_id": payment["payment_id"],
        "transaction_id": transfer["id"],
        "address": TRADER.address,
        "presentation_id": "1",
        "amendment_id": "1",
        "transfer_id": "1",
        "transferred_presentation_id": "1",
        "claim_id": MISSING_ID,
        "proposal_id": "1",
        "record_id": record["record_id"],
    }


def _trader_subscription(consortium: Consortium) -> str:
    """The trader's webhook subscription, made through the service: the API refuses loopback URLs here, and no
    delivery runs in this module (the platform's background work is not started)."""
    platform = consortium.platform
    assert platform.chain.manifest is not None
    request = SubscriptionRequest(url=HOOK)
    with platform.transaction() as db:
        row, _ = webhooks.create(db, TRADER.address, MemberKind.TRADER, request, HOOK,
                                 webhooks.event_types(platform.chain.manifest.contracts))  # fmt: skip
        return str(row.id)


def _trader_approval_request(consortium: Consortium, maker: str) -> str:
    """A request of the trader's held for approval, stored directly: no operation a trader takes is holdable yet."""
    with consortium.platform.transaction() as db:
        policy = ApprovalPolicy(id=str(uuid.uuid4()), member=TRADER.address, operation="lc.honour", currency="XXX",
                                threshold=0, approvals=1, approver_roles=["checker"], created_by=maker)  # fmt: skip
        request = ApprovalRequest(id=str(uuid.uuid4()), member=TRADER.address, operation="lc.honour",
                                  target={"lc_id": MISSING_ID, "presentation_id": "1"}, amount=1, currency="XXX",
                                  maker=maker, policy_id=policy.id, approvals_required=1, approver_roles=["checker"],
                                  status=RequestStatus.PENDING)  # fmt: skip
        db.add(policy)
        db.flush()
        db.add(request)
        return request.id


def _trader_policy(consortium: Consortium) -> str:
    """The trader's approval policy (the one its held request names)."""
    with consortium.platform.sessions() as db:
        return str(db.scalars(select(ApprovalPolicy.id).where(ApprovalPolicy.member == TRADER.address)).one())


def _routes(consortium: Consortium, with_ids: bool = True) -> list[tuple[str, str]]:
    """Every operation of the API, from its OpenAPI document (the published inventory)."""
    paths = consortium.app.openapi()["paths"]  # generated once per app
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/v1/") and ("{" in path or not with_ids)
        for method in operations
    )


# Sample bodies so that the access check, not body validation, decides the answer of POST routes.
SOON = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
BODIES: dict[str, dict[str, Any]] = {
    "/v1/accounts/{address}/deposits": {"currency": "USD", "amount": 1, "reference": "X"},
    "/v1/accounts/{address}/withdrawals": {"currency": "USD", "amount": 1, "reference": "X"},
    "/v1/orders/{order_id}/ship": {"transport_document_hash": "0x" + "22" * 32},
    "/v1/documents/{document_id}/financings": {"amount": 1, "reference": "X"},
    "/v1/documents/{document_id}/repayments": {"amount": 1, "reference": "X"},
    "/v1/payables/{payable_id}/financings": {"document_id": 1, "rate_bps": 100, "day_count": "ACT/360"},
    "/v1/lcs/{lc_id}/amendments": {"changes": {"amount": 12_000}},
    "/v1/lcs/{lc_id}/amendments/{amendment_id}/accept": {},
    "/v1/lcs/{lc_id}/presentations": {"documents": [INVOICE], "amount": 100, "shipment_date": SOON},
    "/v1/lcs/{lc_id}/presentations/{presentation_id}/refuse": {"discrepancies": ["X"], "disposition": "returning"},
    "/v1/lcs/{lc_id}/presentations/{presentation_id}/refuse-reimbursement": {"discrepancies": ["X"]},
    "/v1/lcs/{lc_id}/presentations/{presentation_id}/prepay": {"discount": 0},
    "/v1/lcs/{lc_id}/amendments/{amendment_id}/confirmation": {"extend": True},
    "/v1/lcs/{lc_id}/transfers": {"second_beneficiary": OTHER_TRADER.address, "amount": 100},
    "/v1/lcs/{lc_id}/transfers/{transfer_id}/decision": {"consent": True},
    "/v1/lcs/{lc_id}/transfers/{transfer_id}/presentations": {
        "documents": [INVOICE],
        "amount": 100,
        "shipment_date": SOON,
    },
    "/v1/lcs/{lc_id}/transferred-presentations/{transferred_presentation_id}/substitution": {
        "documents": [INVOICE],
        "amount": 100,
    },
    "/v1/lcs/{lc_id}/proceeds-assignment": {"assignee": OTHER_TRADER.address, "share_bps": 100},
    "/v1/lcs/{lc_id}/amendments/{amendment_id}/presentations": {
        "documents": [INVOICE],
        "amount": 100,
        "shipment_date": SOON,
    },
    "/v1/reconciliations/{run_id}/breaks/{break_id}/assign": {"assignee": "X"},
    "/v1/reconciliations/{run_id}/breaks/{break_id}/resolve": {"note": "X"},
    "/v1/webhooks/subscriptions/{subscription_id}/replay": {},
    "/v1/guarantees/{guarantee_id}/demands": {"amount": 1, "statement": {"breach": "X"}},
    "/v1/guarantees/{guarantee_id}/demands/{demand_id}/reject": {"discrepancies": ["X"]},
    "/v1/guarantees/{guarantee_id}/demands/{demand_id}/suspend": {"until": SOON},
    "/v1/guarantees/{guarantee_id}/demands/{demand_id}/counter-demand": {"amount": 1, "statement": {"x": 1}},
    "/v1/guarantees/{guarantee_id}/amendments": {"amount": 200},
    "/v1/guarantees/{guarantee_id}/amendments/{amendment_id}/accept": {},
    "/v1/guarantees/{guarantee_id}/reductions": {"amount": 1, "document": {"x": 1}},
    "/v1/guarantees/{guarantee_id}/expiry-event": {"document": {"x": 1}},
    "/v1/invoices/{invoice_id}/match": {
        "evidence": {
            "kind": "delivery_confirmation",
            "document_hash": "0x" + "44" * 32,
            "event_date": SOON,
            "quantities": {"TEA": 1},
        },
    },
    "/v1/invoices/{invoice_id}/corrections": {
        "number": "X",
        "issue_date": datetime.now(UTC).date().isoformat(),
        "amount": 1,
        "lines": [{"item": "TEA", "quantity": 1, "unit_price": 1}],
    },
    "/v1/payment-undertakings/{undertaking_id}/discounts": {
        "document_id": "1",
        "rate_bps": 1,
        "day_count": "ACT/360",
        "reference": "X",
    },
    "/v1/records/{record_id}/endorse": {"endorsee": OTHER_TRADER.address},
    "/v1/records/{record_id}/transfer": {"to": OTHER_TRADER.address},
    "/v1/records/{record_id}/pledge": {"to": OTHER_TRADER.address},
    "/v1/users/{user_id}/roles": {"roles": ["viewer"]},
    "/v1/users/{user_id}/api-keys": {"label": "X"},
    "/v1/approvals/{request_id}/reject": {"reason": "X"},
    "/v1/users/{user_id}/totp/confirm": {"code": "123456"},
    "/v1/approvals/{request_id}/approve": {},
    "/v1/approval-policies/{policy_id}": {
        "operation": "settlements.transfer",
        "currency": "USD",
        "threshold": 1,
        "approvals": 1,
    },
}
HOOK = "http://127.0.0.1:9/hook"
# Objects only their own member sees (webhook subscriptions, users): not the trader's bank, not auditors.
OWN_ONLY = ("/v1/webhooks/", "/v1/users/", "/v1/approvals/", "/v1/approval-policies/")
# ... except what auditor members read of every member: an approval request's trail checked against the chain.
AUDITED = {"/v1/approvals/{request_id}/trail"}

# Objects whose visibility is not by party: governance is for institutions (banks and auditors).
INSTITUTIONAL = {"/v1/governance/proposals/{proposal_id}", "/v1/governance/proposals/{proposal_id}/votes"}
# Routes whose id names no party-owned object (a claim is found through its credit; none exists here: who reads an
# LC reimbursement claim is checked in tests/api/test_lcs.py, with an applicant short of funds).
NOT_PARTY_OBJECTS = {
    "/v1/lcs/reimbursement-claims/{claim_id}",
    "/v1/lcs/reimbursement-claims/{claim_id}/settle",
    "/v1/guarantees/reimbursement-claims/{claim_id}/settle",
}
# Open-account objects are the recipient bank's too (here the other bank, which undertakings need: the obligor and
# the recipient bank differ), so only the outsider is a stranger to them.
RECIPIENT_BANK_SEES = ("/v1/invoices/", "/v1/payment-undertakings/")
# Public routes: anyone may verify a document by its hash, without an API key (tests/api/test_records.py).
PUBLIC = {"/v1/verify/{document_hash}", "/v1/verify"}


MAIN_IDS = ("order_id", "lc_id", "document_id", "payment_id", "transaction_id", "address", "statement_id", "anchor_id",
            "run_id", "subscription_id", "guarantee_id", "record_id", "user_id", "request_id", "policy_id",
            "invoice_id", "undertaking_id", "payable_id")  # fmt: skip
MISSING = {name: "0x000000000000000000000000000000000000dEaD" if name == "address" else MISSING_ID for name in MAIN_IDS}


def _fill(path: str, ids: dict[str, str]) -> tuple[str, str]:
    """The path with ids filled in, and the main object's id (the one a hidden object must not betray)."""
    main = next(name for name in re.findall(r"\{(\w+)\}", path) if name in MAIN_IDS)
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path), ids[main]


# Query parameters that GET routes require: (name, the object id it takes); a statement's consistency with
# itself is the trivial proof.
QUERIES = {"/v1/statements/{statement_id}/consistency": ("from", "statement_id")}


def _call(
    consortium: Consortium, who: str, method: str, template: str, path: str, key: str, ids: dict[str, str]
) -> Any:
    client = consortium.client(who)
    if method == "GET":
        query = QUERIES.get(template)
        return client.get(path, params=None if query is None else {query[0]: ids[query[1]]})
    if method == "DELETE":
        return client.delete(path, headers={"Idempotency-Key": key})
    if method == "PUT":
        return client.put(path, json=BODIES.get(template), headers={"Idempotency-Key": key})
    return client.post(path, json=BODIES.get(template), headers={"Idempotency-Key": key})


def test_bola_matrix(consortium: Consortium, objects: dict[str, str]) -> None:
    problems: list[str] = []
    checked = 0
    for index, (method, template) in enumerate(_routes(consortium)):
        if template in INSTITUTIONAL or template in NOT_PARTY_OBJECTS or template in PUBLIC:
            continue
        checked += 1
        path, object_id = _fill(template, objects)
        missing_path, missing_id = _fill(template, {**objects, **MISSING})
        recipient_sees = template.startswith(RECIPIENT_BANK_SEES)
        if method == "GET":
            readers = ("trader", "auditor") if template in AUDITED else ("trader",)
            sees = (*SEES, "other_bank") if recipient_sees else SEES
            for who in readers if template.startswith(OWN_ONLY) else sees:
                if (status := _call(consortium, who, method, template, path, "", objects).status_code) != 200:
                    problems.append(f"{who} {method} {template}: {status}, expected 200")
        own_only = (*HIDDEN_FROM, "bank") if template in AUDITED else (*HIDDEN_FROM, "bank", "auditor")
        strangers = ("outsider",) if recipient_sees else HIDDEN_FROM
        for who in own_only if template.startswith(OWN_ONLY) else strangers:
            hidden = _call(consortium, who, method, template, path, f"bola-{index}-{who}-h", objects)
            absent = _call(consortium, who, method, template, missing_path, f"bola-{index}-{who}-m", objects)
            same = without_id(hidden.text, object_id) == without_id(absent.text, missing_id)
            # 404 for both; or, for an action the caller's role may not take at all, the same 403 for both
            denied_by_role = hidden.status_code == 403  # the caller's role may not take the action at all
            status_ok = hidden.status_code == absent.status_code and (hidden.status_code == 404 or denied_by_role)
            if not status_ok or not same:
                problems.append(
                    f"{who} {method} {template}: {hidden.status_code} {hidden.text[:160]} | {absent.text[:160]}"
                )
    assert checked >= 30
    assert problems == [], "\n".join(problems)


def test_lists_never_include_others_objects(consortium: Consortium, objects: dict[str, str]) -> None:
    lists = {"/v1/orders": "order_id", "/v1/lcs": "lc_id", "/v1/documents": "document_id",
             "/v1/settlements/external-payments": "payment_id", "/v1/statements": "statement_id",
             "/v1/anchors": "anchor_id", "/v1/guarantees": "guarantee_id", "/v1/records": "record_id",
             "/v1/payables": "payable_id"}  # fmt: skip
    for who in HIDDEN_FROM:
        client = consortium.client(who)
        for path, key in lists.items():
            ids = {item[key] for item in client.get(path, params={"limit": 200}).json()["items"]}
            assert objects[key] not in ids, f"{who} sees {path} {objects[key]}"
    outsider = consortium.client("outsider")
    for path, key in {"/v1/invoices": "invoice_id", "/v1/payment-undertakings": "undertaking_id"}.items():
        ids = {item[key] for item in outsider.get(path, params={"limit": 200}).json()["items"]}
        assert objects[key] not in ids, f"outsider sees {path} {objects[key]}"


BANK_ONLY = [
    ("/v1/members/traders", {"label": "x"}),
    ("/v1/members/{address}/suspend", None),
    ("/v1/governance/proposals", {"action": "admit_bank", "subject": OTHER_TRADER.address}),
    ("/v1/governance/proposals/1/votes", None),
    ("/v1/lcs/{lc_id}/issue", None),
    ("/v1/lcs/{lc_id}/advise", None),
    ("/v1/lcs/{lc_id}/confirm", None),
    ("/v1/lcs/{lc_id}/amendments", {"changes": {"amount": 12_000}}),
    ("/v1/lcs/{lc_id}/presentations/1/honour", None),
    ("/v1/lcs/{lc_id}/presentations/1/refuse", {"discrepancies": ["X"], "disposition": "returning"}),
    ("/v1/lcs/holidays", {"dates": [SOON]}),
    ("/v1/lcs/{lc_id}/presentations/1/reimburse-nominated-bank", None),
    ("/v1/lcs/{lc_id}/presentations/1/refuse-reimbursement", {"discrepancies": ["X"]}),
    ("/v1/lcs/{lc_id}/amendments/1/advise", None),
    ("/v1/lcs/{lc_id}/amendments/1/confirmation", {"extend": True}),
    ("/v1/lcs/{lc_id}/transfers/1/decision", {"consent": True}),
    ("/v1/lcs/{lc_id}/transferred-presentations/1/demand-substitution", None),
    ("/v1/lcs/{lc_id}/transferred-presentations/1/forward", None),
    ("/v1/documents/{document_id}/financings", {"amount": 1, "reference": "X"}),
    ("/v1/guarantees/{guarantee_id}/issue", None),
    ("/v1/guarantees/{guarantee_id}/advise", None),
    ("/v1/guarantees/{guarantee_id}/demands/1/pay", None),
    ("/v1/guarantees/{guarantee_id}/demands/1/reject", {"discrepancies": ["X"]}),
    ("/v1/guarantees/{guarantee_id}/demands/1/suspend", {"until": SOON}),
    ("/v1/guarantees/{guarantee_id}/demands/1/extend", None),
    ("/v1/guarantees/{guarantee_id}/notice-non-extension", None),
    (
        "/v1/guarantees/direct",
        {
            "rules": "urdg758",
            "applicant": TRADER.address,
            "beneficiary": OTHER_TRADER.address,
            "guarantor": BANK.address,
            "currency": "USD",
            "amount": 1,
            "terms": {"x": 1},
        },
    ),
    ("/v1/guarantees/{guarantee_id}/amendments", {"amount": 200}),
    ("/v1/guarantees/{guarantee_id}/expiry-event", {"document": {"x": 1}}),
    ("/v1/guarantees/{guarantee_id}/demands/1/counter-demand", {"amount": 1, "statement": {"x": 1}}),
    ("/v1/payment-undertakings/{undertaking_id}/accept-mismatch", None),
    (
        "/v1/payment-undertakings",
        {
            "order_id": "1",
            "recipient_bank": OTHER_TRADER.address,
            "amount": 1,
            "due_date": SOON,
            "expiry": SOON,
            "terms": {"x": 1},
        },
    ),
    (
        "/v1/payment-undertakings/{undertaking_id}/discounts",
        {"document_id": "1", "rate_bps": 1, "day_count": "ACT/360", "reference": "X"},
    ),
    ("/v1/payables/{payable_id}/financings", {"document_id": 1, "rate_bps": 100, "day_count": "ACT/360"}),
]


def test_bfla_bank_only_actions_refuse_traders(consortium: Consortium, objects: dict[str, str]) -> None:
    client = consortium.client("trader")
    for index, (template, body) in enumerate(BANK_ONLY):
        path = template.format(**objects)
        response = client.post(path, json=body, headers={"Idempotency-Key": f"bfla-{index}"})
        assert response.status_code == 403, (path, response.status_code, response.text)


def test_auditor_writes_nothing(consortium: Consortium, objects: dict[str, str]) -> None:
    client = consortium.client("auditor")
    for index, (method, template) in enumerate(_routes(consortium, with_ids=False)):
        if method != "POST" or template.endswith(("/fingerprint-check", "/audit/verifications")):
            continue
        if template in PUBLIC | {"/v1/sessions"}:
            continue  # (signing in is a person's, with a password: no member key writes there)
        path = re.sub(r"\{(\w+)\}", lambda m: objects[m.group(1)], template)
        response = client.post(path, json={}, headers={"Idempotency-Key": f"aud-{index}"})
        assert response.status_code == 403, (template, response.status_code, response.text)
