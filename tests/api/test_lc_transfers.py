"""Transferable credits (UCP 600 Art 38) and assignment of proceeds (Art 39) over HTTP.

The founding bank issues, advises and is the available-with bank, hence the transferring bank (38b); the other
trader is the (first) beneficiary, the outsider trader the second beneficiary, the other bank the assignee.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.api.conftest import OTHER_BANK, OTHER_TRADER, OUTSIDER, TRADER, Consortium, problem
from tests.api.test_lcs import INVOICE, TODAY, application
from tests.members import BANK, feed
from tradeledger.events.service import visible
from tradeledger.members.access import visible_accounts
from tradeledger.members.models import Member
from tradeledger.store.models import ChainEvent


def _key(name: str, step: str) -> dict[str, str]:
    return {"Idempotency-Key": f"xfer-{name}-{step}"}


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _credit(consortium: Consortium, name: str, **overrides: Any) -> str:
    """An issued and advised credit of USD 100.00, transferable unless `overrides` say otherwise."""
    terms = {"lc_number": f"LCX-{name}", "form_of_credit": "IRREVOCABLE TRANSFERABLE", **overrides}
    lc = _ok(consortium.client("trader").post("/v1/lcs", json=application(**terms), headers=_key(name, "apply")))
    path = f"/v1/lcs/{lc['lc_id']}"
    for step in ("issue", "advise"):
        _ok(consortium.client("bank").post(f"{path}/{step}", headers=_key(name, step)))
    return path


def _balance(consortium: Consortium, who: str, address: str) -> int:
    """The member's USD balance, as it reads it itself."""
    balances = consortium.client(who).get(f"/v1/accounts/{address}/balances").json()["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")


