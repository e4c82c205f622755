"""Postings to `reconciliation` ledger entries: one rule for the read model and for chain logs alike.

The service builds entries from `ledger_postings`, an auditor from `Posted` logs; both go through
`ledger_entry` so that the same posting gives the same entry, the same canonical leaf and the same root.
"""

from __future__ import annotations

from datetime import datetime

from reconciliation.entries import ChainEvidence, Direction, LedgerEntry
from tradeledger.chain.abi import ZERO_ADDRESS
from tradeledger.codec import reference_text
from tradeledger.settlements.models import PostingKind

LC_PAYMENT_LEGS = {PostingKind.LC_HONOUR: "HONOUR", PostingKind.LC_REIMBURSEMENT: "REIMB"}
UNDERTAKING_PAYMENT_LEGS = {PostingKind.UNDERTAKING_PAYMENT: "PAY", PostingKind.UNDERTAKING_REIMBURSEMENT: "REIMB"}
# Undertakings (guarantees, standbys): payment reference bytes32(undertakingId << 128 | demandId), as the LC's
PRESENTATION_BITS = 128  # LetterOfCredit's payment reference: bytes32(lcId << 128 | presentationId)
INTERBANK_LEG = 1 << 248  # LetterOfCredit.interbankReference: the issuing bank reimbursing a nominated bank (Art 7c)
LEG_BITS = 248  # the top byte of an LC reference names its leg; the honour's extra legs (Art 38h, 38i, 39):
HONOUR_LEGS = {2: "TRANSFERRED", 3: "ASSIGNED"}  # transferReference, assignmentReference
UNDERTAKING_FLAG = 1 << 255  # PaymentUndertakings' leg reference: bytes32(flag | undertakingId << 8 | leg)
UNDERTAKING_LEGS = {1: "PAY", 2: "CREDIT"}
PAYABLE_FLAG = 1 << 254  # PayablesFinance's leg reference: bytes32(flag | payableId << 8 | leg)
PAYABLE_LEGS = {1: "ADVANCE", 2: "PAY"}


def posting_reference(kind: PostingKind, raw: bytes | str) -> str:
    """The business reference of a posting; the ones the contracts make from ids read as what they name (LC 3,
    presentation 1: `LC3-P1-HONOUR` and `LC3-P1-REIMB`, and `LC3-P1-IBREIMB` for the issuing bank's reimbursement of
    a nominated bank, `LC3-P1-TRANSFERRED` and `LC3-P1-ASSIGNED` for the honour's legs to a second beneficiary
    (Art 38) and to an assignee of the proceeds (Art 39); order 7: `ORDER-7`; payment undertaking 5: `BPU5-PAY`
    from the obligor to the recipient bank and `BPU5-CREDIT` on to the seller or financier; guarantee 4, demand 2:
    `UT4-D2-PAY` and `UT4-D2-REIMB`; payable 6: `PF6-ADVANCE` from the financier to the supplier and `PF6-PAY` from
    the buyer at maturity) so that books can match.

    Why the leg in the LC references: the honour and the applicant's reimbursement carry the same id on chain,
    and, for the issuing bank, the same amount in opposite directions; one reference for both would read as a
    payment and its reversal."""
    text = reference_text(raw)
    if not text.startswith("0x"):
        return text
    value = int(text, 16)
    if kind in LC_PAYMENT_LEGS:
        leg = LC_PAYMENT_LEGS[kind]
        if kind is PostingKind.LC_REIMBURSEMENT and value & INTERBANK_LEG:
            value, leg = value ^ INTERBANK_LEG, "IBREIMB"
        elif kind is PostingKind.LC_HONOUR and value >> LEG_BITS in HONOUR_LEGS:
            value, leg = value & ((1 << LEG_BITS) - 1), HONOUR_LEGS[value >> LEG_BITS]
        lc, presentation = divmod(value, 1 << PRESENTATION_BITS)
        return f"LC{lc}-P{presentation}-{leg}"
    if kind in UNDERTAKING_PAYMENT_LEGS:
        guarantee, demand = divmod(value, 1 << PRESENTATION_BITS)
        return f"UT{guarantee}-D{demand}-{UNDERTAKING_PAYMENT_LEGS[kind]}"
    if value & UNDERTAKING_FLAG and (value & 0xFF) in UNDERTAKING_LEGS:  # an undertaking's settlement leg
        return f"BPU{(value ^ UNDERTAKING_FLAG) >> 8}-{UNDERTAKING_LEGS[value & 0xFF]}"
    if value >> 254 == 1 and (value & 0xFF) in PAYABLE_LEGS:  # a payable's leg (bit 254 set, bit 255 clear)
        return f"PF{(value ^ PAYABLE_FLAG) >> 8}-{PAYABLE_LEGS[value & 0xFF]}"
    if kind is PostingKind.OPEN_ACCOUNT_PAYMENT:
        return f"ORDER-{value}"
    return text


def ledger_entry(
    account: str,
    *,
    entry_id: int,
    debit: str | None,
    credit: str | None,
    currency: str,
    amount: int,
    kind: int,
    reference: bytes | str,
    booked_at: datetime,
    evidence: ChainEvidence,
) -> LedgerEntry:
    """The posting as seen from `account` (which must be its debit or credit side)."""
    debit = debit if debit and int(debit, 16) else ZERO_ADDRESS
    credit = credit if credit and int(credit, 16) else ZERO_ADDRESS
    if credit.lower() == account.lower():
        direction, counterparty = Direction.CREDIT, debit
    elif debit.lower() == account.lower():
        direction, counterparty = Direction.DEBIT, credit
    else:
        raise ValueError(f"entry {entry_id} does not touch {account}")
    return LedgerEntry(
        entry_id=entry_id,
        account=account,
        counterparty=counterparty,
        currency=currency,
        amount=amount,
        direction=direction,
        kind=PostingKind(kind).name,
        reference=posting_reference(PostingKind(kind), reference),
        booked_at=booked_at,
        evidence=evidence,
    )
