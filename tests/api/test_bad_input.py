"""Bad input is a 4xx naming the field: currencies that are not money, malformed addresses in bodies, queries and
paths. Table-driven over every request schema that takes a currency or an address."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import BANK, OTHER_TRADER, TRADER, Consortium, problem

NOT_MONEY = ["XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"]
MONEY = ["USD", "JPY", "BHD", "CLF", "XOF", "XCD"]  # 2, 0, 3, 4 decimals; X-codes that are currencies
TERMS: dict[str, Any] = {
    "form_of_credit": "IRREVOCABLE",
    "date_of_issue": "2031-01-05",
    "expiry_date": "2031-06-30",
    "expiry_place": "LONDON",
    "applicant": {"name": "Importer Co"},
    "beneficiary": {"name": "Exporter Ltd"},
    "amount_minor": 10_000,
    "available_with": {"name": "Bank"},
    "available_by": "PAYMENT",
    "description_of_goods": "Widgets",
    "documents_required": [{"kind": "INVOICE", "description": "signed commercial invoice"}],
    "confirmation_instructions": "WITHOUT",
}

# (who, path, body without its currency, the field the currency goes in)
MONEY_MOVEMENTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("trader", "/v1/settlements/transfers", {"to": OTHER_TRADER.address, "amount": 1, "reference": "R"}, "currency"),
    ("bank", f"/v1/accounts/{TRADER.address}/deposits", {"amount": 1, "reference": "R"}, "currency"),
    ("bank", f"/v1/accounts/{TRADER.address}/withdrawals", {"amount": 1, "reference": "R"}, "currency"),
    ("trader", "/v1/settlements/external-payments",
     {"payee": OTHER_TRADER.address, "amount": 1, "rail": "swift", "rail_reference": "R", "reference": "R"},
     "currency"),
    ("trader", "/v1/orders",
     {"seller": OTHER_TRADER.address, "amount": 1, "terms": {}, "latest_shipment": "2031-01-01",
      "payment_terms": "open_account"}, "currency"),
    ("trader", "/v1/lcs",
     {"terms": TERMS, "beneficiary": OTHER_TRADER.address, "issuing_bank": BANK.address,
      "advising_bank": BANK.address, "available_with_bank": BANK.address}, "terms.currency"),
    ("bank", "/v1/documents",
     {"kind": "invoice", "owner": TRADER.address, "face_value": 1, "fields": {}}, "currency"),
]  # fmt: skip


def _post(consortium: Consortium, who: str, path: str, body: dict[str, Any]) -> Any:
    return consortium.client(who).post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def _with_currency(body: dict[str, Any], field: str, code: str) -> dict[str, Any]:
    if field == "terms.currency":
        return {**body, "terms": {**body["terms"], "currency": code}}
    return {**body, field: code}


def _named(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = problem(response)
    assert any(str(error["field"]).endswith(field) for error in body.get("errors") or []), body
    return body


@pytest.mark.parametrize(("who", "path", "body", "field"), MONEY_MOVEMENTS, ids=[m[1] for m in MONEY_MOVEMENTS])
@pytest.mark.parametrize("code", NOT_MONEY)
def test_a_unit_that_is_not_money_is_refused_on_every_money_movement(
    consortium: Consortium, who: str, path: str, body: dict[str, Any], field: str, code: str
) -> None:
    response = _post(consortium, who, path, _with_currency(body, field, code))
    assert "is not money" in str(_named(response, field)["detail"])


@pytest.mark.parametrize("code", MONEY)
def test_currencies_with_a_minor_unit_are_money(consortium: Consortium, code: str) -> None:
    """The same path as above accepts them (the contract books the transfer or refuses the balance)."""
    body = {"to": OTHER_TRADER.address, "currency": code, "amount": 1, "reference": f"MONEY-{code}"}
    response = _post(consortium, "trader", "/v1/settlements/transfers", body)
    assert response.status_code == 200 or problem(response)["code"] == "settlement_insufficient_balance"


MALFORMED_ADDRESSES = [
    TRADER.address[2:],  # no 0x
    TRADER.address[:-1],  # 39 hex digits
    TRADER.address + "0",  # 41
    "0x" + "g" * 40,  # not hex
    "0X" + TRADER.address[2:],  # capital X
    " " + TRADER.address,
]


@pytest.mark.parametrize("address", MALFORMED_ADDRESSES)
class TestMalformedAddresses:
    @pytest.mark.parametrize(("who", "path", "body", "field"), [
        ("trader", "/v1/settlements/transfers", {"currency": "USD", "amount": 1, "reference": "R"}, "to"),
        ("trader", "/v1/settlements/external-payments",
         {"currency": "USD", "amount": 1, "rail": "swift", "rail_reference": "R", "reference": "R"}, "payee"),
        ("trader", "/v1/orders", {"currency": "USD", "amount": 1, "terms": {}, "latest_shipment": "2031-01-01",
                                  "payment_terms": "open_account"}, "seller"),
        ("bank", "/v1/governance/proposals", {"action": "admit_bank"}, "subject"),
        ("trader", "/v1/statements", {"currency": "USD", "date_from": "2031-01-01"}, "account"),
        ("trader", "/v1/statements", {"account": TRADER.address, "currency": "USD", "date_from": "2031-01-01"},
         "counterparty"),
    ])  # fmt: skip
    def test_in_a_body(
        self, consortium: Consortium, address: str, who: str, path: str, body: dict[str, Any], field: str
    ) -> None:
        _named(_post(consortium, who, path, {**body, field: address}), field)

    @pytest.mark.parametrize("path", [
        "/v1/members/{}", "/v1/accounts/{}/balances", "/v1/accounts/{}/deposits", "/v1/accounts/{}/withdrawals",
        "/v1/members/{}/suspend",
    ])  # fmt: skip
    def test_in_a_path(self, consortium: Consortium, address: str, path: str) -> None:
        url = path.format(address.replace(" ", "%20"))
        reads = path.endswith(("balances", "{}"))
        response = consortium.client("bank").get(url) if reads else _post(consortium, "bank", url, {})
        _named(response, "address")

    def test_in_a_query(self, consortium: Consortium, address: str) -> None:
        _named(consortium.client("bank").get("/v1/reconciliations", params={"account": address}), "account")


@pytest.mark.parametrize("path", ["/v1/members/{}", "/v1/accounts/{}/balances"])
def test_a_well_formed_unknown_address_stays_404(consortium: Consortium, path: str) -> None:
    response = consortium.client("bank").get(path.format("0x" + "ab" * 20))
    assert response.status_code == 404, response.text


def test_a_lower_case_address_is_well_formed(consortium: Consortium) -> None:
    response = consortium.client("bank").get(f"/v1/accounts/{TRADER.address.lower()}/balances")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "1970-01-01"])
@pytest.mark.parametrize(("who", "path", "body", "field"), [
    ("bank", "/v1/lcs/holidays", lambda day: {"dates": [day]}, "dates.0"),
    ("trader", "/v1/lcs/1/amendments", lambda day: {"changes": {"expiry_date": day}}, "changes.expiry_date"),
    ("trader", "/v1/lcs/1/presentations",
     lambda day: {"documents": [{"kind": "invoice", "fields": {}}], "amount": 1, "shipment_date": day},
     "shipment_date"),
    ("trader", "/v1/lcs", lambda day: {"terms": {**TERMS, "expiry_date": day}}, "terms.expiry_date"),
])  # fmt: skip
def test_a_day_the_chain_cannot_hold_is_named(
    consortium: Consortium, day: str, who: str, path: str, body: Any, field: str
) -> None:
    """The contracts hold days as uint64 seconds since 1970-01-01, 0 meaning none: earlier days are a 422."""
    _named(_post(consortium, who, path, body(day)), field)
