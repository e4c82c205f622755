"""Payables finance over HTTP: the buyer approves a payable for its (accepted) invoice, a bank pays the supplier
early at the discount computed to the minor unit and checked on chain, a second financing of the same invoice
anywhere is refused naming the first, collection waits for maturity, and bad input is a 4xx naming what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import BANK, OTHER_TRADER, TRADER, Consortium, problem
from tests.api.test_openaccount import AMOUNT, open_account_trade
from tests.members import call
from tradeledger.undertakings.discount import DayCount, days_to_maturity, discount


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def chain_today(consortium: Consortium) -> Any:
    return datetime.fromtimestamp(consortium.platform.chain_time(), UTC).date()


def accepted_invoice(consortium: Consortium, key: str) -> str:
    """TRADER's open-account invoice from OTHER_TRADER (see open_account_trade), whose mismatch TRADER accepted."""
    invoice_id = open_account_trade(consortium, key)["invoice_id"]
    report = _ok(consortium.client("trader").get(f"/v1/invoices/{invoice_id}"))["match_report"]["report_hash"]
    call(
        consortium.platform, "Invoices", "acceptMismatch", (int(invoice_id), bytes.fromhex(report[2:])), TRADER.address
    )
    return invoice_id


def approval(consortium: Consortium, invoice_id: str, days: int = 30, **overrides: Any) -> dict[str, Any]:
    maturity = chain_today(consortium) + timedelta(days=days)
    return {"invoice_id": int(invoice_id), "amount": AMOUNT, "currency": "USD", "maturity": maturity.isoformat(),
            **overrides}  # fmt: skip


def approved_payable(consortium: Consortium, key: str) -> dict[str, Any]:
    """A payable TRADER approved for its accepted invoice (USD 10.00, maturing in 30 days)."""
    body = approval(consortium, accepted_invoice(consortium, key))
    return _ok(consortium.client("trader").post("/v1/payables", json=body, headers={"Idempotency-Key": f"{key}-pay"}))


def supplier_invoice(consortium: Consortium, key: str, who: str = "bank", number: str | None = None) -> str:
    """The supplier's invoice as `who` registers it in the document registry before financing: its id. The buyer id
    follows the invoice number: invoices of other tests on the session's chain (same seller, amount and day) would
    otherwise share the registry's seller-buyer-amount-date fingerprint and read as duplicates."""
    invoice_number = number or f"PF-{key}"
    fields = {"seller_id": "300300S39XTBSNH66F17", "buyer_id": f"BUYER-{invoice_number}",
              "invoice_number": invoice_number, "issue_date": chain_today(consortium).isoformat(),
              "amount": AMOUNT, "currency": "USD"}  # fmt: skip
    body = {"kind": "invoice", "fields": fields, "owner": OTHER_TRADER.address, "currency": "USD", "face_value": AMOUNT}
    registered = consortium.client(who).post("/v1/documents", json=body, headers={"Idempotency-Key": f"{key}-doc"})
    return str(_ok(registered)["document_id"])


def advance_for(consortium: Consortium, payable: dict[str, Any], rate_bps: int, day_count: DayCount) -> int:
    maturity = datetime.fromtimestamp(payable["maturity"], UTC).date()
    days = days_to_maturity(chain_today(consortium), maturity)
    return discount(int(payable["amount"]), rate_bps, days, day_count).advance


@pytest.fixture(scope="module")
def payable(consortium: Consortium) -> dict[str, Any]:
    return approved_payable(consortium, "pf-api")


