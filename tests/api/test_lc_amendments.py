"""Amending how a credit is available and its tenor over HTTP (UCP 600 Art 6b, 10): the amendment body, its view,
the credit changed only on acceptance, bad bodies refused with 422 and an amendment that can no longer apply
refused with 409."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Consortium, problem
from tests.api.test_lcs import INVOICE, TODAY, application


def _key(step: str) -> dict[str, str]:
    return {"Idempotency-Key": f"lc-amend-avail-{step}"}


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_art_10_amendment_to_deferred_payment_applies_on_acceptance(consortium: Consortium) -> None:
    """Art 10b/c, 6b: the issuing bank amends a sight credit to deferred payment at 45 days after shipment; the
    credit keeps its sight terms until the beneficiary accepts; after an honour the availability can no longer
    change (409)."""
    applicant, bank, beneficiary = (consortium.client(who) for who in ("trader", "bank", "other_trader"))
    lc = _ok(applicant.post("/v1/lcs", json=application(lc_number="LC-AMEND-AVAIL", amount="97.31"),
                            headers=_key("apply")))  # fmt: skip
    path = f"/v1/lcs/{lc['lc_id']}"
    for step in ("issue", "advise"):
        _ok(bank.post(f"{path}/{step}", headers=_key(step)))

    for bad in ({"available_by": "BY PAYMENT", "tenor_days": 30}, {"available_by": "BY MIXED PYMT"},
                {"tenor_days": 0}):  # fmt: skip
        refused = bank.post(f"{path}/amendments", json={"changes": bad}, headers=_key(f"bad-{len(str(bad))}"))
        assert refused.status_code == 422, (bad, refused.text)
    sight_tenor = bank.post(f"{path}/amendments", json={"changes": {"tenor_days": 30}}, headers=_key("sight-tenor"))
    assert sight_tenor.status_code == 422 and problem(sight_tenor)["code"] == "letter_of_credit_invalid_tenor"

    changes = {"available_by": "BY DEF PAYMENT", "tenor_days": 45, "tenor_basis": "AFTER SHIPMENT"}
    amended = _ok(bank.post(f"{path}/amendments", json={"changes": changes}, headers=_key("amend")))
    amendment = amended["amendments"][0]
    assert (amendment["fields"], amendment["availability"], amendment["tenor_days"], amendment["tenor_basis"]) == (
        64 | 128, "DEFERRED_PAYMENT", 45, "SHIPMENT"
    )  # fmt: skip
    assert (amended["availability"], amended["tenor_days"]) == ("SIGHT_PAYMENT", 0)  # Art 10b: not yet accepted

    accepted = _ok(beneficiary.post(f"{path}/amendments/{amendment['amendment_id']}/accept", json={},
                                    headers=_key("accept")))  # fmt: skip
    assert (accepted["availability"], accepted["tenor_days"], accepted["tenor_basis"]) == (
        "DEFERRED_PAYMENT", 45, "SHIPMENT"
    )  # fmt: skip

    drawing = {"documents": [{**INVOICE, "fields": {**INVOICE["fields"], "invoice_number": "AV-1", "amount": 4_000}}],
               "amount": 4_000, "shipment_date": TODAY.isoformat()}  # fmt: skip
    presented = _ok(beneficiary.post(f"{path}/presentations", json=drawing, headers=_key("present")))
    p_path = f"{path}/presentations/{presented['presentations'][0]['presentation_id']}"
    honoured = _ok(bank.post(f"{p_path}/honour", headers=_key("honour")))
    assert honoured["presentations"][0]["deferred_payment"]["state"] == "INCURRED"

    back = bank.post(f"{path}/amendments", json={"changes": {"available_by": "BY PAYMENT"}}, headers=_key("back"))
    assert back.status_code == 409 and problem(back)["code"] == "letter_of_credit_availability_in_use"
