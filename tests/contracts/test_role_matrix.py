"""Role x function matrix (checklist A3): every external state-changing function of every deployed contract,
called by every actor of the cast; allowed cells succeed, denied cells revert with the named custom error.

The table is data: one `Case` per (function, situation). `TestMatrixCompleteness` fails when a deployed
contract has a mutator without a row, so adding a function (or a contract to `deploy_platform`) forces a row.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from tests.contracts.helpers import (
    ACTORS,
    ADMIT_AUDITOR,
    ADMIT_BANK,
    BANKS,
    EUR,
    OPEN_ACCOUNT,
    TRADERS,
    USD,
    Call,
    Case,
    World,
    codec,
    deploy,
    run_cell,
)
from tests.contracts.lc_matrix_cases import LETTER_OF_CREDIT
from tests.contracts.openaccount_matrix_cases import OPEN_ACCOUNT_CASES
from tests.contracts.records_matrix_cases import TITLE_AGENT_ROLE, TRANSFERABLE_RECORDS, issue_record
from tests.contracts.undertaking_matrix_cases import UNDERTAKINGS

ANYONE = frozenset(ACTORS)
ACTIVE_BANKS = frozenset(BANKS)
ACTIVE_HOLDERS = frozenset(BANKS + TRADERS)
UNAUTHORIZED = "AccessControlUnauthorizedAccount"
DEFAULT_ADMIN_ROLE = b"\x00" * 32
SOME_ROLE = keccak(text="SOME_ROLE")
DAY = 24 * 3600


# ------------------------------------------------------------------------------------------------ builders


def _order(world: World, *, terms: int = OPEN_ACCOUNT, steps: int = 0, due_in: int = 30 * DAY) -> int:
    """An order `trader` (buyer) -> `another_trader` (seller), advanced `steps` edges along the happy path."""
    now = world.chain.timestamp()
    due = now + due_in if terms == OPEN_ACCOUNT else 0
    receipt = world.tx(
        "trader",
        "TradeOrders",
        "createOrder",
        world.address("another_trader"),
        1_000,
        USD,
        world.unique("terms"),
        now + 10 * DAY,
        terms,
        due,
    )
    order_id: int = receipt.event("OrderCreated")["orderId"]
    path = [
        ("another_trader", "acceptOrder", ()),
        ("another_trader", "recordShipment", (world.unique("bl"),)),
        ("trader", "confirmDelivery", ()),
    ]
    for actor, function, extra in path[:steps]:
        world.tx(actor, "TradeOrders", function, order_id, *extra)
    return order_id


def _due_order(world: World) -> tuple[int]:
    order_id = _order(world, steps=3, due_in=20 * DAY)
    world.chain.increase_time(21 * DAY)
    return (order_id,)


def _document(world: World, *, financed: bool = False, record: bool = False) -> int:
    """A document of `trader` registered by `sponsor_bank`; with `record`, linked to a bill of lading it holds."""
    registration = (world.address("trader"), 0, USD, 10_000, [world.unique("fp"), world.unique("fp")])
    if record:
        receipt = world.tx("sponsor_bank", "DocumentRegistry", "registerDocumentWithRecord", *registration,
                           issue_record(world))  # fmt: skip
    else:
        receipt = world.tx("sponsor_bank", "DocumentRegistry", "registerDocument", *registration)
    document_id: int = receipt.event("DocumentRegistered")["documentId"]
    if financed:
        world.tx("sponsor_bank", "DocumentRegistry", "finance", document_id, 8_000, world.unique("ref"))
    return document_id


def _external_payment(world: World) -> int:
    receipt = world.tx(
        "trader",
        "Settlement",
        "recordExternalPayment",
        world.address("another_trader"),
        USD,
        500,
        0,
        world.unique(),
        world.unique(),
    )
    payment_id: int = receipt.event("ExternalPaymentRecorded")["paymentId"]
    return payment_id


def _counterpart(world: World, actor: str, default: str = "another_trader", other: str = "trader") -> str:
    return world.address(other if actor == default else default)


def _statement(world: World, actor: str) -> dict[str, Any]:
    return {
        "periodStart": 1_700_000_000,
        "periodEnd": 1_700_086_400,
        "account": world.address(actor),
        "counterparty": _counterpart(world, actor, "sponsor_bank", "bank"),
        "currency": USD,
        "merkleRoot": world.unique("root"),
        "entryCount": 3,
        "totalDebits": 100,
        "totalCredits": 200,
        "manifestHash": world.unique("manifest"),
    }


def _pending_admin(world: World, contract: str, actor: str) -> tuple[Any, ...]:
    world.tx("operator", contract, "beginDefaultAdminTransfer", world.address("another_bank"))
    world.chain.increase_time(2 * DAY + 10)
    return ()


def _fresh_membership(world: World, actor: str) -> Call:
    fresh = deploy(world.chain, world.actor("operator"), "Membership", 3600)
    return Call((world.address("bank"),), address=fresh.address)


def access_control_cases(contract: str, grantable_role: bytes) -> list[Case]:
    """Rows for the OpenZeppelin AccessControlDefaultAdminRules functions a contract inherits."""
    return [
        Case(
            contract,
            "grantRole",
            frozenset({"operator"}),
            lambda w, a: (grantable_role, w.address("bank")),
            UNAUTHORIZED,
        ),
        Case(
            contract,
            "revokeRole",
            frozenset({"operator"}),
            lambda w, a: (grantable_role, w.address("bank")),
            UNAUTHORIZED,
        ),
        Case(contract, "renounceRole", ANYONE, lambda w, a: (grantable_role, w.address(a)), UNAUTHORIZED),
        Case(
            contract,
            "beginDefaultAdminTransfer",
            frozenset({"operator"}),
            lambda w, a: (w.address("bank"),),
            UNAUTHORIZED,
        ),
        Case(
            contract,
            "cancelDefaultAdminTransfer",
            frozenset({"operator"}),
            lambda w, a: _pending_admin(w, contract, a),
            UNAUTHORIZED,
        ),
        Case(
            contract,
            "acceptDefaultAdminTransfer",
            frozenset({"another_bank"}),
            lambda w, a: _pending_admin(w, contract, a),
            "AccessControlInvalidDefaultAdmin",
        ),
        Case(contract, "changeDefaultAdminDelay", frozenset({"operator"}), lambda w, a: (DAY,), UNAUTHORIZED),
        Case(contract, "rollbackDefaultAdminDelay", frozenset({"operator"}), lambda w, a: (), UNAUTHORIZED),
    ]


# ------------------------------------------------------------------------------------------------ the table

MEMBERSHIP = [
    Case("Membership", "admitFoundingBank", frozenset({"operator"}), _fresh_membership, UNAUTHORIZED),
    Case(
        "Membership",
        "propose",
        ACTIVE_BANKS,
        lambda w, a: (ADMIT_BANK, w.address("new_bank")),
        "MembershipUnauthorized",
    ),
    Case(
        "Membership",
        "vote",
        frozenset({"bank", "another_bank"}),
        lambda w, a: (
            w.tx("sponsor_bank", "Membership", "propose", ADMIT_AUDITOR, w.address("new_auditor")).event(
                "ProposalCreated"
            )["proposalId"],
        ),
        {"sponsor_bank": "MembershipAlreadyVoted", "*": "MembershipUnauthorized"},
    ),
    Case(
        "Membership",
        "onboardTrader",
        ACTIVE_BANKS,
        lambda w, a: (w.address("new_trader"),),
        "MembershipUnauthorized",
    ),
    *(
        Case(
            "Membership",
            function,
            frozenset({"sponsor_bank"}),
            lambda w, a, subject=subject: (w.address(subject),),  # type: ignore[misc]
            {"bank": "MembershipNotSponsor", "another_bank": "MembershipNotSponsor", "*": "MembershipUnauthorized"},
        )
        for function, subject in (
            ("suspendTrader", "trader"),
            ("reinstateTrader", "suspended_trader"),
            ("offboardTrader", "trader"),
        )
    ),
    *access_control_cases("Membership", SOME_ROLE),
]

SETTLEMENT = [
    Case(
        "Settlement",
        "issue",
        frozenset({"sponsor_bank"}),
        lambda w, a: (w.address("trader"), USD, 100, w.unique()),
        "SettlementUnauthorizedIssuer",
        label="trader account",
    ),
    Case(
        "Settlement",
        "issue",
        frozenset({"agent"}),
        lambda w, a: (w.address("bank"), EUR, 100, w.unique()),
        "SettlementUnauthorizedIssuer",
        label="bank account",
    ),
    Case(
        "Settlement",
        "redeem",
        frozenset({"sponsor_bank"}),
        lambda w, a: (w.address("trader"), USD, 100, w.unique()),
        "SettlementUnauthorizedIssuer",
        label="trader account",
    ),
    Case(
        "Settlement",
        "redeem",
        frozenset({"agent"}),
        lambda w, a: (w.address("suspended_bank"), USD, 100, w.unique()),
        "SettlementUnauthorizedIssuer",
        label="suspended bank account",
    ),
    Case(
        "Settlement",
        "transfer",
        ACTIVE_HOLDERS,
        lambda w, a: (_counterpart(w, a), USD, 100, w.unique()),
        "SettlementUnauthorized",
    ),
    Case(
        "Settlement",
        "settleLeg",
        frozenset(),
        lambda w, a: (w.address("trader"), w.address("another_trader"), USD, 100, 7, w.unique()),
        UNAUTHORIZED,
    ),
    Case(
        "Settlement",
        "recordExternalPayment",
        ACTIVE_HOLDERS,
        lambda w, a: (_counterpart(w, a), USD, 100, 0, w.unique(), w.unique()),
        "SettlementUnauthorized",
    ),
    Case(
        "Settlement",
        "confirmExternalPayment",
        frozenset({"another_trader"}),
        lambda w, a: (_external_payment(w),),
        "SettlementNotPayee",
    ),
    Case(
        "Settlement",
        "rejectExternalPayment",
        frozenset({"another_trader"}),
        lambda w, a: (_external_payment(w),),
        "SettlementNotPayee",
    ),
    *access_control_cases("Settlement", keccak(text="SETTLER_ROLE")),
]

DOCUMENT_REGISTRY = [
    Case(
        "DocumentRegistry",
        "registerDocument",
        ACTIVE_BANKS | {"trader"},
        lambda w, a: (w.address("trader"), 0, USD, 10_000, [w.unique("fp")]),
        "DocumentRegistryUnauthorized",
    ),
    Case(
        "DocumentRegistry",
        "registerDocumentWithRecord",
        ACTIVE_BANKS | {"trader"},
        lambda w, a: (w.address("trader"), 1, USD, 10_000, [w.unique("fp")], issue_record(w)),
        "DocumentRegistryUnauthorized",
    ),
    Case(
        "DocumentRegistry",
        "finance",
        ACTIVE_BANKS,
        lambda w, a: (_document(w, record=True), 5_000, w.unique()),
        "DocumentRegistryUnauthorized",
        label="with record",
    ),
    Case(
        "DocumentRegistry",
        "finance",
        ACTIVE_BANKS,
        lambda w, a: (_document(w), 5_000, w.unique()),
        "DocumentRegistryUnauthorized",
    ),
    Case(
        "DocumentRegistry",
        "repay",
        frozenset({"trader"}),
        lambda w, a: (_document(w, financed=True), 1_000, w.unique()),
        "DocumentRegistryNotOwner",
    ),
    Case(
        "DocumentRegistry",
        "release",
        frozenset({"sponsor_bank"}),
        lambda w, a: (_document(w, financed=True),),
        "DocumentRegistryNotFinancier",
        label="financed",
    ),
    Case(
        "DocumentRegistry",
        "release",
        frozenset({"sponsor_bank", "trader"}),
        lambda w, a: (_document(w),),
        "DocumentRegistryNotOwner",
        label="registered",
    ),
    Case(
        "DocumentRegistry",
        "recordPresentation",
        frozenset(),
        lambda w, a: (w.unique("lc"), [w.unique("fp")]),
        UNAUTHORIZED,
    ),
    *access_control_cases("DocumentRegistry", keccak(text="PRESENTER_ROLE")),
]

PARTY_DENIAL = "TradeOrdersUnauthorized"
TRADE_ORDERS = [
    Case(
        "TradeOrders",
        "createOrder",
        frozenset(TRADERS),
        lambda w, a: (
            _counterpart(w, a),
            1_000,
            USD,
            w.unique("terms"),
            w.chain.timestamp() + 10 * DAY,
            OPEN_ACCOUNT,
            w.chain.timestamp() + 40 * DAY,
        ),
        PARTY_DENIAL,
    ),
    Case(
        "TradeOrders",
        "acceptOrder",
        frozenset({"another_trader"}),
        lambda w, a: (_order(w),),
        {"trader": "TradeOrdersNotParty", "*": PARTY_DENIAL},
    ),
    Case(
        "TradeOrders",
        "rejectOrder",
        frozenset({"another_trader"}),
        lambda w, a: (_order(w),),
        {"trader": "TradeOrdersNotParty", "*": PARTY_DENIAL},
    ),
    Case(
        "TradeOrders",
        "recordShipment",
        frozenset({"another_trader"}),
        lambda w, a: (_order(w, steps=1), w.unique("bl")),
        {"trader": "TradeOrdersNotParty", "*": PARTY_DENIAL},
    ),
    Case(
        "TradeOrders",
        "confirmDelivery",
        frozenset({"trader"}),
        lambda w, a: (_order(w, steps=2),),
        {"another_trader": "TradeOrdersNotParty", "*": PARTY_DENIAL},
    ),
    Case(
        "TradeOrders",
        "payOrder",
        frozenset({"trader"}),
        lambda w, a: (_order(w, steps=3),),
        {"another_trader": "TradeOrdersPaymentNotDue", "*": PARTY_DENIAL},
        label="before due date",
    ),
    Case(
        "TradeOrders",
        "payOrder",
        frozenset(TRADERS),
        lambda w, a: _due_order(w),
        PARTY_DENIAL,
        label="due",
    ),
    Case(
        "TradeOrders",
        "requestCancellation",
        frozenset(TRADERS),
        lambda w, a: (_order(w, steps=1),),
        PARTY_DENIAL,
    ),
    Case(
        "TradeOrders",
        "recordPaymentByUndertaking",
        frozenset(),  # PaymentUndertakings alone holds UNDERTAKING_ROLE: no member marks an order paid by hand
        lambda w, a: (_order(w, steps=3), 1, 1),
        UNAUTHORIZED,
    ),
    Case(
        "TradeOrders",
        "recordUndertaking",
        frozenset(),  # only PaymentUndertakings, as it establishes an undertaking, covers an order
        lambda w, a: (_order(w, steps=1), 1),
        UNAUTHORIZED,
    ),
    Case(
        "TradeOrders",
        "releaseUndertaking",
        frozenset(),  # only PaymentUndertakings, as its undertaking expires, releases the order
        lambda w, a: (_order(w, steps=1), 0),
        UNAUTHORIZED,
    ),
    *access_control_cases("TradeOrders", keccak(text="UNDERTAKING_ROLE")),
]

RECONCILIATION_ANCHOR = [
    Case(
        "ReconciliationAnchor",
        "anchor",
        ACTIVE_HOLDERS,
        lambda w, a: (_statement(w, a),),
        "ReconciliationAnchorUnauthorized",
    ),
]

# ---- LetterOfCredit rows live in tests/contracts/lc_matrix_cases.py, Undertakings rows in undertaking_matrix_cases.py.
CASES: list[Case] = [
    *MEMBERSHIP,
    *SETTLEMENT,
    *DOCUMENT_REGISTRY,
    *TRADE_ORDERS,
    *RECONCILIATION_ANCHOR,
    *LETTER_OF_CREDIT,
    *UNDERTAKINGS,
    *TRANSFERABLE_RECORDS,
    *access_control_cases("TransferableRecords", TITLE_AGENT_ROLE),
    *OPEN_ACCOUNT_CASES,  # Invoices and PaymentUndertakings: tests/contracts/openaccount_matrix_cases.py
]


class TestMatrixCompleteness:
    def test_cases_cover_every_mutator_of_every_deployed_contract(self, platform_world: World) -> None:
        covered = {(case.contract, case.function) for case in CASES}
        required = {(name, function) for name in platform_world.contracts for function in codec(name).mutators()}
        assert required - covered == set(), "mutators without a role-matrix row"
        assert covered - required == set(), "rows for functions that do not exist"

    def test_auditor_can_call_no_mutator(self) -> None:
        assert [case.id for case in CASES if "auditor" in case.allowed and case.function != "renounceRole"] == []


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
class TestRoleMatrix:
    def test_call_allowed_or_denied_with_named_error(self, world: World, case: Case, actor: str) -> None:
        run_cell(world, case, actor)
