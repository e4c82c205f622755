"""The full, off-chain terms of a documentary credit (MT700-like) and their canonical hash.

The chain keeps only `termsHash` (bytes32) of these terms, with the few values it enforces (amount, currency,
tolerances, dates, presentation period, partial drawings). This module defines the terms, validates them
(UCP 600 and the SWIFT Category 7 usage rules listed in reference/trade-finance.md §3) and computes the hash.

Canonicalisation (version `CANONICAL_VERSION`), so that any party recomputes the same 32 bytes:

1. Validate into `LetterOfCreditTerms`. Free-text fields are stripped and Unicode-NFC-normalised; currency
   codes are upper case; amounts are integer minor units of the credit's currency.
2. Dump to JSON-compatible data (`model_dump(mode="json", exclude_none=True)`): dates as ISO 8601
   `YYYY-MM-DD`, enumerations as their SWIFT code words, integers as JSON integers (never floats),
   absent optional fields omitted. Lists keep their order (MT700 lists are ordered).
3. Wrap as `{"schema": CANONICAL_VERSION, "terms": <data>}`.
4. Serialise with sorted keys, no insignificant whitespace (`separators=(",", ":")`), non-ASCII characters
   kept as they are (`ensure_ascii=False`), encoded as UTF-8.
5. Hash with SHA-256; the 32-byte digest is the on-chain `termsHash`.

SHA-256 comes from the standard library (`hashlib`): Keccak-256 would need eth libraries, which only
`tradeledger.chain` may import (and `hashlib.sha3_256` is not Keccak-256).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reconciliation.currency import UnknownCurrencyError, exponent, money_exponent
from tradeledger.errors import TradeLedgerError
from tradeledger.terms.service import canonical_json

CANONICAL_VERSION = "tradeledger.lc-terms/1"
DEFAULT_PRESENTATION_PERIOD_DAYS = 21
MAX_PRESENTATION_PERIOD_DAYS = 366  # LetterOfCredit.MAX_PRESENTATION_PERIOD_DAYS
ABOUT_BPS = 1_000  # Art 30a: "about" or "approximately": a tolerance not to exceed 10 % more or 10 % less
ART_30B_QUANTITY_BPS = 500  # Art 30b: 5 % more or less of the quantity of the goods
MAX_UINT256 = 2**256 - 1
MAX_TENOR_DAYS = 720  # LetterOfCredit.MAX_TENOR_DAYS
AVAILABILITY = {"BY PAYMENT": 0, "BY DEF PAYMENT": 1, "BY ACCEPTANCE": 2, "BY NEGOTIATION": 3}
"""41a code word -> ILetterOfCredit.Availability; mixed payment (42M) has no on-chain form."""
TENOR_BASIS = {"AFTER PRESENTATION": 0, "AFTER SHIPMENT": 1}
"""TenorBasis -> ILetterOfCredit.TenorBasis."""

ChainDate = Annotated[date, Field(ge=date(1970, 1, 2))]
"""A day the contracts hold: uint64 seconds since 1970-01-01, where 0 means "no date"."""

_SWIFT_X = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]+$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class TermsHashMismatchError(TradeLedgerError):
    """The stored terms do not hash to the terms hash recorded on chain."""

    code = "terms_hash_mismatch"
    http_status = 409
    title = "Terms do not match the chain"


def _text(value: str) -> str:
    normalised = unicodedata.normalize("NFC", value).strip()
    if not normalised:
        raise ValueError("must not be blank")
    return normalised


Text = Annotated[str, AfterValidator(_text)]


def _swift_reference(value: str) -> str:
    if len(value) > 16 or not _SWIFT_X.match(value) or value.startswith("/") or value.endswith("/") or "//" in value:
        raise ValueError("must be 1-16 SWIFT x characters, not starting or ending with '/' nor containing '//'")
    return value


Reference = Annotated[str, AfterValidator(_text), AfterValidator(_swift_reference)]


def _bank(value: str) -> str:
    upper = value.upper()
    if upper != "ANY BANK" and not _BIC.match(upper):
        raise ValueError("must be a BIC (8 or 11 characters) or 'ANY BANK'")
    return upper


BankId = Annotated[str, AfterValidator(_text), AfterValidator(_bank)]


# ------------------------------------------------------------------------------------------------ code words


class FormOfCredit(StrEnum):
    """MT700 40A. Art 3: every credit is irrevocable, so the revocable codes are not accepted."""

    IRREVOCABLE = "IRREVOCABLE"
    IRREVOCABLE_TRANSFERABLE = "IRREVOCABLE TRANSFERABLE"


class ApplicableRules(StrEnum):
    """MT700 40E."""

    UCP = "UCP LATEST VERSION"
    EUCP = "EUCP LATEST VERSION"
    UCPURR = "UCPURR LATEST VERSION"
    EUCPURR = "EUCPURR LATEST VERSION"
    ISP = "ISP LATEST VERSION"
    OTHER = "OTHR"


class AvailableBy(StrEnum):
    """MT700 41a (Art 6b)."""

    PAYMENT = "BY PAYMENT"
    ACCEPTANCE = "BY ACCEPTANCE"
    NEGOTIATION = "BY NEGOTIATION"
    DEFERRED_PAYMENT = "BY DEF PAYMENT"
    MIXED_PAYMENT = "BY MIXED PYMT"


class TenorBasis(StrEnum):
    """The day a deferred payment or acceptance tenor (42C / 42P) runs from: the presentation (Art 33) or the
    shipment date on the transport document (e.g. "60 DAYS AFTER B/L DATE")."""

    PRESENTATION = "AFTER PRESENTATION"
    SHIPMENT = "AFTER SHIPMENT"


class ShipmentRule(StrEnum):
    """MT700 43P (partial shipments, Art 31) and 43T (transhipment)."""

    ALLOWED = "ALLOWED"
    CONDITIONAL = "CONDITIONAL"
    NOT_ALLOWED = "NOT ALLOWED"


class ConfirmationInstructions(StrEnum):
    """MT700 49."""

    CONFIRM = "CONFIRM"
    MAY_ADD = "MAY ADD"
    WITHOUT = "WITHOUT"


# ------------------------------------------------------------------------------------------------ parts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Party(_Strict):
    """MT700 50 (applicant) / 59 (beneficiary): identification, name and address."""

    name: Text = Field(max_length=140)
    address: list[Text] = Field(default_factory=list, max_length=4)
    party_id: Text | None = Field(default=None, max_length=35, description="LEI or platform member id")
    account: Text | None = Field(default=None, max_length=34, description="59: beneficiary account")


class RequiredDocument(_Strict):
    """One entry of MT700 46A."""

    document_type: Text = Field(max_length=65, description="e.g. COMMERCIAL INVOICE, BILL OF LADING")
    originals: StrictInt = Field(default=1, ge=0, le=99)
    copies: StrictInt = Field(default=0, ge=0, le=99)
    issuer: Text | None = Field(default=None, max_length=140)
    data_requirements: Text | None = Field(default=None, max_length=6500)
    electronic_format: Text | None = Field(default=None, max_length=65, description="eUCP e-record format")


# ------------------------------------------------------------------------------------------------ the terms


class LetterOfCreditTerms(_Strict):
    """The full MT700-like terms of one credit; field docs name the MT700 tag they mirror."""

    form_of_credit: FormOfCredit = Field(description="40A")
    lc_number: Reference = Field(description="20 Documentary Credit Number")
    pre_advice_reference: Reference | None = Field(default=None, description="23")
    date_of_issue: date | None = Field(default=None, description="31C")
    applicable_rules: ApplicableRules = Field(default=ApplicableRules.UCP, description="40E")
    applicable_rules_narrative: Text | None = Field(default=None, max_length=35, description="40E narrative (OTHR)")
    expiry_date: ChainDate = Field(description="31D date")
    expiry_place: Text = Field(max_length=29, description="31D place (= place for presentation, Art 6d)")
    applicant_bank: BankId | None = Field(default=None, description="51a")
    applicant: Party = Field(description="50")
    beneficiary: Party = Field(description="59")
    currency: str = Field(description="32B currency code, ISO 4217")
    amount_minor: StrictInt = Field(gt=0, le=MAX_UINT256, description="32B amount in minor units")
    tolerance_plus_pct: StrictInt = Field(default=0, ge=0, le=100, description="39A plus")
    tolerance_minus_pct: StrictInt = Field(default=0, ge=0, le=100, description="39A minus")
    amount_about: StrictBool | None = Field(
        default=None, description='"about"/"approximately" the amount (Art 30a): +/-10 %; not with a 39A tolerance'
    )
    quantity: StrictInt | None = Field(default=None, gt=0, description="45A quantity of the goods")
    quantity_about: StrictBool | None = Field(
        default=None, description='"about"/"approximately" the quantity (Art 30a): +/-10 %'
    )
    quantity_in_units: StrictBool | None = Field(
        default=None, description="the quantity is stated in packing units or individual items (no Art 30b tolerance)"
    )
    additional_amounts_covered: Text | None = Field(default=None, max_length=560, description="39C")
    available_with: BankId = Field(description="41a")
    available_by: AvailableBy = Field(description="41a")
    drafts_at: Text | None = Field(default=None, max_length=105, description="42C")
    drawee: BankId | None = Field(default=None, description="42a")
    mixed_payment_details: Text | None = Field(default=None, max_length=140, description="42M")
    deferred_payment_details: Text | None = Field(default=None, max_length=140, description="42P")
    tenor_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_TENOR_DAYS,
        description="tenor in days of a deferred payment, an acceptance or drafts at usance under negotiation (Art 6b)",
    )
    tenor_basis: TenorBasis | None = Field(default=None, description="what the tenor runs from (with tenor_days)")
    partial_shipments: ShipmentRule = Field(default=ShipmentRule.ALLOWED, description="43P (Art 31a)")
    transhipment: ShipmentRule = Field(default=ShipmentRule.ALLOWED, description="43T")
    place_of_receipt: Text | None = Field(default=None, max_length=140, description="44A")
    port_of_loading: Text | None = Field(default=None, max_length=140, description="44E")
    port_of_discharge: Text | None = Field(default=None, max_length=140, description="44F")
    final_destination: Text | None = Field(default=None, max_length=140, description="44B")
    latest_shipment_date: ChainDate | None = Field(default=None, description="44C")
    shipment_period: Text | None = Field(default=None, max_length=390, description="44D")
    description_of_goods: Text = Field(max_length=6500, description="45A")
    documents_required: list[RequiredDocument] = Field(min_length=1, max_length=32, description="46A")
    additional_conditions: list[Text] = Field(default_factory=list, max_length=100, description="47A")
    special_payment_conditions_beneficiary: Text | None = Field(default=None, max_length=6500, description="49G")
    special_payment_conditions_bank: Text | None = Field(default=None, max_length=6500, description="49H")
    charges: Text | None = Field(default=None, max_length=210, description="71D")
    presentation_period_days: StrictInt = Field(
        default=DEFAULT_PRESENTATION_PERIOD_DAYS, ge=1, le=MAX_PRESENTATION_PERIOD_DAYS, description="48 (Art 14c)"
    )
    confirmation_instructions: ConfirmationInstructions = Field(description="49")
    requested_confirmation_party: BankId | None = Field(default=None, validate_default=True, description="58a")
    reimbursing_bank: BankId | None = Field(default=None, description="53a")
    instructions_to_bank: Text | None = Field(default=None, max_length=780, description="78")
    advise_through_bank: BankId | None = Field(default=None, description="57a")
    sender_to_receiver_information: Text | None = Field(default=None, max_length=210, description="72Z")

    @model_validator(mode="before")
    @classmethod
    def _amount_in_major_units(cls, data: Any) -> Any:
        """Accept `amount` (Decimal or decimal string, major units) instead of `amount_minor`; never a float."""
        if isinstance(data, dict) and "amount" in data:
            data = dict(data)
            amount = data.pop("amount")
            if "amount_minor" in data:
                raise ValueError("amount: give either amount or amount_minor, not both")
            if isinstance(amount, float | bool) or not isinstance(amount, Decimal | str | int):
                raise ValueError("amount: must be a Decimal or a decimal string, never a float")
            try:
                value = Decimal(amount)
            except InvalidOperation:
                raise ValueError(f"amount: {amount!r} is not a decimal number") from None
            currency = str(data.get("currency", "")).upper()
            try:
                scaled = value.scaleb(exponent(currency))
            except UnknownCurrencyError:
                return {**data, "amount_minor": value}  # the currency validator reports the code
            if not value.is_finite() or scaled != scaled.to_integral_value():
                raise ValueError(f"amount: {amount} has more decimals than {currency} allows ({exponent(currency)})")
            data["amount_minor"] = int(scaled)
        return data

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        code = value.upper()
        if len(code) != 3:
            raise ValueError("must be a three-letter ISO 4217 code")
        money_exponent(code)  # a ValueError for unknown codes and for units that are not money (XXX, XAU...)
        return code

    @field_validator("latest_shipment_date")
    @classmethod
    def _shipment_before_expiry(cls, value: date | None, info: ValidationInfo) -> date | None:
        expiry = info.data.get("expiry_date")
        if value is not None and expiry is not None and value > expiry:
            raise ValueError(f"must be on or before expiry_date {expiry.isoformat()}")
        return value

    @field_validator("shipment_period")
    @classmethod
    def _one_shipment_limit(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("latest_shipment_date") is not None:
            raise ValueError("44D and latest_shipment_date (44C) are mutually exclusive")
        return value

    @field_validator("expiry_date")
    @classmethod
    def _expiry_after_issue(cls, value: date, info: ValidationInfo) -> date:
        issued = info.data.get("date_of_issue")
        if issued is not None and value < issued:
            raise ValueError(f"must not be before date_of_issue {issued.isoformat()}")
        return value

    @field_validator("applicable_rules_narrative")
    @classmethod
    def _narrative_only_for_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("applicable_rules") != ApplicableRules.OTHER:
            raise ValueError("is only allowed with applicable_rules OTHR")
        return value

    @field_validator("beneficiary")
    @classmethod
    def _beneficiary_is_not_applicant(cls, value: Party, info: ValidationInfo) -> Party:
        applicant = info.data.get("applicant")
        if applicant is not None and value.party_id is not None and value.party_id == applicant.party_id:
            raise ValueError("must not be the applicant")
        return value

    @field_validator("drawee")
    @classmethod
    def _drawee_needs_drafts(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("drafts_at") is None:
            raise ValueError("42a needs drafts_at (42C)")
        return value

    @field_validator("mixed_payment_details")
    @classmethod
    def _mixed_payment_alone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("drafts_at") is not None:
            raise ValueError("42M is mutually exclusive with drafts_at (42C/42a)")
        return value

    @field_validator("deferred_payment_details")
    @classmethod
    def _deferred_payment_alone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and (info.data.get("drafts_at") is not None or info.data.get("mixed_payment_details")):
            raise ValueError("42P is mutually exclusive with 42C/42a and 42M")
        return value

    @field_validator("requested_confirmation_party")
    @classmethod
    def _confirmation_party(cls, value: str | None, info: ValidationInfo) -> str | None:
        instruction = info.data.get("confirmation_instructions")
        if instruction in (ConfirmationInstructions.CONFIRM, ConfirmationInstructions.MAY_ADD) and value is None:
            raise ValueError("is required when confirmation_instructions is CONFIRM or MAY ADD (58a)")
        if instruction == ConfirmationInstructions.WITHOUT and value is not None:
            raise ValueError("must be absent when confirmation_instructions is WITHOUT")
        return value

    @model_validator(mode="after")
    def _about_or_tolerance(self) -> LetterOfCreditTerms:
        """Art 30a: "about" on the amount is itself a 10 % tolerance; stating 39A as well would be ambiguous."""
        if self.amount_about and (self.tolerance_plus_pct or self.tolerance_minus_pct):
            raise ValueError("amount_about: give either 'about' (Art 30a) or a 39A tolerance, not both")
        return self

    @model_validator(mode="after")
    def _drafts_not_on_applicant(self) -> LetterOfCreditTerms:
        """Art 6c: a credit must not be available by a draft drawn on the applicant."""
        if self.drafts_at is not None and self.drawee is None:
            raise ValueError("drawee: 42C drafts_at needs a drawee bank (42a); Art 6c forbids drafts on the applicant")
        return self

    @model_validator(mode="after")
    def _tenor_for_deferred_only(self) -> LetterOfCreditTerms:
        """Art 6b: deferred payment and acceptance state a tenor; sight payment has none; negotiation has none (sight
        drafts) or one (drafts at usance, Art 2 "negotiation")."""
        if self.available_by is AvailableBy.MIXED_PAYMENT:
            raise ValueError("available_by: BY MIXED PYMT (42M) is not supported; split the credit by availability")
        deferred = self.available_by in (AvailableBy.DEFERRED_PAYMENT, AvailableBy.ACCEPTANCE)
        if deferred and self.tenor_days is None:
            raise ValueError(f"tenor_days: {self.available_by.value} needs a tenor in days (1-{MAX_TENOR_DAYS})")
        if self.tenor_days is None and self.tenor_basis is not None:
            raise ValueError("tenor_days: a tenor_basis needs tenor_days")
        if self.available_by is AvailableBy.PAYMENT and self.tenor_days is not None:
            raise ValueError(f"tenor_days: {self.available_by.value} takes no tenor")
        return self

    # ---------------------------------------------------------------------------------------- derived values

    @property
    def tolerance_plus_bps(self) -> int:
        """39A plus, or 10 % when the amount is "about" (Art 30a); the contract enforces it on every drawing."""
        return ABOUT_BPS if self.amount_about else self.tolerance_plus_pct * 100

    @property
    def tolerance_minus_bps(self) -> int:
        """39A minus, or 10 % when the amount is "about" (Art 30a). Zero for both, with partial drawings prohibited,
        leaves the contract its Art 30c 5 % less allowance."""
        return ABOUT_BPS if self.amount_about else self.tolerance_minus_pct * 100

    def quantity_bounds(self) -> tuple[Decimal, Decimal] | None:
        """The least and most quantity a presentation may show (Art 30a, 30b), or None when the credit states none.

        "About" the quantity: +/-10 %. Otherwise, unless the quantity is stated in packing units or individual items,
        5 % more or less (30b; the drawings still may not exceed the credit's amount, which the contract enforces).
        """
        if self.quantity is None:
            return None
        quantity = Decimal(self.quantity)
        if self.quantity_about:
            share = Decimal(ABOUT_BPS) / 10_000
        elif self.quantity_in_units:
            share = Decimal(0)
        else:
            share = Decimal(ART_30B_QUANTITY_BPS) / 10_000
        return quantity * (1 - share), quantity * (1 + share)

    @property
    def partial_drawings_allowed(self) -> bool:
        """Art 31a: partial drawings are allowed unless the credit prohibits them."""
        return self.partial_shipments != ShipmentRule.NOT_ALLOWED

    @property
    def amount(self) -> Decimal:
        """The amount in major units (exact)."""
        return Decimal(self.amount_minor).scaleb(-exponent(self.currency))


def _timestamp(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def chain_parameters(terms: LetterOfCreditTerms) -> dict[str, Any]:
    """The values of `terms` that LetterOfCredit.applyForCredit enforces (CreditTerms without the parties).

    Dates become unix seconds at 00:00 UTC of the day (the contract compares UTC days); `latestShipment` is 0
    when the terms state none. `transferable` is 40A IRREVOCABLE TRANSFERABLE (Art 38b: only a credit that says so).
    """
    return {
        "termsHash": terms_hash(terms),
        "currency": terms.currency.encode("ascii"),
        "amount": terms.amount_minor,
        "tolerancePlusBps": terms.tolerance_plus_bps,
        "toleranceMinusBps": terms.tolerance_minus_bps,
        "presentationPeriodDays": terms.presentation_period_days,
        "partialDrawingsAllowed": terms.partial_drawings_allowed,
        "expiry": _timestamp(terms.expiry_date),
        "latestShipment": 0 if terms.latest_shipment_date is None else _timestamp(terms.latest_shipment_date),
        "availability": AVAILABILITY[terms.available_by.value],
        "tenorDays": terms.tenor_days or 0,
        "tenorBasis": TENOR_BASIS[(terms.tenor_basis or TenorBasis.PRESENTATION).value],
        "transferable": terms.form_of_credit == FormOfCredit.IRREVOCABLE_TRANSFERABLE,
    }


# ------------------------------------------------------------------------------------------------ hashing


def canonical_bytes(terms: LetterOfCreditTerms) -> bytes:
    """The canonical UTF-8 JSON of `terms` (see the module docstring for the rules)."""
    document = {"schema": CANONICAL_VERSION, "terms": terms.model_dump(mode="json", exclude_none=True)}
    return canonical_json(document).encode("utf-8")  # one canonical JSON for every off-chain document


def terms_hash(terms: LetterOfCreditTerms) -> bytes:
    """SHA-256 of the canonical bytes: the 32-byte `termsHash` recorded on chain."""
    return hashlib.sha256(canonical_bytes(terms)).digest()


def terms_hash_hex(terms: LetterOfCreditTerms) -> str:
    """`terms_hash` as 0x-prefixed lower-case hex."""
    return "0x" + terms_hash(terms).hex()


def _as_bytes32(value: bytes | str) -> bytes:
    if isinstance(value, str):
        text = value[2:] if value.lower().startswith("0x") else value
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"on-chain terms hash {value!r} is not hex") from None
    if len(value) != 32:
        raise ValueError(f"on-chain terms hash must be 32 bytes, got {len(value)}")
    return value


def matches_onchain_hash(terms: LetterOfCreditTerms, onchain_hash: bytes | str) -> bool:
    """Whether `terms` hash to `onchain_hash` (bytes32 as bytes or 0x-hex), compared in constant time."""
    return hmac.compare_digest(terms_hash(terms), _as_bytes32(onchain_hash))


def verify_onchain_hash(terms: LetterOfCreditTerms, onchain_hash: bytes | str) -> None:
    """Raise `TermsHashMismatchError` unless `terms` hash to `onchain_hash`.

    Args:
        terms: the stored off-chain terms.
        onchain_hash: `termsHash` as read from LetterOfCredit.getCredit (bytes or 0x-hex).

    Raises:
        TermsHashMismatchError: the terms were altered, or belong to another credit.
        ValueError: `onchain_hash` is not 32 bytes.
    """
    if not matches_onchain_hash(terms, onchain_hash):
        raise TermsHashMismatchError(
            f"terms of credit {terms.lc_number} hash to {terms_hash_hex(terms)}, the chain records "
            f"0x{_as_bytes32(onchain_hash).hex()}",
            lc_number=terms.lc_number,
        )
