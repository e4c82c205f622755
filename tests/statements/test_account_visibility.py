"""Who sees an account, from the read model's role grants and members, on SQLite and PostgreSQL: the settlement
agent sees the banks' accounts (Settlement lets it issue to and redeem from them) and no trader's."""

from __future__ import annotations

import pytest

from tests.members import AGENT, AUDITOR, BANK, OTHER_BANK
from tests.statements.conftest import EAST_BANK, TRADER, WEST_BANK, Ledger
from tradeledger.members.models import MemberKind
from tradeledger.settlements.service import AccountNotFoundError, visible_account

CASES = [  # viewer, its kind, account, visible
    (AGENT.address, None, BANK.address, True),
    (AGENT.address, None, WEST_BANK.address, True),
    (AGENT.address, None, TRADER.address, False),
    (AGENT.address, None, AUDITOR.address, False),
    (AGENT.address, None, "0x" + "ab" * 20, False),
    (BANK.address, MemberKind.BANK, TRADER.address, True),  # its client
    (BANK.address, MemberKind.BANK, OTHER_BANK.address, False),
    (EAST_BANK.address, MemberKind.BANK, WEST_BANK.address, False),
    (TRADER.address, MemberKind.TRADER, BANK.address, False),
]


def test_who_sees_which_account(instance: Ledger) -> None:
    with instance.platform.sessions() as db:
        for viewer, kind, account, visible in CASES:
            if visible:
                assert visible_account(db, viewer, kind, account.lower()) == account
            else:
                with pytest.raises(AccountNotFoundError):
                    visible_account(db, viewer, kind, account)