def _invoice(number: str, amount: int) -> dict[str, Any]:
    return {**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": number, "amount": amount}}


def _request(client: TestClient, path: str, name: str, amount: int) -> Any:
    body = {"second_beneficiary": OUTSIDER.address, "amount": amount, "terms": {"unit_price": "USD 1.10 per carton"}}
    return client.post(f"{path}/transfers", json=body, headers=_key(name, "request"))


def test_art_38_39_transfer_substitution_and_assignment_pay_three_legs(consortium: Consortium) -> None:
    """Request (38b), consent (38a), the second beneficiary presents (38k), the first substitutes its invoice (38h),
    honour pays the second beneficiary its invoice, the assignee its share of the rest (39), the first the balance."""
    bank, first, second = (consortium.client(who) for who in ("bank", "other_trader", "outsider"))
    path = _credit(consortium, "walk")
    assert second.get(path).status_code == 404  # nothing transferred to it yet

    requested = _ok(_request(first, path, "walk", 6_000))
    assert requested["transferable"] is True
    transfer = requested["transfers"][0]
    assert (transfer["state"], transfer["amount"], transfer["second_beneficiary"]) == (
        "REQUESTED", "6000", OUTSIDER.address
    )  # fmt: skip
    assert second.get(path).status_code == 404  # a request alone discloses nothing

    decision = f"{path}/transfers/{transfer['transfer_id']}/decision"
    consented = _ok(bank.post(decision, json={"consent": True}, headers=_key("walk", "consent")))
    assert consented["transfers"][0]["state"] == "TRANSFERRED"
    assert second.get(path).json()["transfers"][0]["state"] == "TRANSFERRED"
    listed = second.get("/v1/lcs", params={"limit": 200}).json()["items"]
    assert path.rsplit("/", 1)[1] in {item["lc_id"] for item in listed}

    assigned = _ok(
        first.post(f"{path}/proceeds-assignment", json={"assignee": OTHER_BANK.address, "share_bps": 1_000},
                   headers=_key("walk", "assign"))
    )  # fmt: skip
    assert (assigned["assignee"], assigned["assigned_share_bps"]) == (OTHER_BANK.address, 1_000)

    shown = {"documents": [_invoice("SB-1", 5_000)], "amount": 5_000, "shipment_date": TODAY.isoformat()}
    presented = _ok(
        second.post(f"{path}/transfers/{transfer['transfer_id']}/presentations", json=shown,
                    headers=_key("walk", "present"))
    )  # fmt: skip
    transferred = presented["transferred_presentations"][0]
    assert (transferred["state"], transferred["amount"], transferred["presentation_id"]) == ("PRESENTED", "5000", None)

    substitution = {"documents": [_invoice("FB-1", 7_000)], "amount": 7_000}
    substituted = _ok(
        first.post(f"{path}/transferred-presentations/{transferred['transferred_presentation_id']}/substitution",
                   json=substitution, headers=_key("walk", "substitute"))
    )  # fmt: skip
    transferred = substituted["transferred_presentations"][0]
    assert transferred["state"] == "SUBSTITUTED" and transferred["presentation_id"] is not None
    presentation = next(
        p for p in substituted["presentations"] if p["presentation_id"] == transferred["presentation_id"]
    )
    assert presentation["amount"] == "7000"

    payees = {"other_trader": OTHER_TRADER.address, "outsider": OUTSIDER.address, "other_bank": OTHER_BANK.address}
    before = [_balance(consortium, who, address) for who, address in payees.items()]
    honoured = _ok(
        bank.post(f"{path}/presentations/{presentation['presentation_id']}/honour", headers=_key("walk", "honour"))
    )
    legs = {leg["kind"]: leg for leg in honoured["presentations"][-1]["proceeds_legs"]}
    assert {kind: (leg["payee"], leg["amount"]) for kind, leg in legs.items()} == {
        "SECOND_BENEFICIARY": (OUTSIDER.address, "5000"),
        "ASSIGNEE": (OTHER_BANK.address, "200"),
    }
    assert all(leg["settlement_entry_id"] is not None for leg in legs.values())
    after = [_balance(consortium, who, address) for who, address in payees.items()]
    paid = [now - was for now, was in zip(after, before, strict=True)]
    assert paid == [1_800, 5_000, 200]  # the first beneficiary: 7,000 - 5,000 less the assigned 10 %


def test_art_38b_credit_not_stating_transferable_is_refused(consortium: Consortium) -> None:
    path = _credit(consortium, "plain", form_of_credit="IRREVOCABLE")
    refused = _request(consortium.client("other_trader"), path, "plain", 1_000)
    assert refused.status_code == 409, refused.text  # the credit's terms, not the request, stand in the way
    assert problem(refused)["code"] == "letter_of_credit_not_transferable"
    assert consortium.client("other_trader").get(path).json()["transferable"] is False


def test_art_38b_only_the_beneficiary_requests_a_transfer(consortium: Consortium) -> None:
    path = _credit(consortium, "applicant")
    refused = _request(consortium.client("trader"), path, "applicant", 1_000)
    assert refused.status_code == 403, refused.text
    assert consortium.client("trader").get(path).json()["transfers"] == []


def test_art_38_39_deferred_credit_proceeds_split_at_maturity(consortium: Consortium) -> None:
    """A deferred payment credit (Art 7a) transferred in part and with proceeds assigned: honour incurs the
    undertaking and pays nothing; paid at maturity, it pays the second beneficiary its invoice, the assignee its
    share of the rest and the first beneficiary the balance, each leg with its own reference."""
    bank, first, second = (consortium.client(who) for who in ("bank", "other_trader", "outsider"))
    path = _credit(consortium, "deferred", available_by="BY DEF PAYMENT", tenor_days=14, tenor_basis="AFTER SHIPMENT")
    transfer = _ok(_request(first, path, "deferred", 3_000))["transfers"][0]
    _ok(bank.post(f"{path}/transfers/{transfer['transfer_id']}/decision", json={"consent": True},
                  headers=_key("deferred", "consent")))  # fmt: skip
    _ok(first.post(f"{path}/proceeds-assignment", json={"assignee": OTHER_BANK.address, "share_bps": 2_500},
                   headers=_key("deferred", "assign")))  # fmt: skip
    shipped = (TODAY - timedelta(days=21)).isoformat()  # matured a week ago: the shared chain's clock stays
    shown = {"documents": [_invoice("SB-DEF-1", 3_000)], "amount": 3_000, "shipment_date": shipped}
    presented = _ok(second.post(f"{path}/transfers/{transfer['transfer_id']}/presentations", json=shown,
                                headers=_key("deferred", "present")))  # fmt: skip
    transferred_id = presented["transferred_presentations"][0]["transferred_presentation_id"]
    substitution = {"documents": [_invoice("FB-DEF-1", 4_000)], "amount": 4_000}
    substituted = _ok(first.post(f"{path}/transferred-presentations/{transferred_id}/substitution",
                                 json=substitution, headers=_key("deferred", "substitute")))  # fmt: skip
    presentation = f"{path}/presentations/{substituted['transferred_presentations'][0]['presentation_id']}"
    honoured = _ok(bank.post(f"{presentation}/honour", headers=_key("deferred", "honour")))
    assert honoured["presentations"][-1]["proceeds_legs"] == []  # honoured by the undertaking: nothing paid yet

    payees = {"other_trader": OTHER_TRADER.address, "outsider": OUTSIDER.address, "other_bank": OTHER_BANK.address}
    before = [_balance(consortium, who, address) for who, address in payees.items()]
    paid = _ok(bank.post(f"{presentation}/pay-at-maturity", headers=_key("deferred", "pay")))
    view = paid["presentations"][-1]
    assert view["deferred_payment"]["state"] == "PAID"
    assert {leg["kind"]: (leg["payee"], leg["amount"]) for leg in view["proceeds_legs"]} == {
        "SECOND_BENEFICIARY": (OUTSIDER.address, "3000"),
        "ASSIGNEE": (OTHER_BANK.address, "250"),
    }
    after = [_balance(consortium, who, address) for who, address in payees.items()]
    assert [now - was for now, was in zip(after, before, strict=True)] == [750, 3_000, 250]  # adds up to 4,000


def test_art_38a_declined_transfer_discloses_nothing(consortium: Consortium) -> None:
    path = _credit(consortium, "declined")
    transfer_id = _ok(_request(consortium.client("other_trader"), path, "declined", 2_000))["transfers"][0][
        "transfer_id"
    ]
    declined = _ok(
        consortium.client("bank").post(f"{path}/transfers/{transfer_id}/decision", json={"consent": False},
                                       headers=_key("declined", "decline"))
    )  # fmt: skip
    assert declined["transfers"][0]["state"] == "DECLINED"
    assert consortium.client("outsider").get(path).status_code == 404


def test_art_38i_first_beneficiary_substitutes_on_demand(consortium: Consortium) -> None:
    """The transferring bank demands the substitution; the first beneficiary substitutes before it lapses."""
    bank, first = consortium.client("bank"), consortium.client("other_trader")
    path = _credit(consortium, "demand")
    transfer_id = _ok(_request(first, path, "demand", 3_000))["transfers"][0]["transfer_id"]
    _ok(bank.post(f"{path}/transfers/{transfer_id}/decision", json={"consent": True}, headers=_key("demand", "ok")))
    shown = {"documents": [_invoice("SB-2", 3_000)], "amount": 3_000, "shipment_date": TODAY.isoformat()}
    presented = _ok(
        consortium.client("outsider").post(f"{path}/transfers/{transfer_id}/presentations", json=shown,
                                           headers=_key("demand", "present"))
    )  # fmt: skip
    tp_path = (
        f"{path}/transferred-presentations/{presented['transferred_presentations'][0]['transferred_presentation_id']}"
    )
    too_early = bank.post(f"{tp_path}/forward", headers=_key("demand", "forward-early"))
    assert too_early.status_code == 409 and problem(too_early)["code"] == (
        "letter_of_credit_invalid_transferred_presentation_state"
    )  # not demanded yet (38i)
    demanded = _ok(bank.post(f"{tp_path}/demand-substitution", headers=_key("demand", "demand")))
    transferred = demanded["transferred_presentations"][0]
    assert transferred["state"] == "DEMANDED" and transferred["substitution_deadline"] > transferred["presented_at"]
    lapsed_not = bank.post(f"{tp_path}/forward", headers=_key("demand", "forward"))
    assert lapsed_not.status_code == 409 and problem(lapsed_not)["code"] == (
        "letter_of_credit_substitution_deadline_not_passed"
    )
    substitution = {"documents": [_invoice("FB-2", 3_500)], "amount": 3_500}
    substituted = _ok(first.post(f"{tp_path}/substitution", json=substitution, headers=_key("demand", "substitute")))
    assert substituted["transferred_presentations"][0]["state"] == "SUBSTITUTED"


@dataclass(frozen=True)
class Split:
    """A credit transferred in part to the outsider (`mine`) and to the applicant (`other`), with a fifth of the
    first beneficiary's proceeds assigned to the other bank; the outsider's presentation `became` the first
    beneficiary's substituted one, and the first beneficiary presented `own` as well; both honoured."""

    path: str
    mine: int
    other: int
    transferred: int
    became: int
    own: int


def transferred_and_assigned(consortium: Consortium, name: str) -> Split:
    """`Split` through the API, its idempotency keys named after `name` (one scenario per name and platform)."""
    bank, first, second = (consortium.client(who) for who in ("bank", "other_trader", "outsider"))
    path = _credit(consortium, name)
    assert consortium.client("other_bank").get(path).status_code == 404  # not yet the assignee
    mine = _ok(_request(first, path, name, 4_000))["transfers"][0]["transfer_id"]
    to_applicant = {"second_beneficiary": TRADER.address, "amount": 1_000, "terms": {"unit_price": "USD 1.05"}}
    other = _ok(first.post(f"{path}/transfers", json=to_applicant, headers=_key(name, "request-2")))
    other_id = other["transfers"][1]["transfer_id"]
    for transfer_id in (mine, other_id):
        _ok(bank.post(f"{path}/transfers/{transfer_id}/decision", json={"consent": True},
                      headers=_key(name, f"consent-{transfer_id}")))  # fmt: skip
    _ok(first.post(f"{path}/proceeds-assignment", json={"assignee": OTHER_BANK.address, "share_bps": 2_000},
                   headers=_key(name, "assign")))  # fmt: skip
    shown = {"documents": [_invoice(f"SB-{name}", 3_000)], "amount": 3_000, "shipment_date": TODAY.isoformat()}
    presented = _ok(second.post(f"{path}/transfers/{mine}/presentations", json=shown, headers=_key(name, "sb")))
    tp_id = presented["transferred_presentations"][0]["transferred_presentation_id"]
    substitution = {"documents": [_invoice(f"FB-{name}", 3_600)], "amount": 3_600}
    substituted = _ok(first.post(f"{path}/transferred-presentations/{tp_id}/substitution", json=substitution,
                                 headers=_key(name, "substitute")))  # fmt: skip
    own = _ok(first.post(f"{path}/presentations", json={**shown, "documents": [_invoice(f"FB-OWN-{name}", 500)],
                                                        "amount": 500}, headers=_key(name, "own")))  # fmt: skip
    for p in own["presentations"]:  # the substituted presentation and the first beneficiary's own
        honour = f"{path}/presentations/{p['presentation_id']}/honour"
        _ok(bank.post(honour, headers=_key(name, f"honour-{p['presentation_id']}")))
    became = int(substituted["transferred_presentations"][0]["presentation_id"])
    own_id = next(int(p["presentation_id"]) for p in own["presentations"] if int(p["presentation_id"]) != became)
    return Split(path, int(mine), int(other_id), int(tp_id), became, own_id)


def test_art_38h_39_second_beneficiary_and_assignee_see_reduced_views(consortium: Consortium) -> None:
    """Art 38h: the second beneficiary sees the credit as transferred to it: its amount and expiry, its own transfer
    and presentations, the banks; not the applicant, the first credit's off-chain terms or the other second
    beneficiary. Art 39: the assignee sees the credit's identity, its assignment and the legs paid to it."""
    bank, second = consortium.client("bank"), consortium.client("outsider")
    split = transferred_and_assigned(consortium, "views")
    path, mine = split.path, str(split.mine)
    full = _ok(bank.get(path))
    assert full["audience"] == "PARTY" and full["applicant"] == TRADER.address and len(full["transfers"]) == 2

    seen = _ok(second.get(path))
    assert seen["audience"] == "SECOND_BENEFICIARY"
    assert (seen["applicant"], seen["terms"], seen["assignee"], seen["amendments"]) == (None, None, None, [])
    assert (seen["amount"], seen["expiry"]) == ("4000", seen["transfers"][0]["expiry"])
    assert [t["transfer_id"] for t in seen["transfers"]] == [mine]
    assert [p["presentation_id"] for p in seen["presentations"]] == [str(split.became)]
    assert {leg["payee"] for p in seen["presentations"] for leg in p["proceeds_legs"]} == {OUTSIDER.address}
    assert seen["drawn"] == "3000"  # its own invoice, paid out of the first beneficiary's 3,600
    assert TRADER.address not in str(seen) and seen["terms_hash"] == seen["transfers"][0]["terms_hash"]
    listed = {item["lc_id"]: item for item in second.get("/v1/lcs", params={"limit": 200}).json()["items"]}
    assert listed[seen["lc_id"]]["audience"] == "SECOND_BENEFICIARY"

    assigned = _ok(consortium.client("other_bank").get(path))
    assert assigned["audience"] == "ASSIGNEE"
    assert (assigned["assignee"], assigned["assigned_share_bps"]) == (OTHER_BANK.address, 2_000)
    assert (assigned["applicant"], assigned["terms"], assigned["transfers"], assigned["transferred_presentations"]) == (
        None, None, [], []
    )  # fmt: skip
    legs = [leg for p in assigned["presentations"] for leg in p["proceeds_legs"]]
    assert {leg["payee"] for leg in legs} == {OTHER_BANK.address} and legs
    assert assigned["drawn"] == str(sum(int(leg["amount"]) for leg in legs))
    assert consortium.client("auditor").get(path).json()["audience"] == "PARTY"


def credit_events(events: list[dict[str, Any]], lc_id: str) -> set[tuple[str, int | None]]:
    """The events of one credit among `events`: each by name and the presentation (or transfer) it is about."""
    return {
        (e["event"], e["args"].get("presentationId", e["args"].get("transferId")))
        for e in events
        if str(e["args"].get("lcId")) == lc_id
    }


def reduced_feeds(split: Split) -> dict[str, set[tuple[str, int | None]]]:
    """What the second beneficiary (the outsider) and the assignee (the other bank) see of `split`'s credit: their
    transfer, their presentation and the legs paid to them; not the application, the other transfer, the first
    beneficiary's own presentation (but for the assignee's leg of it) nor the applicant's reimbursement."""
    return {
        "outsider": {
            ("TransferDecided", split.mine),
            ("TransferredDocumentsPresented", split.mine),
            ("InvoiceSubstituted", split.became),
            ("DocumentsPresented", split.became),
            ("PresentationHonoured", split.became),
            ("TransferredProceedsPaid", split.became),
        },
        "other_bank": {
            ("ProceedsAssigned", None),
            *(
                (event, p)
                for p in (split.became, split.own)
                for event in ("PresentationHonoured", "AssignedProceedsPaid")
            ),
        },
    }


def test_art_38_39_event_feed_shows_second_beneficiary_and_assignee_their_events(consortium: Consortium) -> None:
    split = transferred_and_assigned(consortium, "feed")
    lc_id = split.path.rsplit("/", 1)[1]
    for who, expected in reduced_feeds(split).items():
        assert credit_events(feed(consortium, who), lc_id) == expected, who
    everything = credit_events(feed(consortium, "bank"), lc_id)
    assert ("TransferDecided", split.other) in everything and ("ReimbursementSettled", split.became) in everything


def test_a_feed_page_reads_its_audiences_per_batch_and_agrees_with_each_event_alone(consortium: Consortium) -> None:
    """The feed decides a page's visibility with a few queries per batch of rows it scans, however many events of
    credits, presentations and transfers the batch holds, and shows exactly what each event decided alone shows
    (the webhooks' test, `events.service.visible`)."""
    split = transferred_and_assigned(consortium, "batched")
    lc_id = split.path.rsplit("/", 1)[1]
    executed: list[tuple[int, str]] = []

    def record(*args: Any) -> None:
        executed.append((threading.get_ident(), args[2]))

    engine = consortium.platform.engine
    members = {"outsider": OUTSIDER, "other_bank": OTHER_BANK, "bank": BANK, "trader": TRADER}
    for who, member in members.items():
        event.listen(engine, "before_cursor_execute", record)
        try:
            shown = feed(consortium, who)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        serving = {thread for thread, statement in executed if "FROM api_keys" in statement}  # not the engine's
        statements = [statement for thread, statement in executed if thread in serving]
        batches = sum("FROM chain_events" in statement for statement in statements)
        # per page: the caller and the viewer's accounts; per batch: its rows, then at most one query for each
        # kind of object an event names by id (7) and for each kind of row deciding a reduced view (4)
        pages = sum("FROM api_keys" in statement for statement in statements)
        assert len(statements) <= 2 * pages + 12 * batches, (who, len(statements), pages, batches)
        assert credit_events(shown, lc_id), who  # the credit's events were among those decided
        executed.clear()
        with consortium.platform.sessions() as db:
            kind = db.get(Member, member.address).kind  # type: ignore[union-attr]
            accounts = visible_accounts(db, member.address, kind)
            alone = [row.id for row in db.scalars(select(ChainEvent).order_by(ChainEvent.id))
                     if visible(db, accounts, kind, row.event, json.loads(row.args))]  # fmt: skip
        assert [int(e["id"]) for e in shown] == alone, who
