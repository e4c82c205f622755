"""The MT700-like terms model: validation (errors name the field) and the canonical hash (golden values)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tradeledger.lcs.terms import (
    CANONICAL_VERSION,
    LetterOfCreditTerms,
    TermsHashMismatchError,
    canonical_bytes,
    chain_parameters,
    matches_onchain_hash,
    terms_hash,
    terms_hash_hex,
    verify_onchain_hash,
)

GOLDEN_HASH = "0x4f8a711fea3508fdbba04cc7f9222927acc27beef6719ccd7cada608149044f0"
GOLDEN_CANONICAL = (
    '{"schema":"tradeledger.lc-terms/1","terms":{"additional_conditions":["ALL DOCUMENTS IN ENGLISH"],'
    '"amount_minor":12500050,"applicable_rules":"UCP LATEST VERSION","applicant":{"address":["Hafenstraße 1",'
    '"20457 Hamburg"],"name":"Acme Imports GmbH","party_id":"529900T8BM49AURSDO55"},"available_by":"BY PAYMENT",'
    '"available_with":"BKCHCNBJ","beneficiary":{"address":["Qingdao"],"name":"青岛海运贸易有限公司",'
    '"party_id":"300300S39XTBSNH66F17"},"charges":"ALL CHARGES OUTSIDE GERMANY FOR BENEFICIARY",'
    '"confirmation_instructions":"MAY ADD","currency":"USD","date_of_issue":"2026-03-02",'
    '"description_of_goods":"10,000 PCS LED PANELS, CIF HAMBURG INCOTERMS 2020","documents_required":'
    '[{"copies":0,"document_type":"COMMERCIAL INVOICE","originals":3},{"copies":2,"document_type":"BILL OF LADING",'
    '"originals":3}],"expiry_date":"2026-06-30","expiry_place":"SHANGHAI","form_of_credit":"IRREVOCABLE",'
    '"latest_shipment_date":"2026-06-09","lc_number":"LC-2026/0001","partial_shipments":"NOT ALLOWED",'
    '"port_of_discharge":"DEHAM","port_of_loading":"CNTAO","presentation_period_days":21,'
    '"requested_confirmation_party":"DEUTDEFF","tolerance_minus_pct":5,"tolerance_plus_pct":10,'
    '"transhipment":"ALLOWED"}}'
)


def sample(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form_of_credit": "IRREVOCABLE",
        "lc_number": "LC-2026/0001",
        "date_of_issue": date(2026, 3, 2),
        "expiry_date": date(2026, 6, 30),
        "expiry_place": "SHANGHAI",
        "applicant": {
            "name": "Acme Imports GmbH",
            "address": ["Hafenstraße 1", "20457 Hamburg"],
            "party_id": "529900T8BM49AURSDO55",
        },
        "beneficiary": {"name": "青岛海运贸易有限公司", "address": ["Qingdao"], "party_id": "300300S39XTBSNH66F17"},
        "currency": "usd",
        "amount": Decimal("125000.50"),
        "tolerance_plus_pct": 10,
        "tolerance_minus_pct": 5,
        "available_with": "BKCHCNBJ",
        "available_by": "BY PAYMENT",
        "partial_shipments": "NOT ALLOWED",
        "transhipment": "ALLOWED",
        "port_of_loading": "CNTAO",
        "port_of_discharge": "DEHAM",
        "latest_shipment_date": date(2026, 6, 9),
        "description_of_goods": "10,000 PCS LED PANELS, CIF HAMBURG INCOTERMS 2020",
        "documents_required": [
            {"document_type": "COMMERCIAL INVOICE", "originals": 3},
            {"document_type": "BILL OF LADING", "originals": 3, "copies": 2},
        ],
        "additional_conditions": ["ALL DOCUMENTS IN ENGLISH"],
        "charges": "ALL CHARGES OUTSIDE GERMANY FOR BENEFICIARY",
        "confirmation_instructions": "MAY ADD",
        "requested_confirmation_party": "DEUTDEFF",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def errors_for(**overrides: Any) -> list[tuple[str, str]]:
    """(location, message) of every validation error of the sample with `overrides`."""
    with pytest.raises(ValidationError) as failure:
        LetterOfCreditTerms.model_validate(sample(**overrides))
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in failure.value.errors()]


def fields_in_error(**overrides: Any) -> set[str]:
    return {location.split(".")[0] or message.split(":")[0] for location, message in errors_for(**overrides)}


class TestCanonicalHash:
    def test_golden_canonical_bytes(self) -> None:
        assert canonical_bytes(LetterOfCreditTerms.model_validate(sample())).decode("utf-8") == GOLDEN_CANONICAL

    def test_golden_hash(self) -> None:
        terms = LetterOfCreditTerms.model_validate(sample())
        assert terms_hash_hex(terms) == GOLDEN_HASH
        assert terms_hash(terms) == hashlib.sha256(GOLDEN_CANONICAL.encode("utf-8")).digest()

    def test_hash_ignores_input_spelling(self) -> None:
        """Key order, case of the currency, minor vs major amount and NFD text all hash the same."""
        variant = dict(reversed(list(sample(currency="USD", amount=None, amount_minor=12_500_050).items())))
        variant["applicant"] = {
            **sample()["applicant"],
            "address": ["Hafenstrasse 1".replace("ss", "ß"), "20457 Hamburg"],
        }
        variant["expiry_place"] = "  SHANGHAI "
        assert terms_hash_hex(LetterOfCreditTerms.model_validate(variant)) == GOLDEN_HASH
        nfd = sample(description_of_goods="CAFE\u0301 BEANS")
        nfc = sample(description_of_goods="CAF\u00c9 BEANS")
        assert terms_hash(LetterOfCreditTerms.model_validate(nfd)) == terms_hash(
            LetterOfCreditTerms.model_validate(nfc)
        )

    @pytest.mark.parametrize(
        "change",
        [
            {"amount": Decimal("125000.51")},
            {"expiry_date": date(2026, 7, 1)},
            {"additional_conditions": ["ALL DOCUMENTS IN ENGLISH", "INSURANCE BY APPLICANT"]},
            {"partial_shipments": "ALLOWED"},
        ],
    )
    def test_every_change_changes_the_hash(self, change: dict[str, Any]) -> None:
        assert terms_hash_hex(LetterOfCreditTerms.model_validate(sample(**change))) != GOLDEN_HASH

    def test_canonical_form_is_sorted_compact_utf8_json(self) -> None:
        raw = canonical_bytes(LetterOfCreditTerms.model_validate(sample()))
        document = json.loads(raw)
        assert document["schema"] == CANONICAL_VERSION
        assert raw == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert "青岛".encode() in raw

    def test_onchain_hash_check(self) -> None:
        terms = LetterOfCreditTerms.model_validate(sample())
        assert matches_onchain_hash(terms, GOLDEN_HASH)
        assert matches_onchain_hash(terms, bytes.fromhex(GOLDEN_HASH[2:]))
        verify_onchain_hash(terms, GOLDEN_HASH.upper().replace("0X", "0x"))
        other = "0x" + "00" * 32
        assert not matches_onchain_hash(terms, other)
        with pytest.raises(TermsHashMismatchError) as mismatch:
            verify_onchain_hash(terms, other)
        assert mismatch.value.code == "terms_hash_mismatch"
        with pytest.raises(ValueError, match="32 bytes"):
            matches_onchain_hash(terms, "0x1234")

    def test_chain_parameters(self) -> None:
        parameters = chain_parameters(LetterOfCreditTerms.model_validate(sample()))
        assert parameters == {
            "termsHash": bytes.fromhex(GOLDEN_HASH[2:]),
            "currency": b"USD",
            "amount": 12_500_050,
            "tolerancePlusBps": 1_000,
            "toleranceMinusBps": 500,
            "presentationPeriodDays": 21,
            "partialDrawingsAllowed": False,
            "expiry": 1_782_777_600,  # 2026-06-30T00:00:00Z
            "latestShipment": 1_780_963_200,  # 2026-06-09T00:00:00Z
            "availability": 0,  # BY PAYMENT: sight payment
            "tenorDays": 0,
            "tenorBasis": 0,
            "transferable": False,
        }

    def test_art_6b_deferred_payment_tenor_goes_on_chain(self) -> None:
        """Art 6b: the availability and the tenor (42P "60 DAYS AFTER B/L DATE") are terms the contract enforces."""
        deferred = sample(
            available_by="BY DEF PAYMENT",
            deferred_payment_details="60 DAYS AFTER B/L DATE",
            tenor_days=60,
            tenor_basis="AFTER SHIPMENT",
        )
        parameters = chain_parameters(LetterOfCreditTerms.model_validate(deferred))
        assert (parameters["availability"], parameters["tenorDays"], parameters["tenorBasis"]) == (1, 60, 1)
        accepted = chain_parameters(
            LetterOfCreditTerms.model_validate(sample(available_by="BY ACCEPTANCE", tenor_days=30))
        )
        assert (accepted["availability"], accepted["tenorDays"], accepted["tenorBasis"]) == (2, 30, 0)

    def test_art_2_negotiation_of_drafts_at_usance_states_a_tenor(self) -> None:
        """Art 2 "negotiation", 6b: a negotiation credit calls for sight drafts (no tenor) or drafts at usance (42C
        "90 DAYS SIGHT"): the tenor goes on chain, and the nominated bank's reimbursement is due at maturity (7c)."""
        usance = sample(available_by="BY NEGOTIATION", drafts_at="90 DAYS SIGHT", drawee="DEUTDEFF", tenor_days=90)
        parameters = chain_parameters(LetterOfCreditTerms.model_validate(usance))
        assert (parameters["availability"], parameters["tenorDays"], parameters["tenorBasis"]) == (3, 90, 0)


