"""Builders for Undertakings tests: terms, an undertaking advanced along the happy path, demands, states.

The cast comes from `tests.contracts.helpers` (ACTORS): `trader` is the applicant, `another_trader` the
beneficiary, `sponsor_bank` the guarantor, `bank` the advising party; a counter-guarantee is given by
`another_bank` (the counter-guarantor) to `sponsor_bank` (the guarantor) for the same applicant.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

from tests.contracts.helpers import EUR, USD, World
from tests.contracts.lc_support import balance, start_on_monday, warp

DAY = 86_400
UT = "Undertakings"
URDG, ISP98 = 0, 1

STATES = ("NONE", "APPLIED", "ISSUED", "ADVISED", "EXHAUSTED", "EXPIRED", "RELEASED", "DECLINED")
AMENDMENT_STATES = ("NONE", "ISSUED", "ACCEPTED", "REJECTED")
DEMAND_STATES = ("NONE", "PRESENTED", "SUSPENDED", "PAID", "REJECTED", "WITHDRAWN")
CLAIM_STATES = ("NONE", "OPEN", "SETTLED")
PARTY = ("APPLICANT", "BENEFICIARY", "GUARANTOR", "ADVISING_PARTY")
UNDERTAKING_PAYMENT, UNDERTAKING_REIMBURSEMENT = 9, 10
AMEND_AMOUNT, AMEND_EXPIRY = 1, 2

APPLICANT, BENEFICIARY = "trader", "another_trader"
GUARANTOR, ADVISER, COUNTER_GUARANTOR = "sponsor_bank", "bank", "another_bank"
AMOUNT = 500_000  # 5,000.00 USD in minor units


def ut_terms(world: World, **overrides: Any) -> dict[str, Any]:
    """The on-chain terms (UndertakingTerms) of a standard URDG 758 demand guarantee, relative to chain time."""
    now = world.chain.timestamp()
    value: dict[str, Any] = {
        "termsHash": world.unique("guarantee-terms"),
        "rules": URDG,
        "beneficiary": world.address(BENEFICIARY),
        "guarantor": world.address(GUARANTOR),
        "advisingParty": world.address(ADVISER),
        "currency": USD,
        "amount": AMOUNT,
        "expiry": now + 90 * DAY,
        "expiryEvent": b"\0" * 32,
        "examinationDays": 0,
        "statementExcluded": False,
        "reducible": True,
        "counterGuaranteeOf": 0,
        "extensionDays": 0,
        "nonExtensionNoticeDays": 0,
        "finalExpiry": 0,
        "reductionSchedule": [],
    }
    value.update(overrides)
    return value


def open_undertaking(world: World, state: str = "ADVISED", **overrides: Any) -> int:
    """Apply for a standard guarantee and advance it along APPLIED -> ISSUED -> ADVISED up to `state`."""
    receipt = world.tx(APPLICANT, UT, "applyForUndertaking", ut_terms(world, **overrides))
    undertaking_id: int = receipt.event("UndertakingCreated")["undertakingId"]
    if state in ("ISSUED", "ADVISED"):
        world.tx(GUARANTOR, UT, "issue", undertaking_id)
    if state == "ADVISED":
        world.tx(ADVISER, UT, "advise", undertaking_id)
    return undertaking_id


def counter_guarantee(world: World, guarantee_id: int, **overrides: Any) -> int:
    """`another_bank` issues directly a counter-guarantee to `sponsor_bank` supporting `guarantee_id`."""
    values = {
        "beneficiary": world.address(GUARANTOR),
        "guarantor": world.address(COUNTER_GUARANTOR),
        "advisingParty": "0x" + "00" * 20,
        "counterGuaranteeOf": guarantee_id,
        **overrides,
    }
    terms = ut_terms(world, **values)
    receipt = world.tx(COUNTER_GUARANTOR, UT, "issueUndertaking", terms, world.address(APPLICANT))
    cg_id: int = receipt.event("UndertakingCreated")["undertakingId"]
    return cg_id


def make_demand(
    world: World,
    undertaking_id: int,
    amount: int = AMOUNT,
    *,
    extend_to: int = 0,
    statement: bytes | None = None,
    documents: list[bytes] | None = None,
) -> int:
    """The beneficiary demands with its supporting statement (URDG 15(a)) and one document."""
    docs = documents if documents is not None else [world.unique("doc")]
    stmt = statement if statement is not None else world.unique("statement")
    receipt = world.tx(BENEFICIARY, UT, "demand", undertaking_id, docs, stmt, amount, extend_to)
    demand_id: int = receipt.event("DemandPresented")["demandId"]
    return demand_id


def undertaking(world: World, undertaking_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(UT, "getUndertaking", undertaking_id)
    return value


def ut_state(world: World, undertaking_id: int) -> str:
    return STATES[undertaking(world, undertaking_id)["state"]]


def get_demand(world: World, undertaking_id: int, demand_id: int) -> dict[str, Any]:
    value: dict[str, Any] = world.call(UT, "getDemand", undertaking_id, demand_id)
    return value


def demand_state(world: World, undertaking_id: int, demand_id: int) -> str:
    return DEMAND_STATES[get_demand(world, undertaking_id, demand_id)["state"]]


def ut_amendment(fields: int = 0, **values: Any) -> dict[str, Any]:
    """An AmendmentTerms value: `fields` flags which of the values apply."""
    value: dict[str, Any] = {"fields": fields, "amount": 0, "expiry": 0}
    value.update(values)
    return value


SCENARIO_CODES = [keccak(text="NO_STATEMENT"), keccak(text="AMOUNT")]


def _evergreen_scenario(world: World) -> None:
    """ISP98 2.06(a): an evergreen standby extends by itself; its issuer's notice of non-extension stops that.
    URDG 25(a)(ii): a guarantee's reduction schedule takes effect on its day and is recorded once."""
    now = world.chain.timestamp()
    evergreen = {"rules": ISP98, "expiry": now + 10 * DAY, "extensionDays": 30, "nonExtensionNoticeDays": 5}
    extending = open_undertaking(world, **evergreen, finalExpiry=now + 200 * DAY)
    world.tx(GUARANTOR, UT, "noticeNonExtension", open_undertaking(world, **evergreen))
    steps = [{"day": now // DAY + 3, "amount": 50_000}, {"day": now // DAY + 30, "amount": 50_000}]
    scheduled = open_undertaking(world, reductionSchedule=steps)
    warp(world, now + 6 * DAY)  # past the last day for notice: the expiry day less five days
    world.tx(BENEFICIARY, UT, "extendAutomatically", extending)
    world.tx(GUARANTOR, UT, "recordScheduledReductions", scheduled)


def undertakings_scenario(world: World) -> None:
    """Every event of Undertakings at least once (the replay and the indexer tests drive it)."""
    start_on_monday(world)
    tx = world.tx
    tx(GUARANTOR, UT, "declineApplication", open_undertaking(world, "APPLIED"))
    tx(BENEFICIARY, UT, "release", open_undertaking(world, "ISSUED"))
    tx(GUARANTOR, UT, "expireOnEvent", open_undertaking(world, expiryEvent=world.unique("ev")), world.unique("doc"))
    direct = tx(GUARANTOR, UT, "issueUndertaking", ut_terms(world, expiry=0), world.address(APPLICANT))
    direct_id = direct.event("UndertakingCreated")["undertakingId"]
    standby = open_undertaking(world, rules=ISP98, examinationDays=5, statementExcluded=True)
    # the main guarantee with a counter-guarantee: amendments, demands of every outcome, reductions
    main = open_undertaking(world)
    cg = counter_guarantee(world, main, expiry=0)
    expiry = undertaking(world, main)["terms"]["expiry"]
    both = ut_amendment(AMEND_AMOUNT | AMEND_EXPIRY, amount=2 * AMOUNT, expiry=expiry + 20 * DAY)
    tx(GUARANTOR, UT, "issueAmendment", main, world.unique("am"), both)
    tx(GUARANTOR, UT, "issueAmendment", main, world.unique("am"), ut_amendment(AMEND_AMOUNT, amount=AMOUNT))
    tx(GUARANTOR, UT, "issueAmendment", main, world.unique("am"), ut_amendment(0))
    tx(BENEFICIARY, UT, "acceptAmendment", main, 1, both["fields"])
    tx(BENEFICIARY, UT, "acceptAmendment", main, 2, 0)  # partial acceptance: rejected
    tx(BENEFICIARY, UT, "rejectAmendment", main, 3)
    paid = make_demand(world, main, 100_000, documents=[world.unique("d"), world.unique("d")])
    tx(GUARANTOR, UT, "pay", main, paid)
    tx(GUARANTOR, UT, "reject", main, make_demand(world, main, 50_000), SCENARIO_CODES)
    new_expiry = undertaking(world, main)["terms"]["expiry"] + 60 * DAY
    extended = make_demand(world, main, 70_000, extend_to=new_expiry)
    tx(GUARANTOR, UT, "suspendForExtension", main, extended, world.chain.timestamp() + 10 * DAY)
    tx(GUARANTOR, UT, "extendForDemand", main, extended)
    tx(GUARANTOR, UT, "reduce", main, 25_000, world.unique("reduction"))
    tx(BENEFICIARY, UT, "releaseInPart", main, 5_000, world.unique("release"))
    relayed = tx(GUARANTOR, UT, "demandUnderCounterGuarantee", cg, paid, [], world.unique("stmt"), 100_000)
    tx(COUNTER_GUARANTOR, UT, "pay", cg, relayed.event("DemandPresented")["demandId"])
    suspended = make_demand(world, main, 30_000, extend_to=new_expiry + DAY)
    tx(GUARANTOR, UT, "suspendForExtension", main, suspended, world.chain.timestamp() + 2 * DAY)
    precluded = make_demand(world, standby, 40_000, statement=b"\0" * 32)
    # an applicant that cannot reimburse at once: an open claim, settled later
    short = balance(world, APPLICANT, EUR) + 1
    unfunded = open_undertaking(world, "ISSUED", currency=EUR, amount=short)
    tx(GUARANTOR, UT, "pay", unfunded, make_demand(world, unfunded, short))  # -> EXHAUSTED with a claim
    warp(world, get_demand(world, standby, precluded)["deadline"] + 1)
    tx(BENEFICIARY, UT, "enforcePayment", standby, precluded)
    tx(BENEFICIARY, UT, "enforcePayment", main, suspended)
    tx(GUARANTOR, "Settlement", "issue", world.address(APPLICANT), EUR, short, world.unique("fund"))
    tx(APPLICANT, UT, "settleReimbursementClaim", 1)
    _evergreen_scenario(world)
    short_lived = open_undertaking(world, expiry=world.chain.timestamp() + DAY)
    warp(world, world.chain.timestamp() + 3 * DAY)
    tx(ADVISER, UT, "expire", short_lived)
    assert world.error(APPLICANT, UT, "expire", direct_id) is not None  # the three-year default has not passed
