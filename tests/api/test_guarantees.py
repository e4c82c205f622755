"""A demand guarantee over HTTP: apply, issue, demands with statements, rejection, "extend or pay", payment,
and who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import BANK, OTHER_BANK, OTHER_TRADER, OUTSIDER, TRADER, Consortium, problem

TODAY = datetime.now(UTC).date()


def guarantee(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rules": "urdg758",
        "beneficiary": OTHER_TRADER.address,
        "guarantor": BANK.address,
        "currency": "USD",
        "amount": 50_000,
        "expiry_date": (TODAY + timedelta(days=90)).isoformat(),
        "terms": {"kind": "performance guarantee", "contract": "EPC-2031-7", "underlying": "supply of turbines"},
    }
    data.update(overrides)
    return data


def _balance(consortium: Consortium, address: str) -> int:
    balances = consortium.client("bank").get(f"/v1/accounts/{address}/balances").json()["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")


def test_guarantee_from_application_to_payment(consortium: Consortium) -> None:
    applicant, bank, beneficiary = (
        consortium.client("trader"),
        consortium.client("bank"),
        consortium.client("other_trader"),
    )
    applied = applicant.post(
        "/v1/guarantees", json=guarantee(advising_party=OTHER_BANK.address), headers={"Idempotency-Key": "g-1"}
    )
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert (body["state"], body["rules"], body["applicant"], body["amount"]) == (
        "APPLIED",
        "URDG_758",
        TRADER.address,
        "50000",
    )
    path = f"/v1/guarantees/{body['guarantee_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": "g-1-i"}).json()["state"] == "ISSUED"
    advised = consortium.client("other_bank").post(f"{path}/advise", headers={"Idempotency-Key": "g-1-a"})
    assert advised.json()["state"] == "ADVISED", advised.text

    # URDG 15(a): no statement of breach, no demand
    bare = beneficiary.post(f"{path}/demands", json={"amount": 1_000}, headers={"Idempotency-Key": "g-1-d0"})
    assert bare.status_code == 422 and problem(bare)["code"] == "undertakings_demand_unsupported"

    statement = {"breach": "turbines not delivered by 2031-03-01", "signed_by": "beneficiary"}
    first = beneficiary.post(
        f"{path}/demands",
        json={"amount": 10_000, "statement": statement, "documents": [{"kind": "notice", "ref": "N-1"}]},
        headers={"Idempotency-Key": "g-1-d1"},
    )
    assert first.status_code == 200, first.text
    demand = first.json()["demands"][0]
    assert demand["state"] == "PRESENTED" and len(demand["document_hashes"]) == 1 and demand["statement_hash"]
    rejected = bank.post(
        f"{path}/demands/{demand['demand_id']}/reject",
        json={"discrepancies": ["STATEMENT_NOT_SIGNED", "AMOUNT_EXCEEDS"]},
        headers={"Idempotency-Key": "g-1-r"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["demands"][0]["state"] == "REJECTED"
    assert len(rejected.json()["demands"][0]["discrepancies"]) == 2

    # URDG 23: extend or pay; the guarantor suspends, then grants the extension
    extend_to = (TODAY + timedelta(days=200)).isoformat()
    second = beneficiary.post(
        f"{path}/demands",
        json={"amount": 20_000, "statement": statement, "extend_to": extend_to},
        headers={"Idempotency-Key": "g-1-d2"},
    )
    demand_id = second.json()["demands"][1]["demand_id"]
    until = (TODAY + timedelta(days=10)).isoformat()
    suspended = bank.post(
        f"{path}/demands/{demand_id}/suspend", json={"until": until}, headers={"Idempotency-Key": "g-1-s"}
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["demands"][1]["state"] == "SUSPENDED"
    extended = bank.post(f"{path}/demands/{demand_id}/extend", headers={"Idempotency-Key": "g-1-e"})
    assert extended.json()["demands"][1]["state"] == "WITHDRAWN"
    assert extended.json()["expiry"] > body["expiry"]

    third = beneficiary.post(
        f"{path}/demands", json={"amount": 15_000, "statement": statement}, headers={"Idempotency-Key": "g-1-d3"}
    )
    demand_id = third.json()["demands"][2]["demand_id"]
    before = _balance(consortium, OTHER_TRADER.address)
    paid = bank.post(f"{path}/demands/{demand_id}/pay", headers={"Idempotency-Key": "g-1-p"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["demands"][2]["state"] == "PAID" and paid.json()["outstanding"] == "35000"
    assert _balance(consortium, OTHER_TRADER.address) == before + 15_000
    again = bank.post(f"{path}/demands/{demand_id}/pay", headers={"Idempotency-Key": "g-1-p2"})
    assert again.status_code == 409 and problem(again)["code"] == "undertakings_invalid_demand_state"

    assert consortium.client("outsider").get(path).status_code == 404
    assert consortium.client("auditor").get(path).status_code == 200
    listed = applicant.get("/v1/guarantees").json()["items"]
    assert body["guarantee_id"] in {item["guarantee_id"] for item in listed}


def test_trader_cannot_issue_and_standby_needs_expiry(consortium: Consortium) -> None:
    trader = consortium.client("trader")
    created = trader.post("/v1/guarantees", json=guarantee(), headers={"Idempotency-Key": "g-2"}).json()
    issued = trader.post(f"/v1/guarantees/{created['guarantee_id']}/issue", headers={"Idempotency-Key": "g-2-i"})
    assert issued.status_code == 403 and problem(issued)["code"] == "forbidden"
    standby = trader.post(
        "/v1/guarantees", json=guarantee(rules="isp98", expiry_date=None), headers={"Idempotency-Key": "g-3"}
    )
    assert standby.status_code == 422 and problem(standby)["code"] == "undertakings_invalid_expiry"
    bad = trader.post("/v1/guarantees", json=guarantee(currency="ZZZ"), headers={"Idempotency-Key": "g-4"})
    assert bad.status_code == 422


def _post(client: Any, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": key})


def test_urdg_4_direct_issue_11_amendments_13_and_25_reductions_25_expiry_event(consortium: Consortium) -> None:
    bank, applicant, beneficiary = (consortium.client(who) for who in ("bank", "trader", "other_trader"))
    terms = guarantee(
        applicant=TRADER.address, reducible=True, expiry_event="taking-over certificate issued by the engineer"
    )
    assert _post(applicant, "/v1/guarantees/direct", "gd-0", terms).status_code == 403  # a bank issues
    other = _post(bank, "/v1/guarantees/direct", "gd-1", {**terms, "guarantor": OTHER_BANK.address})
    assert other.status_code == 403 and problem(other)["code"] == "undertakings_unauthorized_party"
    issued = _post(bank, "/v1/guarantees/direct", "gd-2", terms)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert (body["state"], body["applicant"], body["guarantor"]) == ("ISSUED", TRADER.address, BANK.address)
    path = f"/v1/guarantees/{body['guarantee_id']}"
    assert issued.headers["location"] == path

    # URDG 11: the amendment binds the guarantor at once, the guarantee only on the beneficiary's consent
    assert _post(bank, f"{path}/amendments", "gd-a0", {"narrative": {"x": 1}}).status_code == 422
    amended = _post(bank, f"{path}/amendments", "gd-a1", {"amount": 80_000, "narrative": {"clause": "7.2"}})
    assert amended.status_code == 200, amended.text
    assert amended.json()["amount"] == "50000" and amended.json()["amendments"][0]["state"] == "ISSUED"
    not_beneficiary = _post(applicant, f"{path}/amendments/1/accept", "gd-a2", {})
    assert not_beneficiary.status_code == 403, not_beneficiary.text
    accepted = _post(beneficiary, f"{path}/amendments/1/accept", "gd-a3", {})
    assert accepted.json()["amount"] == "80000" and accepted.json()["amendments"][0]["state"] == "ACCEPTED"
    later = (TODAY + timedelta(days=120)).isoformat()
    _post(bank, f"{path}/amendments", "gd-a4", {"amount": 90_000, "expiry_date": later})
    partial = _post(beneficiary, f"{path}/amendments/2/accept", "gd-a5", {"accepted_fields": 1})  # URDG 11(e)
    assert (
        partial.json()["amendments"][1]["state"] == "REJECTED" and partial.json()["amendments"][1]["partial_acceptance"]
    )
    _post(bank, f"{path}/amendments", "gd-a6", {"expiry_date": later})
    rejected = _post(beneficiary, f"{path}/amendments/3/reject", "gd-a7")
    assert rejected.json()["amendments"][2]["state"] == "REJECTED"
    assert rejected.json()["amount"] == "80000" and rejected.json()["expiry"] == body["expiry"]

    # URDG 13: the guarantor on a stated reduction event; URDG 25: the beneficiary's signed release of part
    reduced = _post(bank, f"{path}/reductions", "gd-r1", {"amount": 5_000, "document": {"milestone": "M1"}})
    assert reduced.status_code == 200, reduced.text
    assert reduced.json()["reduced"] == "5000"
    released = _post(beneficiary, f"{path}/reductions", "gd-r2", {"amount": 10_000, "document": {"release": "s"}})
    assert (released.json()["reduced"], released.json()["outstanding"]) == ("15000", "65000")
    too_much = _post(beneficiary, f"{path}/reductions", "gd-r3", {"amount": 65_001, "document": {"release": "t"}})
    assert problem(too_much)["code"] == "undertakings_reduction_exceeds_available"
    assert _post(applicant, f"{path}/reductions", "gd-r4", {"amount": 1, "document": {}}).status_code == 403
    assert _post(bank, f"{path}/reductions", "gd-r5", {"amount": 0, "document": {}}).status_code == 422

    # URDG 25: the stated expiry event, evidenced by its document, ends the guarantee
    assert _post(applicant, f"{path}/expiry-event", "gd-e0", {"document": {}}).status_code == 403
    expired = _post(bank, f"{path}/expiry-event", "gd-e1", {"document": {"certificate": "TOC-17"}})
    assert expired.status_code == 200, expired.text
    assert expired.json()["state"] == "EXPIRED"
    late = _post(beneficiary, f"{path}/demands", "gd-d1", {"amount": 1_000, "statement": {"breach": "late"}})
    assert late.status_code == 409 and problem(late)["code"] == "undertakings_not_operative"


def test_urdg_15b_counter_guarantee_demand_and_claim_settled_through_the_ledger(consortium: Consortium) -> None:
    bank, other_bank, beneficiary = (consortium.client(who) for who in ("bank", "other_bank", "other_trader"))
    applicant = consortium.client("outsider")  # a client of the bank with no funds: it cannot reimburse at once
    statement = {"breach": "advance payment not repaid", "signed_by": "beneficiary"}

    # a guarantee whose applicant is short: payment opens a reimbursement claim, settled later through the ledger
    plain = _post(applicant, "/v1/guarantees", "gc-1", guarantee(amount=3_000)).json()
    path = f"/v1/guarantees/{plain['guarantee_id']}"
    _post(bank, f"{path}/issue", "gc-1i")
    _post(beneficiary, f"{path}/demands", "gc-1d", {"amount": 3_000, "statement": statement})
    paid = _post(bank, f"{path}/demands/1/pay", "gc-1p").json()
    demand = paid["demands"][0]
    assert (demand["state"], paid["state"]) == ("PAID", "EXHAUSTED")
    assert demand["claim_id"] and demand["statement_references"] == [f"UT{plain['guarantee_id']}-D1-PAY"]
    no_counter = _post(bank, f"{path}/demands/1/counter-demand", "gc-1c", {"amount": 1, "statement": statement})
    assert no_counter.status_code == 409 and problem(no_counter)["code"] == "guarantee_has_no_counter_guarantee"
    claim = f"/v1/guarantees/reimbursement-claims/{demand['claim_id']}/settle"
    assert _post(other_bank, claim, "gc-1s0").status_code == 404  # no party to it
    short = _post(applicant, claim, "gc-1s1")
    assert short.status_code >= 400 and short.status_code != 500, short.text
    funded = bank.post(
        f"/v1/accounts/{OUTSIDER.address}/deposits",
        json={"currency": "USD", "amount": 3_000, "reference": "FUND-OUTSIDER"},
        headers={"Idempotency-Key": "gc-1f"},
    )
    assert funded.status_code in (200, 201), funded.text
    settled = _post(applicant, claim, "gc-1s2")
    assert settled.status_code == 200, settled.text
    assert settled.json()["demands"][0]["statement_references"] == [
        f"UT{plain['guarantee_id']}-D1-PAY",
        f"UT{plain['guarantee_id']}-D1-REIMB",
    ]
    assert _post(applicant, claim, "gc-1s3").status_code == 409  # settled once

    # URDG 15(b): the guarantor that paid under the guarantee demands under the counter-guarantee, once
    trader = consortium.client("trader")
    main = _post(trader, "/v1/guarantees", "gc-2", guarantee(amount=4_000)).json()
    main_path = f"/v1/guarantees/{main['guarantee_id']}"
    _post(bank, f"{main_path}/issue", "gc-2i")
    counter = _post(
        trader, "/v1/guarantees", "gc-3",
        guarantee(beneficiary=BANK.address, guarantor=OTHER_BANK.address, amount=4_000,
                  counter_guarantee_of=int(main["guarantee_id"])),
    ).json()  # fmt: skip
    counter_path = f"/v1/guarantees/{counter['guarantee_id']}"
    linked = _post(other_bank, f"{counter_path}/issue", "gc-3i")
    assert linked.json()["state"] == "ISSUED", linked.text
    _post(beneficiary, f"{main_path}/demands", "gc-2d", {"amount": 2_500, "statement": statement})
    early = _post(bank, f"{main_path}/demands/1/counter-demand", "gc-2c0", {"amount": 2_500, "statement": statement})
    assert problem(early)["code"] == "undertakings_invalid_relayed_demand"  # not paid yet
    _post(bank, f"{main_path}/demands/1/pay", "gc-2p")
    body = {"amount": 2_500, "statement": {"complying_demand_received": "2031-01-10"}, "documents": [{"copy": 1}]}
    assert _post(trader, f"{main_path}/demands/1/counter-demand", "gc-2c1", body).status_code == 403
    relayed = _post(bank, f"{main_path}/demands/1/counter-demand", "gc-2c2", body)
    assert relayed.status_code == 200, relayed.text
    relayed_demand = relayed.json()["demands"][0]
    assert relayed.json()["guarantee_id"] == counter["guarantee_id"]
    assert (relayed_demand["state"], relayed_demand["under_demand_id"], relayed_demand["amount"]) == (
        "PRESENTED",
        "1",
        "2500",
    )
    again = _post(bank, f"{main_path}/demands/1/counter-demand", "gc-2c3", body)
    assert problem(again)["code"] == "undertakings_invalid_relayed_demand"


def test_isp98_2_06a_standby_states_its_extension_and_the_issuer_notices_non_extension(consortium: Consortium) -> None:
    """ISP98 2.06(a) over the API: the standby's automatic extension is part of its terms and views; before the
    last day for notice nothing is due; only its issuer gives notice of non-extension, once. URDG 758 Art 1(a): a
    guarantee may state one in its own terms too."""
    bank, applicant = consortium.client("bank"), consortium.client("trader")
    expiry = TODAY + timedelta(days=90)
    final = expiry + timedelta(days=3 * 365)
    body = guarantee(rules="isp98", expiry_date=expiry.isoformat(), extension_days=365, non_extension_notice_days=30,
                     final_expiry_date=final.isoformat())  # fmt: skip
    applied = _post(applicant, "/v1/guarantees", "ge-1", body)
    assert applied.status_code == 201, applied.text
    standby = applied.json()
    assert (standby["extension_days"], standby["non_extension_notice_days"]) == (365, 30)
    assert standby["final_expiry"] == int(datetime(final.year, final.month, final.day, tzinfo=UTC).timestamp())
    assert standby["non_extension_noticed"] is False
    path = f"/v1/guarantees/{standby['guarantee_id']}"
    assert _post(bank, f"{path}/issue", "ge-1i").status_code == 200
    early = _post(applicant, f"{path}/extend-automatically", "ge-1x")
    assert early.status_code == 409 and problem(early)["code"] == "undertakings_extension_not_due"
    assert _post(applicant, f"{path}/notice-non-extension", "ge-1n0").status_code == 403
    noticed = _post(bank, f"{path}/notice-non-extension", "ge-1n1")
    assert noticed.status_code == 200 and noticed.json()["non_extension_noticed"] is True, noticed.text
    again = _post(bank, f"{path}/notice-non-extension", "ge-1n2")
    assert again.status_code == 409 and problem(again)["code"] == "undertakings_non_extension_already_noticed"

    evergreen_guarantee = guarantee(extension_days=30, non_extension_notice_days=5)
    accepted = _post(applicant, "/v1/guarantees", "ge-2", evergreen_guarantee)
    assert accepted.status_code == 201 and accepted.json()["extension_days"] == 30, accepted.text


def test_urdg_25a_ii_reduction_schedule_in_the_terms_and_the_view(consortium: Consortium) -> None:
    """URDG 25(a)(ii) / ISP98 2.06 over the API: the schedule is part of the terms and of the view, with the current
    amount; nothing is due to record before its first date (409); an inconsistent schedule is 422 before the chain."""
    bank, applicant = consortium.client("bank"), consortium.client("trader")
    first, second = TODAY + timedelta(days=30), TODAY + timedelta(days=60)
    steps = [{"date": first.isoformat(), "amount": 10_000}, {"date": second.isoformat(), "amount": 15_000}]
    applied = _post(applicant, "/v1/guarantees", "gr-1", guarantee(rules="isp98", amount=50_017,
                                                                    reduction_schedule=steps))  # fmt: skip
    assert applied.status_code == 201, applied.text
    standby = applied.json()
    day = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()) // 86_400
    assert [(s["step"], s["day"], s["amount"], s["recorded_at"]) for s in standby["reduction_schedule"]] == [
        (1, day, "10000", None), (2, day + 30, "15000", None)
    ]  # fmt: skip
    assert (standby["current_amount"], standby["outstanding"]) == ("50017", "50017")
    path = f"/v1/guarantees/{standby['guarantee_id']}"
    assert _post(bank, f"{path}/issue", "gr-1i").status_code == 200
    early = _post(applicant, f"{path}/record-reductions", "gr-1r")
    assert early.status_code == 409 and problem(early)["code"] == "undertakings_reduction_not_due", early.text

    unordered = guarantee(reduction_schedule=list(reversed(steps)))
    refused = _post(applicant, "/v1/guarantees", "gr-2", unordered)
    assert refused.status_code == 422 and "strictly increasing" in refused.text, refused.text
