"""Projections of Settlement: one ledger posting per `Posted`, balances and supplies updated incrementally,
and external payments.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.indexer.handlers._support import currency, evidence, existing, hex32, optional_address, require, stamp
from tradeledger.indexer.projections import EventRecord, projector
from tradeledger.settlements.models import (
    AccountBalance,
    CurrencySupply,
    ExternalPayment,
    ExternalPaymentState,
    ExternalRail,
    LedgerPosting,
    PostingKind,
)

SETTLEMENT = "Settlement"

projector.owns(LedgerPosting, AccountBalance, CurrencySupply, ExternalPayment)


def _move(db: Session, record: EventRecord, account: str, code: str, delta: int) -> None:
    entry_id: int = record.args["entryId"]
    balance = db.get(AccountBalance, (account, code))
    if balance is None:
        require(delta >= 0, record, f"{account} is debited {-delta} {code} without a balance")
        db.add(
            AccountBalance(account=account, currency=code, balance=delta, last_entry_id=entry_id, **evidence(record))
        )
        return
    require(balance.balance + delta >= 0, record, f"{account} holds {balance.balance} {code}, debited {-delta}")
    balance.balance += delta
    balance.last_entry_id = entry_id
    stamp(balance, record)


@projector.on(SETTLEMENT, "Posted")
def posted(db: Session, record: EventRecord) -> None:
    args = record.args
    entry_id, amount, code = args["entryId"], args["amount"], currency(args["currency"])
    kind = PostingKind(args["kind"])
    debit, credit = optional_address(args["debitAccount"]), optional_address(args["creditAccount"])
    require(debit is not None or kind is PostingKind.ISSUE, record, f"{kind.name} without a debit account")
    require(credit is not None or kind is PostingKind.REDEEM, record, f"{kind.name} without a credit account")
    db.add(
        LedgerPosting(
            entry_id=entry_id,
            debit_account=debit,
            credit_account=credit,
            currency=code,
            amount=amount,
            kind=kind,
            reference=hex32(args["ref"]),
            block_hash=record.block_hash,
            tx_index=record.tx_index,
            **evidence(record),
        )
    )
    if debit is not None:
        _move(db, record, debit, code, -amount)
    if credit is not None:
        _move(db, record, credit, code, amount)
    if kind in (PostingKind.ISSUE, PostingKind.REDEEM):
        supply = db.get(CurrencySupply, code)
        if supply is None:
            supply = CurrencySupply(
                currency=code, total_issued=0, total_redeemed=0, last_entry_id=entry_id, **evidence(record)
            )
            db.add(supply)
        if kind is PostingKind.ISSUE:
            supply.total_issued += amount
        else:
            supply.total_redeemed += amount
        supply.last_entry_id = entry_id
        stamp(supply, record)


@projector.on(SETTLEMENT, "ExternalPaymentRecorded")
def external_payment_recorded(db: Session, record: EventRecord) -> None:
    args = record.args
    db.add(
        ExternalPayment(
            payment_id=args["paymentId"],
            payer=args["payer"],
            payee=args["payee"],
            currency=currency(args["currency"]),
            amount=args["amount"],
            rail=ExternalRail(args["rail"]),
            rail_reference=hex32(args["railReference"]),
            reference=hex32(args["ref"]),
            state=ExternalPaymentState.RECORDED,
            recorded_at=record.block_timestamp,
            decided_at=None,
            **evidence(record),
        )
    )


def _decide(db: Session, record: EventRecord, state: ExternalPaymentState) -> None:
    payment = existing(db, ExternalPayment, record.args["paymentId"], record)
    require(payment.state is ExternalPaymentState.RECORDED, record, f"payment is {payment.state.name}")
    payment.state = state
    payment.decided_at = record.block_timestamp
    stamp(payment, record)


@projector.on(SETTLEMENT, "ExternalPaymentConfirmed")
def external_payment_confirmed(db: Session, record: EventRecord) -> None:
    _decide(db, record, ExternalPaymentState.CONFIRMED)


@projector.on(SETTLEMENT, "ExternalPaymentRejected")
def external_payment_rejected(db: Session, record: EventRecord) -> None:
    _decide(db, record, ExternalPaymentState.REJECTED)