class TestApprove:
    def test_the_buyer_approves_and_every_party_sees_it(self, consortium: Consortium, payable: dict[str, Any]) -> None:
        assert (payable["state"], payable["buyer"], payable["supplier"]) == ("APPROVED", TRADER.address,
                                                                             OTHER_TRADER.address)  # fmt: skip
        assert (payable["amount"], payable["currency"], payable["financier"]) == (str(AMOUNT), "USD", None)
        for who in ("trader", "other_trader", "bank", "auditor"):
            seen = _ok(consortium.client(who).get(f"/v1/payables/{payable['payable_id']}"))
            assert seen["terms_hash"] == payable["terms_hash"]
            listed = _ok(consortium.client(who).get("/v1/payables", params={"state": "APPROVED", "limit": 200}))
            assert payable["payable_id"] in {item["payable_id"] for item in listed["items"]}
        assert consortium.client("other_bank").get(f"/v1/payables/{payable['payable_id']}").status_code == 404

    def test_bad_input_is_a_4xx_naming_what_is_wrong(self, consortium: Consortium, payable: dict[str, Any]) -> None:
        buyer = consortium.client("trader")
        invoice_id = payable["invoice_id"]
        cases = [
            (approval(consortium, invoice_id, currency="EUR"), 422, "currency EUR"),
            (approval(consortium, invoice_id, days=0), 422, "maturity"),
            (approval(consortium, invoice_id), 422, "PayablesFinanceInvalidInvoice"),  # it has its payable already
            (approval(consortium, invoice_id, amount=-5), 422, "amount"),
        ]
        for index, (body, status, named) in enumerate(cases):
            response = buyer.post("/v1/payables", json=body, headers={"Idempotency-Key": f"pf-bad-{index}"})
            assert response.status_code == status, response.text
            assert named in str(problem(response)), response.text
        refused = consortium.client("bank").post(
            "/v1/payables", json=approval(consortium, invoice_id), headers={"Idempotency-Key": "pf-bad-bank"}
        )
        assert refused.status_code == 403, refused.text


class TestFinance:
    def test_a_bank_pays_the_advance_and_a_second_financing_anywhere_is_refused(self, consortium: Consortium) -> None:
        payable = approved_payable(consortium, "pf-fin")
        path = f"/v1/payables/{payable['payable_id']}"
        document_id = supplier_invoice(consortium, "pf-fin")
        before = _ok(consortium.client("other_trader").get(f"/v1/accounts/{OTHER_TRADER.address}/balances"))
        body = {"document_id": int(document_id), "rate_bps": 725, "day_count": "ACT/365"}
        expected = advance_for(consortium, payable, 725, DayCount.ACT_365)
        financed = _ok(consortium.client("bank").post(f"{path}/financings", json=body,
                                                      headers={"Idempotency-Key": "pf-fin-go"}))  # fmt: skip
        assert (financed["state"], financed["financier"], financed["document_id"]) == ("FINANCED", BANK.address,
                                                                                       document_id)  # fmt: skip
        discount_view = financed["discount"]
        assert (discount_view["advance"], discount_view["day_count"]) == (str(expected), "ACT/365")
        assert int(discount_view["discount"]) == AMOUNT - expected
        after = _ok(consortium.client("other_trader").get(f"/v1/accounts/{OTHER_TRADER.address}/balances"))
        assert _usd(after) - _usd(before) == expected
        # the same invoice registered again by the other bank: its plain document financing is refused, naming ours
        copy = supplier_invoice(consortium, "pf-fin-copy", who="other_bank", number="PF-pf-fin")
        again = consortium.client("other_bank").post(
            f"/v1/documents/{copy}/financings", json={"amount": 500, "reference": "PF-DUP"},
            headers={"Idempotency-Key": "pf-fin-dup"},
        )  # fmt: skip
        assert again.status_code == 409, again.text
        assert problem(again)["code"] == "document_registry_already_financed"
        assert f"document {document_id}" in str(problem(again)["detail"])
        # ... and so is another payables financing of the payable already financed
        second = consortium.client("other_bank").post(
            f"{path}/financings", json={**body, "document_id": int(copy)}, headers={"Idempotency-Key": "pf-fin-2"}
        )
        assert second.status_code in (404, 409), second.text  # the other bank does not see it, or it is FINANCED

    def test_traders_may_not_finance_and_collection_waits_for_maturity(
        self, consortium: Consortium, payable: dict[str, Any]
    ) -> None:
        path = f"/v1/payables/{payable['payable_id']}"
        body = {"document_id": 1, "rate_bps": 100, "day_count": "ACT/360"}
        trader = consortium.client("trader").post(f"{path}/financings", json=body, headers={"Idempotency-Key": "pf-t"})
        assert trader.status_code == 403, trader.text
        early = consortium.client("trader").post(f"{path}/collect", headers={"Idempotency-Key": "pf-early"})
        assert early.status_code == 409 and problem(early)["code"] == "payables_finance_not_due", early.text
        bad = consortium.client("bank").post(
            f"{path}/financings", json={**body, "day_count": "30/360"}, headers={"Idempotency-Key": "pf-dc"}
        )
        assert bad.status_code == 422 and "day_count" in bad.text, bad.text


def _usd(balances: dict[str, Any]) -> int:
    return sum(int(item["amount"]) for item in balances["balances"] if item["currency"] == "USD")  # none yet: 0
