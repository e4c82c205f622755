"""The balance read, in two parts: its rows, which do not depend on who asks, and its view for the caller once
checked (api.auth.Reader reads both in one statement, as identity.service.caller_with does)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.members.models import MemberKind
from tradeledger.settlements import repository
from tradeledger.settlements.schemas import AccountBalances, Balance
from tradeledger.settlements.service import visible_account
from tradeledger.store.reads import Rows


def balance_rows(account: str) -> Rows:
    """The account's (currency, balance, last_entry_id) rows, in no particular order."""
    return Rows(repository.BALANCES_OF, {"account": checksum(account)})


def balances(
    db: Session, viewer: str, viewer_kind: MemberKind | None, rows: Sequence[tuple[Any, ...]], account: str
) -> AccountBalances:
    """An account's balances per currency, in exact minor units, from its `balance_rows` (404 for an account the
    viewer may not see: the rows are then dropped unseen)."""
    visible_account(db, viewer, viewer_kind, account)
    return AccountBalances(
        account=account,
        balances=[
            Balance(currency=currency, amount=str(amount), last_entry_id=str(last_entry_id))
            for currency, amount, last_entry_id in sorted(rows)
        ],
    )
