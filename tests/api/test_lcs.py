"""A letter of credit over HTTP: apply, issue, advise, amend, present with a discrepancy, waive, honour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.api.conftest import BANK, OTHER_TRADER, OUTSIDER, TRADER, Consortium, problem
from tests.members import OTHER_BANK

TODAY = datetime.now(UTC).date()


def terms(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form_of_credit": "IRREVOCABLE",
        "lc_number": "LC-API-0001",
        "expiry_date": (TODAY + timedelta(days=60)).isoformat(),
        "expiry_place": "SHANGHAI",
        "applicant": {"name": "Acme Imports GmbH", "party_id": "529900T8BM49AURSDO55"},
        "beneficiary": {"name": "青岛海运贸易有限公司", "party_id": "300300S39XTBSNH66F17"},
        "currency": "USD",
        "amount": "100.00",
        "tolerance_plus_pct": 10,
        "available_with": "BKCHCNBJ",
        "available_by": "BY PAYMENT",
        "latest_shipment_date": (TODAY + timedelta(days=30)).isoformat(),
        "description_of_goods": "500 CARTONS GREEN TEA, CIF HAMBURG",
        "documents_required": [{"document_type": "COMMERCIAL INVOICE", "originals": 3}],
        "confirmation_instructions": "WITHOUT",
    }
    data.update(overrides)
    return data


def application(**overrides: Any) -> dict[str, Any]:
    return {
        "terms": terms(**overrides),
        "beneficiary": OTHER_TRADER.address,
        "issuing_bank": BANK.address,
        "advising_bank": BANK.address,
        "available_with_bank": BANK.address,
    }


INVOICE = {
    "kind": "invoice",
    "fields": {"seller_id": "300300S39XTBSNH66F17", "buyer_id": "529900T8BM49AURSDO55", "invoice_number": "CI-77",
               "issue_date": TODAY.isoformat(), "amount": 10_500, "currency": "USD"},
}  # fmt: skip


def test_credit_from_application_to_honour(consortium: Consortium) -> None:
    applicant, bank, beneficiary = (
        consortium.client("trader"),
        consortium.client("bank"),
        consortium.client("other_trader"),
    )
    applied = applicant.post("/v1/lcs", json=application(), headers={"Idempotency-Key": "lc-1"})
    assert applied.status_code == 201, applied.text
    lc = applied.json()
    assert lc["state"] == "APPLIED" and lc["terms_verified"] is True and lc["amount"] == "10000"
    path = f"/v1/lcs/{lc['lc_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": "lc-1-i"}).json()["state"] == "ISSUED"
    assert bank.post(f"{path}/advise", headers={"Idempotency-Key": "lc-1-a"}).json()["state"] == "ADVISED"

    amended = bank.post(
        f"{path}/amendments", json={"changes": {"amount": 11_000}}, headers={"Idempotency-Key": "lc-1-m"}
    )
    assert amended.status_code == 200, amended.text
    amendment_id = amended.json()["amendments"][0]["amendment_id"]
    accepted = beneficiary.post(
        f"{path}/amendments/{amendment_id}/accept", json={}, headers={"Idempotency-Key": "lc-1-ma"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["amount"] == "11000"

    presented = beneficiary.post(
        f"{path}/presentations",
        json={"documents": [INVOICE], "amount": 10_500, "shipment_date": TODAY.isoformat()},
        headers={"Idempotency-Key": "lc-1-p"},
    )
    assert presented.status_code == 200, presented.text
    presentation = presented.json()["presentations"][0]
    assert presentation["state"] == "PRESENTED"
    p_path = f"{path}/presentations/{presentation['presentation_id']}"

    refused = bank.post(
        f"{p_path}/refuse",
        json={"discrepancies": ["INVOICE_NOT_SIGNED"], "disposition": "hold_pending_waiver"},
        headers={"Idempotency-Key": "lc-1-r"},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["presentations"][0]["state"] == "REFUSED"
    second = bank.post(
        f"{p_path}/refuse",
        json={"discrepancies": ["LATE"], "disposition": "returning"},
        headers={"Idempotency-Key": "lc-1-r2"},
    )
    assert second.status_code in (409, 422) and str(problem(second)["code"]).startswith("letter_of_credit_")

    before = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    waived = applicant.post(f"{p_path}/waive", headers={"Idempotency-Key": "lc-1-w"})
    assert waived.status_code == 200, waived.text
    honoured = bank.post(f"{p_path}/honour", headers={"Idempotency-Key": "lc-1-h"})
    assert honoured.status_code == 200, honoured.text
    assert honoured.json()["presentations"][0]["state"] == "HONOURED"
    assert honoured.json()["drawn"] == "10500"
    after = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    paid = sum(int(b["amount"]) for b in after) - sum(int(b["amount"]) for b in before)
    assert paid == 10_500
    assert consortium.client("outsider").get(path).status_code == 404
    assert TRADER.address == lc["applicant"]


def test_trader_cannot_issue(consortium: Consortium) -> None:
    lc = (
        consortium.client("trader")
        .post("/v1/lcs", json=application(lc_number="LC-API-2"), headers={"Idempotency-Key": "lc-2"})
        .json()
    )
    response = consortium.client("trader").post(f"/v1/lcs/{lc['lc_id']}/issue", headers={"Idempotency-Key": "lc-2-i"})
    assert response.status_code == 403 and problem(response)["code"] == "forbidden"


def test_bad_terms_name_the_field(consortium: Consortium) -> None:
    response = consortium.client("trader").post(
        "/v1/lcs", json=application(currency="ZZZ"), headers={"Idempotency-Key": "lc-3"}
    )
    assert response.status_code == 422 and "currency" in str(problem(response)["detail"])


def usd(client: Any, address: str) -> int:
    balances = client.get(f"/v1/accounts/{address}/balances").json()["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")


def test_confirmed_credit_honoured_by_confirming_bank_and_reimbursed_by_issuer_art_8(consortium: Consortium) -> None:
    """Art 8a, 7c over HTTP: the confirming (and available-with) bank honours and forwards; the issuing bank
    reimburses it, and only then debits the applicant; an amendment is advised and its confirmation extended."""
    applicant, issuer, confirmer = (consortium.client(who) for who in ("trader", "bank", "other_bank"))
    beneficiary = consortium.client("other_trader")
    funded = consortium.client("agent").post(
        f"/v1/accounts/{OTHER_BANK.address}/deposits",
        json={"currency": "USD", "amount": 5_000, "reference": "CONFIRMER-FUNDS"},
        headers={"Idempotency-Key": "lc-8-fund"},
    )
    assert funded.status_code in (200, 201), funded.text
    body = {
        **application(
            lc_number="LC-API-8",
            confirmation_instructions="CONFIRM",
            requested_confirmation_party="BKCHCNBJ",
            quantity=500,
        ),
        "confirming_bank": OTHER_BANK.address,
        "available_with_bank": OTHER_BANK.address,
    }
    lc = applicant.post("/v1/lcs", json=body, headers={"Idempotency-Key": "lc-8"}).json()
    path = f"/v1/lcs/{lc['lc_id']}"
    for client, step in ((issuer, "issue"), (issuer, "advise"), (confirmer, "confirm")):
        stepped = client.post(f"{path}/{step}", headers={"Idempotency-Key": f"lc-8-{step}"})
        assert stepped.status_code == 200, stepped.text
    assert stepped.json()["state"] == "CONFIRMED"

    issuer.post(f"{path}/amendments", json={"changes": {"amount": 12_000}}, headers={"Idempotency-Key": "lc-8-m"})
    assert issuer.post(f"{path}/amendments/1/advise", headers={"Idempotency-Key": "lc-8-ma"}).status_code == 200
    extended = confirmer.post(
        f"{path}/amendments/1/confirmation", json={"extend": True}, headers={"Idempotency-Key": "lc-8-mc"}
    )
    assert extended.json()["amendments"][0] | {"fields": 0} == {
        "amendment_id": "1", "fields": 0, "state": "ISSUED", "advised": True, "confirmation": "EXTENDED",
        "availability": None, "tenor_days": None, "tenor_basis": None,
    }  # fmt: skip

    drawing = {"documents": [INVOICE], "amount": 5_000, "shipment_date": TODAY.isoformat(), "quantity": 474}
    short = beneficiary.post(f"{path}/presentations", json=drawing, headers={"Idempotency-Key": "lc-8-q"})
    assert short.status_code == 422 and "Art 30" in problem(short)["detail"]  # 500 less 5 % is 475 (Art 30b)
    drawing["quantity"] = 475
    presented = beneficiary.post(f"{path}/presentations", json=drawing, headers={"Idempotency-Key": "lc-8-p"})
    p_path = f"{path}/presentations/{presented.json()['presentations'][0]['presentation_id']}"
    held = usd(confirmer, OTHER_BANK.address)
    honoured = confirmer.post(f"{p_path}/honour", headers={"Idempotency-Key": "lc-8-h"})
    assert honoured.status_code == 200, honoured.text
    assert usd(confirmer, OTHER_BANK.address) == held - 5_000
    claim = honoured.json()["presentations"][0]["interbank_claim"]
    assert (claim["nominated_bank"], claim["amount"], claim["state"]) == (OTHER_BANK.address, "5000", "OPEN")
    # nobody but the issuing bank pays it now; the confirmer must wait for the issuer's deadline (Art 16f)
    early = confirmer.post(f"{p_path}/reimburse-nominated-bank", headers={"Idempotency-Key": "lc-8-early"})
    assert early.status_code == 409 and problem(early)["code"] == "letter_of_credit_deadline_not_passed"
    reimbursed = issuer.post(f"{p_path}/reimburse-nominated-bank", headers={"Idempotency-Key": "lc-8-r"})
    assert reimbursed.status_code == 200, reimbursed.text
    assert reimbursed.json()["presentations"][0]["interbank_claim"]["state"] == "REIMBURSED"
    assert usd(confirmer, OTHER_BANK.address) == held  # paid 5,000 at honour, reimbursed 5,000 now


def test_presentation_carries_a_bill_of_lading_and_title_passes_with_honour(consortium: Consortium) -> None:
    """Issue #18 over HTTP: the presentation names a record; its control passes to the bank; the honour pays the
    beneficiary and passes the title to the applicant (the bank keeps control while its claim is open)."""
    applicant, bank, beneficiary = (consortium.client(who) for who in ("trader", "bank", "other_trader"))
    bill = {"kind": "bill_of_lading", "document_hash": "0x" + "5e" * 32, "holder": OTHER_TRADER.address,
            "to_order": False}  # fmt: skip
    issued = bank.post("/v1/records", json=bill, headers={"Idempotency-Key": "lc-ebl-r"})
    assert issued.status_code == 201, issued.text
    record_path = f"/v1/records/{issued.json()['record_id']}"
    lc = applicant.post("/v1/lcs", json=application(lc_number="LC-EBL"), headers={"Idempotency-Key": "lc-ebl"}).json()
    path = f"/v1/lcs/{lc['lc_id']}"
    for step in ("issue", "advise"):
        assert bank.post(f"{path}/{step}", headers={"Idempotency-Key": f"lc-ebl-{step}"}).status_code == 200
    drawing = {"documents": [INVOICE], "amount": 10_000, "shipment_date": TODAY.isoformat()}

    # a record the presenter does not control is refused, and nothing is presented
    foreign = beneficiary.post(f"{path}/presentations", json={**drawing, "record_id": 999_999},
                               headers={"Idempotency-Key": "lc-ebl-p0"})  # fmt: skip
    assert foreign.status_code == 422 and problem(foreign)["code"] == "letter_of_credit_record_not_presentable"
    presented = beneficiary.post(
        f"{path}/presentations",
        json={**drawing, "record_id": int(issued.json()["record_id"])},
        headers={"Idempotency-Key": "lc-ebl-p"},
    )
    assert presented.status_code == 200, presented.text
    (presentation,) = presented.json()["presentations"]
    assert presentation["record_id"] == issued.json()["record_id"]
    escrowed = beneficiary.get(record_path).json()
    assert (escrowed["state"], escrowed["controller"]) == ("ESCROWED", BANK.address)

    p_path = f"{path}/presentations/{presentation['presentation_id']}"
    honoured = bank.post(f"{p_path}/honour", headers={"Idempotency-Key": "lc-ebl-h"})
    assert honoured.status_code == 200, honoured.text
    claim_id = honoured.json()["presentations"][0]["claim_id"]
    titled = applicant.get(record_path).json()
    expected = ("HELD", TRADER.address) if claim_id is None else ("PLEDGED", BANK.address)
    assert (titled["state"], titled["holder"], titled["controller"]) == (expected[0], TRADER.address, expected[1])


def test_art_7a_deferred_payment_credit_honoured_then_paid_at_maturity(consortium: Consortium) -> None:
    """Art 6b, 7a: a credit available by deferred payment 14 days after the shipment date is honoured by the
    undertaking (the view shows its maturity date, nothing is paid); from the maturity date the bank pays it, once.
    The drawings are dated so that one has matured and one has not: the shared chain's clock is not moved."""
    applicant, bank, beneficiary = (
        consortium.client("trader"),
        consortium.client("bank"),
        consortium.client("other_trader"),
    )
    deferred_terms = {
        "available_by": "BY DEF PAYMENT", "tenor_days": 14, "tenor_basis": "AFTER SHIPMENT", "lc_number": "LC-API-DEF",
    }  # fmt: skip
    applied = applicant.post("/v1/lcs", json=application(**deferred_terms), headers={"Idempotency-Key": "lc-def"})
    assert applied.status_code == 201, applied.text
    lc = applied.json()
    assert (lc["availability"], lc["tenor_days"], lc["tenor_basis"]) == ("DEFERRED_PAYMENT", 14, "SHIPMENT")
    path = f"/v1/lcs/{lc['lc_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": "lc-def-i"}).status_code == 200

    def honour(shipped: date, key: str) -> tuple[str, dict[str, Any]]:
        presented = beneficiary.post(
            f"{path}/presentations",
            json={"documents": [INVOICE], "amount": 2_000, "shipment_date": shipped.isoformat()},
            headers={"Idempotency-Key": f"{key}-p"},
        )
        assert presented.status_code == 200, presented.text
        presentation_id = presented.json()["presentations"][-1]["presentation_id"]
        honoured = bank.post(f"{path}/presentations/{presentation_id}/honour", headers={"Idempotency-Key": f"{key}-h"})
        assert honoured.status_code == 200, honoured.text
        (view,) = [p for p in honoured.json()["presentations"] if p["presentation_id"] == presentation_id]
        return f"{path}/presentations/{presentation_id}", view

    before = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    pending_path, pending = honour(TODAY - timedelta(days=1), "lc-def-1")
    deferred = pending["deferred_payment"]
    assert pending["state"] == "HONOURED" and deferred["state"] == "INCURRED"
    assert (deferred["obligor"], deferred["amount"], deferred["settlement_entry_id"]) == (BANK.address, "2000", None)
    maturity = date.fromisoformat(deferred["maturity_date"])
    assert maturity >= TODAY + timedelta(days=13) and maturity.weekday() < 5  # a banking day of the bank
    early = bank.post(f"{pending_path}/pay-at-maturity", headers={"Idempotency-Key": "lc-def-early"})
    assert early.status_code == 409 and problem(early)["code"] == "letter_of_credit_not_matured"
    assert f"maturityDay={maturity.isoformat()}," in problem(early)["detail"]  # the date, not its day number
    after = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    assert after == before  # honoured, not paid

    matured_path, matured = honour(TODAY - timedelta(days=21), "lc-def-2")  # matured a week ago
    assert date.fromisoformat(matured["deferred_payment"]["maturity_date"]) < TODAY
    paid = bank.post(f"{matured_path}/pay-at-maturity", headers={"Idempotency-Key": "lc-def-pay"})
    assert paid.status_code == 200, paid.text
    (view,) = [p for p in paid.json()["presentations"] if p["presentation_id"] == matured["presentation_id"]]
    assert view["deferred_payment"]["state"] == "PAID" and view["deferred_payment"]["settlement_entry_id"]
    after = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    assert sum(int(b["amount"]) for b in after) - sum(int(b["amount"]) for b in before) == 2_000
    again = bank.post(f"{matured_path}/pay-at-maturity", headers={"Idempotency-Key": "lc-def-again"})
    assert again.status_code == 409 and problem(again)["code"] == "letter_of_credit_invalid_deferred_state"