class TestValidation:
    def test_sample_is_valid(self) -> None:
        terms = LetterOfCreditTerms.model_validate(sample())
        assert (terms.currency, terms.amount_minor, terms.amount) == ("USD", 12_500_050, Decimal("125000.50"))
        assert terms.presentation_period_days == 21  # Art 14c default

    def test_revocable_credit_rejected_art3(self) -> None:
        """Art 3: a credit is irrevocable; MT700 40A revocable codes are not accepted."""
        assert fields_in_error(form_of_credit="REVOCABLE") == {"form_of_credit"}

    @pytest.mark.parametrize("code", ["XXY", "US", "EURO", "ZZZ"])
    def test_unknown_currency_names_the_field(self, code: str) -> None:
        assert "currency" in fields_in_error(currency=code, amount=None, amount_minor=100)

    def test_float_amount_rejected(self) -> None:
        assert any("float" in message for _, message in errors_for(amount=125000.5))
        assert "amount_minor" in fields_in_error(amount=None, amount_minor=1.5)

    @pytest.mark.parametrize(
        ("currency", "amount", "minor"),
        [("USD", "10.25", 1025), ("JPY", "1000", 1000), ("BHD", "1.005", 1005), ("EUR", 7, 700)],
    )
    def test_major_amount_to_minor_units_per_iso_4217(self, currency: str, amount: Any, minor: int) -> None:
        terms = LetterOfCreditTerms.model_validate(sample(currency=currency, amount=amount))
        assert terms.amount_minor == minor

    def test_too_many_decimals_for_currency_rejected(self) -> None:
        assert any("JPY" in message for _, message in errors_for(currency="JPY", amount="1000.5"))

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"amount": None, "amount_minor": 0}, "amount_minor"),
            ({"tolerance_plus_pct": 101}, "tolerance_plus_pct"),
            ({"tolerance_minus_pct": -1}, "tolerance_minus_pct"),
            ({"lc_number": "THIS-NUMBER-IS-TOO-LONG"}, "lc_number"),
            ({"lc_number": "/LC1"}, "lc_number"),
            ({"latest_shipment_date": date(2026, 7, 1)}, "latest_shipment_date"),
            ({"expiry_date": date(2026, 3, 1), "latest_shipment_date": None}, "expiry_date"),
            ({"shipment_period": "FIRST HALF OF JUNE 2026"}, "shipment_period"),
            ({"presentation_period_days": 0}, "presentation_period_days"),
            ({"presentation_period_days": 367}, "presentation_period_days"),
            ({"available_with": "NOT A BIC"}, "available_with"),
            ({"available_by": "BY CHEQUE"}, "available_by"),
            ({"requested_confirmation_party": None}, "requested_confirmation_party"),
            (
                {"confirmation_instructions": "WITHOUT", "requested_confirmation_party": "DEUTDEFF"},
                "requested_confirmation_party",
            ),
            ({"documents_required": []}, "documents_required"),
            ({"description_of_goods": "   "}, "description_of_goods"),
            ({"beneficiary": {"name": "Acme", "party_id": "529900T8BM49AURSDO55"}}, "beneficiary"),
            ({"drawee": "DEUTDEFF"}, "drawee"),
            ({"drafts_at": "SIGHT"}, "drawee"),
            (
                {"drafts_at": "SIGHT", "drawee": "DEUTDEFF", "mixed_payment_details": "50 PCT AT SIGHT"},
                "mixed_payment_details",
            ),
            (
                {"deferred_payment_details": "90 DAYS", "drafts_at": "SIGHT", "drawee": "DEUTDEFF"},
                "deferred_payment_details",
            ),
            ({"applicable_rules_narrative": "URDG 758"}, "applicable_rules_narrative"),
            # Art 6b: a tenor always with deferred payment or acceptance, optionally with negotiation, never at sight
            ({"available_by": "BY DEF PAYMENT"}, "tenor_days"),
            ({"available_by": "BY ACCEPTANCE", "tenor_days": 721}, "tenor_days"),
            ({"tenor_days": 30}, "tenor_days"),
            ({"available_by": "BY NEGOTIATION", "tenor_basis": "AFTER SHIPMENT"}, "tenor_days"),
            ({"available_by": "BY MIXED PYMT", "mixed_payment_details": "50 PCT AT SIGHT"}, "available_by"),
            ({"unknown_field": 1}, "unknown_field"),
        ],
    )
    def test_validation_error_names_the_field(self, overrides: dict[str, Any], field: str) -> None:
        located = errors_for(**overrides)
        assert any(
            location.startswith(field) or message.startswith(f"Value error, {field}") for location, message in located
        ), located
