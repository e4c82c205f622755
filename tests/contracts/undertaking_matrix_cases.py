"""Role x function matrix rows (checklist A3) for Undertakings, consumed by test_role_matrix.CASES.

Authorization is membership of the right kind plus the caller's role in the undertaking, so most rows allow
exactly one party of an undertaking built by the row's builder and deny everyone else with
`UndertakingsUnauthorizedParty`.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.contracts.helpers import EUR, TRADERS, Case, World
from tests.contracts.lc_support import balance, warp
from tests.contracts.undertaking_support import (
    ADVISER,
    AMEND_AMOUNT,
    AMOUNT,
    APPLICANT,
    BENEFICIARY,
    DAY,
    GUARANTOR,
    ISP98,
    UT,
    counter_guarantee,
    get_demand,
    make_demand,
    open_undertaking,
    undertaking,
    ut_amendment,
    ut_terms,
)

NOT_PARTY = "UndertakingsUnauthorizedParty"
CODES = [b"DISCREPANCY".ljust(32, b"\0")]


def _apply_args(world: World, actor: str) -> tuple[object, ...]:
    beneficiary = BENEFICIARY if actor != BENEFICIARY else APPLICANT
    return (ut_terms(world, beneficiary=world.address(beneficiary)),)


def _ut(state: str) -> Callable[[World, str], tuple[int]]:
    return lambda world, actor: (open_undertaking(world, state),)


def _amended(world: World) -> int:
    gid = open_undertaking(world)
    world.tx(GUARANTOR, UT, "issueAmendment", gid, world.unique("am"), ut_amendment(AMEND_AMOUNT, amount=2 * AMOUNT))
    return gid


def _demanded(world: World, *, extend_or_pay: bool = False) -> tuple[int, int]:
    gid = open_undertaking(world)
    extend_to = undertaking(world, gid)["terms"]["expiry"] + 30 * DAY if extend_or_pay else 0
    return gid, make_demand(world, gid, 1_000, extend_to=extend_to)


def _suspended(world: World) -> tuple[int, int]:
    gid, did = _demanded(world, extend_or_pay=True)
    world.tx(GUARANTOR, UT, "suspendForExtension", gid, did, world.chain.timestamp() + 5 * DAY)
    return gid, did


def _overdue(world: World) -> tuple[int, int]:
    gid, did = _demanded(world)
    warp(world, get_demand(world, gid, did)["deadline"] + 1)
    return gid, did


def _relayable(world: World) -> tuple[object, ...]:
    gid, did = _demanded(world)
    cg = counter_guarantee(world, gid)
    world.tx(GUARANTOR, UT, "pay", gid, did)
    return cg, did, [], world.unique("statement"), 1_000


def _claim(world: World) -> tuple[int]:
    short = balance(world, APPLICANT, EUR) + 1
    gid = open_undertaking(world, currency=EUR, amount=short)
    receipt = world.tx(GUARANTOR, UT, "pay", gid, make_demand(world, gid, short))
    claim_id: int = receipt.event("ReimbursementClaimOpened")["claimId"]
    world.tx(GUARANTOR, "Settlement", "issue", world.address(APPLICANT), EUR, short, world.unique("fund"))
    return (claim_id,)


def _expired(world: World) -> tuple[int]:
    now = world.chain.timestamp()
    gid = open_undertaking(world, expiry=now + DAY)
    warp(world, now + 3 * DAY)
    return (gid,)


def _evergreen(world: World, *, notice_passed: bool) -> tuple[int]:
    """A standby extending by 30 days unless noticed 5 days before its expiry in 10 days (ISP98 2.06(a)), with
    the last day for that notice passed or not."""
    now = world.chain.timestamp()
    terms = {"rules": ISP98, "expiry": now + 10 * DAY, "extensionDays": 30, "nonExtensionNoticeDays": 5}
    sid = open_undertaking(world, **terms)
    if notice_passed:
        warp(world, now + 6 * DAY)
    return (sid,)


def _reduction_due(world: World) -> tuple[int]:
    """A guarantee whose first scheduled reduction (URDG 25(a)(ii)) took effect yesterday, not yet recorded."""
    today = world.chain.timestamp() // DAY
    gid = open_undertaking(world, reductionSchedule=[{"day": today + 1, "amount": 1_000}])
    warp(world, (today + 2) * DAY)
    return (gid,)


PARTIES = frozenset({APPLICANT, BENEFICIARY, GUARANTOR, ADVISER})

UNDERTAKINGS = [
    Case(UT, "applyForUndertaking", frozenset(TRADERS), _apply_args, "UndertakingsNotActiveMember"),
    Case(
        UT,
        "issueUndertaking",
        frozenset({GUARANTOR}),
        lambda w, a: (ut_terms(w), w.address(APPLICANT)),
        NOT_PARTY,
    ),
    Case(UT, "issue", frozenset({GUARANTOR}), _ut("APPLIED"), NOT_PARTY),
    Case(UT, "declineApplication", frozenset({GUARANTOR}), _ut("APPLIED"), NOT_PARTY),
    Case(UT, "advise", frozenset({ADVISER}), _ut("ISSUED"), NOT_PARTY),
    Case(
        UT,
        "issueAmendment",
        frozenset({GUARANTOR}),
        lambda w, a: (open_undertaking(w), w.unique("am"), ut_amendment(AMEND_AMOUNT, amount=2 * AMOUNT)),
        NOT_PARTY,
    ),
    Case(UT, "acceptAmendment", frozenset({BENEFICIARY}), lambda w, a: (_amended(w), 1, AMEND_AMOUNT), NOT_PARTY),
    Case(UT, "rejectAmendment", frozenset({BENEFICIARY}), lambda w, a: (_amended(w), 1), NOT_PARTY),
    Case(
        UT,
        "demand",
        frozenset({BENEFICIARY}),
        lambda w, a: (open_undertaking(w), [w.unique("doc")], w.unique("statement"), 1_000, 0),
        NOT_PARTY,
    ),
    Case(UT, "demandUnderCounterGuarantee", frozenset({GUARANTOR}), lambda w, a: _relayable(w), NOT_PARTY),
    Case(UT, "pay", frozenset({GUARANTOR}), lambda w, a: _demanded(w), NOT_PARTY),
    Case(UT, "reject", frozenset({GUARANTOR}), lambda w, a: (*_demanded(w), CODES), NOT_PARTY),
    Case(
        UT,
        "suspendForExtension",
        frozenset({GUARANTOR}),
        lambda w, a: (*_demanded(w, extend_or_pay=True), w.chain.timestamp() + 5 * DAY),
        NOT_PARTY,
    ),
    Case(UT, "extendForDemand", frozenset({GUARANTOR}), lambda w, a: _suspended(w), NOT_PARTY),
    Case(UT, "enforcePayment", frozenset({BENEFICIARY}), lambda w, a: _overdue(w), NOT_PARTY),
    Case(
        UT,
        "reduce",
        frozenset({GUARANTOR}),
        lambda w, a: (open_undertaking(w), 1_000, w.unique("doc")),
        NOT_PARTY,
    ),
    Case(
        UT,
        "releaseInPart",
        frozenset({BENEFICIARY}),
        lambda w, a: (open_undertaking(w), 1_000, w.unique("release")),
        NOT_PARTY,
    ),
    Case(UT, "release", frozenset({BENEFICIARY}), _ut("ADVISED"), NOT_PARTY),
    Case(UT, "expire", PARTIES, lambda w, a: _expired(w), "UndertakingsNotAParty"),
    Case(
        UT,
        "expireOnEvent",
        frozenset({GUARANTOR}),
        lambda w, a: (open_undertaking(w, expiryEvent=w.unique("event")), w.unique("doc")),
        NOT_PARTY,
    ),
    Case(
        UT,
        "extendAutomatically",
        PARTIES,
        lambda w, a: _evergreen(w, notice_passed=True),
        "UndertakingsNotAParty",
    ),
    Case(UT, "recordScheduledReductions", PARTIES, lambda w, a: _reduction_due(w), "UndertakingsNotAParty"),
    Case(UT, "noticeNonExtension", frozenset({GUARANTOR}), lambda w, a: _evergreen(w, notice_passed=False), NOT_PARTY),
    Case(UT, "settleReimbursementClaim", frozenset({APPLICANT}), lambda w, a: _claim(w), "UndertakingsNotClaimDebtor"),
]