def test_art_7a_issuer_honours_a_nominated_banks_undertaking_unpaid_at_maturity(consortium: Consortium) -> None:
    """Art 7a iii: the other bank, nominated, honours a deferred payment credit by its undertaking and does not pay
    it at maturity; the beneficiary claims it from the issuing bank, which pays it; the nominated bank's claim
    lapses. Not before the maturity day has ended (409)."""
    applicant, bank, other_bank, beneficiary = (
        consortium.client(who) for who in ("trader", "bank", "other_bank", "other_trader")
    )
    deferred_terms = {"available_by": "BY DEF PAYMENT", "tenor_days": 14, "tenor_basis": "AFTER SHIPMENT",
                      "lc_number": "LC-API-DEFAULT"}  # fmt: skip
    body = {**application(**deferred_terms), "available_with_bank": OTHER_BANK.address}
    lc = applicant.post("/v1/lcs", json=body, headers={"Idempotency-Key": "lc-dft"})
    assert lc.status_code == 201, lc.text
    path = f"/v1/lcs/{lc.json()['lc_id']}"
    assert bank.post(f"{path}/issue", headers={"Idempotency-Key": "lc-dft-i"}).status_code == 200

    def honoured(shipped: date, key: str) -> str:
        invoice = {**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": f"CI-{key}"}}
        presented = beneficiary.post(
            f"{path}/presentations",
            json={"documents": [invoice], "amount": 3_100, "shipment_date": shipped.isoformat()},
            headers={"Idempotency-Key": f"{key}-p"},
        )
        assert presented.status_code == 200, presented.text
        presentation = f"{path}/presentations/{presented.json()['presentations'][-1]['presentation_id']}"
        done = other_bank.post(f"{presentation}/honour", headers={"Idempotency-Key": f"{key}-h"})
        assert done.status_code == 200, done.text
        return presentation

    pending = honoured(TODAY - timedelta(days=1), "lc-dft-1")
    early = beneficiary.post(f"{pending}/honour-default", headers={"Idempotency-Key": "lc-dft-early"})
    assert early.status_code == 409 and problem(early)["code"] == "letter_of_credit_no_default"

    unpaid = honoured(TODAY - timedelta(days=21), "lc-dft-2")  # matured a week ago, not paid
    before = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    claimed = beneficiary.post(f"{unpaid}/honour-default", headers={"Idempotency-Key": "lc-dft-claim"})
    assert claimed.status_code == 200, claimed.text
    (view,) = [p for p in claimed.json()["presentations"] if unpaid.endswith(f"/{p['presentation_id']}")]
    assert view["deferred_payment"]["state"] == "DEFAULTED" and view["deferred_payment"]["settlement_entry_id"]
    assert view["interbank_claim"]["state"] == "LAPSED"
    after = bank.get(f"/v1/accounts/{OTHER_TRADER.address}/balances").json()["balances"]
    assert sum(int(b["amount"]) for b in after) - sum(int(b["amount"]) for b in before) == 3_100
    late = other_bank.post(f"{unpaid}/pay-at-maturity", headers={"Idempotency-Key": "lc-dft-late"})
    assert late.status_code == 409 and problem(late)["code"] == "letter_of_credit_invalid_deferred_state"


def test_the_available_with_bank_lists_the_credit_it_may_honour(consortium: Consortium) -> None:
    """A bank that is only the credit's available-with bank (41a, the nominated bank of Art 12) finds the credit in
    GET /v1/lcs as it reads it by id, the bank named in both; a member not party to it finds it in neither."""
    applicant, other_bank = consortium.client("trader"), consortium.client("other_bank")
    body = {**application(lc_number="LC-API-AVAIL"), "available_with_bank": OTHER_BANK.address}
    applied = applicant.post("/v1/lcs", json=body, headers={"Idempotency-Key": "lc-avail"})
    assert applied.status_code == 201, applied.text
    lc_id = applied.json()["lc_id"]
    read = other_bank.get(f"/v1/lcs/{lc_id}")
    assert read.status_code == 200, read.text
    assert read.json()["available_with_bank"] == OTHER_BANK.address
    from_here = {"cursor": str(int(lc_id) - 1), "limit": 1}  # the first credit the caller sees from this one on
    assert other_bank.get("/v1/lcs", params=from_here).json()["items"] == [read.json()]
    assert applicant.get("/v1/lcs", params=from_here).json()["items"][0]["available_with_bank"] == OTHER_BANK.address
    hidden = consortium.client("outsider").get("/v1/lcs", params=from_here).json()["items"]
    assert lc_id not in [item["lc_id"] for item in hidden]


def test_presentation_under_a_pending_amendment_carries_a_bill_of_lading(consortium: Consortium) -> None:
    """Issue #18 with Art 10c: the presentation under a pending amendment names a record; it accepts the amendment,
    and the record's control passes to the available-with bank in the same transaction."""
    applicant, bank, beneficiary = (consortium.client(who) for who in ("trader", "bank", "other_trader"))
    bill = {"kind": "bill_of_lading", "document_hash": "0x" + "a7" * 32, "holder": OTHER_TRADER.address,
            "to_order": False}  # fmt: skip
    issued = bank.post("/v1/records", json=bill, headers={"Idempotency-Key": "lc-amd-ebl-r"})
    assert issued.status_code == 201, issued.text
    lc = applicant.post("/v1/lcs", json=application(lc_number="LC-AMD-EBL"), headers={"Idempotency-Key": "lc-amd-ebl"})
    path = f"/v1/lcs/{lc.json()['lc_id']}"
    for step in ("issue", "advise"):
        assert bank.post(f"{path}/{step}", headers={"Idempotency-Key": f"lc-amd-ebl-{step}"}).status_code == 200
    amended = bank.post(f"{path}/amendments", json={"changes": {"amount": 12_000}},
                        headers={"Idempotency-Key": "lc-amd-ebl-m"})  # fmt: skip
    amendment_id = amended.json()["amendments"][0]["amendment_id"]
    drawing = {"documents": [INVOICE], "amount": 10_500, "shipment_date": TODAY.isoformat(),
               "record_id": int(issued.json()["record_id"])}  # fmt: skip
    presented = beneficiary.post(f"{path}/amendments/{amendment_id}/presentations", json=drawing,
                                 headers={"Idempotency-Key": "lc-amd-ebl-p"})  # fmt: skip
    assert presented.status_code == 200, presented.text
    assert presented.json()["amount"] == "12000"  # the presentation accepted the amendment
    (presentation,) = presented.json()["presentations"]
    assert presentation["record_id"] == issued.json()["record_id"]
    escrowed = beneficiary.get(f"/v1/records/{issued.json()['record_id']}").json()
    assert (escrowed["state"], escrowed["controller"]) == ("ESCROWED", BANK.address)


def test_art_7c_reimbursement_claim_listed_and_read_by_its_parties_only(consortium: Consortium) -> None:
    """An applicant short of funds at honour owes the issuing bank a claim (the honour does not wait, Art 7c):
    both parties find it in GET /v1/lcs/reimbursement-claims and read it by id, open then settled; the
    beneficiary, a party to the credit but not to the claim, finds nothing and reads 404."""
    applicant, bank, beneficiary = (consortium.client(who) for who in ("outsider", "bank", "other_trader"))
    owed = usd(applicant, OUTSIDER.address) + 1_377  # more than the applicant holds: the honour opens a claim
    body = application(lc_number="LC-CLAIMS", amount=f"{owed // 100}.{owed % 100:02d}")
    lc = applicant.post("/v1/lcs", json=body, headers={"Idempotency-Key": "lc-claims"}).json()
    path = f"/v1/lcs/{lc['lc_id']}"
    for step in ("issue", "advise"):
        assert bank.post(f"{path}/{step}", headers={"Idempotency-Key": f"lc-claims-{step}"}).status_code == 200
    invoice = {**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": "CI-CLAIMS", "amount": owed}}
    drawing = {"documents": [invoice], "amount": owed, "shipment_date": TODAY.isoformat()}
    presented = beneficiary.post(f"{path}/presentations", json=drawing, headers={"Idempotency-Key": "lc-claims-p"})
    assert presented.status_code == 200, presented.text
    presentation = presented.json()["presentations"][-1]["presentation_id"]
    honoured = bank.post(f"{path}/presentations/{presentation}/honour", headers={"Idempotency-Key": "lc-claims-h"})
    assert honoured.status_code == 200, honoured.text
    claim_id = honoured.json()["presentations"][-1]["claim_id"]
    assert claim_id is not None, honoured.text

    claim = f"/v1/lcs/reimbursement-claims/{claim_id}"
    expected = {"claim_id": claim_id, "lc_id": lc["lc_id"], "presentation_id": presentation,
                "issuing_bank": BANK.address, "applicant": OUTSIDER.address, "currency": "USD", "amount": str(owed),
                "state": "OPEN", "settled_at": None, "settlement_entry_id": None}  # fmt: skip
    for party in (applicant, bank):
        read = party.get(claim)
        assert read.status_code == 200, read.text
        assert {key: read.json()[key] for key in expected} == expected and read.json()["opened_at"] > 0
        listed = party.get("/v1/lcs/reimbursement-claims", params={"state": "OPEN", "limit": 200}).json()["items"]
        assert claim_id in {c["claim_id"] for c in listed}
    hidden = beneficiary.get(claim)
    assert hidden.status_code == 404 and problem(hidden)["code"] == "reimbursement_claim_not_found"
    assert claim_id not in {c["claim_id"] for c in beneficiary.get("/v1/lcs/reimbursement-claims").json()["items"]}
    bad = bank.get("/v1/lcs/reimbursement-claims", params={"state": "PAID"})
    assert bad.status_code == 422 and problem(bad)["code"] == "validation_error"

    deposit = {"currency": "USD", "amount": owed, "reference": "LC-CLAIMS-FUND"}
    funded = bank.post(f"/v1/accounts/{OUTSIDER.address}/deposits", json=deposit,
                       headers={"Idempotency-Key": "lc-claims-fund"})  # fmt: skip
    assert funded.status_code == 200, funded.text
    settled = applicant.post(f"{claim}/settle", headers={"Idempotency-Key": "lc-claims-settle"})
    assert settled.status_code == 200, settled.text
    after = bank.get(claim).json()
    assert after["state"] == "SETTLED" and after["settled_at"] is not None and after["settlement_entry_id"] is not None
    settled_claims = bank.get("/v1/lcs/reimbursement-claims", params={"state": "SETTLED", "limit": 200}).json()["items"]
    assert claim_id in {c["claim_id"] for c in settled_claims}
