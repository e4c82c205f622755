"""Role x function matrix rows of PayablesFinance and of the DocumentRegistry functions it holds FINANCER_ROLE for
(driven by tests/contracts/test_role_matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.contracts.helpers import BANKS, Case, World
from tests.contracts.openaccount_support import BUYER, DAY, FINANCIER
from tests.contracts.payables_support import (
    ACT_360,
    PAYABLES,
    RATE_BPS,
    approve,
    expected_advance,
    finance,
    invoice_document,
    matched_invoice,
    maturity_in,
)

DENIAL = "PayablesFinanceUnauthorized"


def _approve_args(world: World, _: str) -> tuple[Any, ...]:
    return (matched_invoice(world), 1_000, maturity_in(world), world.unique("terms"))


def _finance_args(world: World, actor: str) -> tuple[Any, ...]:
    payable_id = approve(world)
    registrar = actor if actor in BANKS else FINANCIER
    document_id = invoice_document(world, registrar=registrar)
    return (payable_id, document_id, RATE_BPS, ACT_360, expected_advance(world, payable_id))


def _due_financed(world: World, _: str) -> tuple[int]:
    payable_id = approve(world, days=5)
    finance(world, payable_id)
    world.chain.increase_time(5 * DAY)
    return (payable_id,)


def _financed_document(world: World, _: str) -> tuple[Any, ...]:
    return (invoice_document(world), world.address(FINANCIER), 1_000, world.unique("ref"))


def _closable_document(world: World, _: str) -> tuple[int, int]:
    document_id = invoice_document(world)
    world.tx(FINANCIER, "DocumentRegistry", "finance", document_id, 1_000, world.unique("ref"))
    return (document_id, 1)


PAYABLES_CASES = [
    Case(PAYABLES, "approve", frozenset({BUYER}), _approve_args, DENIAL),
    Case(PAYABLES, "finance", frozenset(BANKS), _finance_args, DENIAL),
    Case(PAYABLES, "collect", frozenset({BUYER, FINANCIER}), _due_financed, DENIAL),
    # FINANCER_ROLE is granted to the PayablesFinance contract only: no actor of the cast may call these directly
    Case("DocumentRegistry", "financeFor", frozenset(), _financed_document, "AccessControlUnauthorizedAccount"),
    Case("DocumentRegistry", "closeFor", frozenset(), _closable_document, "AccessControlUnauthorizedAccount"),
]
"""`finance` by an active bank (each against the invoice it registered itself); `collect` by the buyer or the payee
(the financier once financed: the supplier is denied then)."""
