"""Role x function matrix rows (checklist A3) for TransferableRecords, consumed by test_role_matrix.CASES.

Only the record's controller moves it (`TransferableRecordsNotController` for every other active bank or
trader, `TransferableRecordsUnauthorized` for everyone else); the title-agent hooks belong to TITLE_AGENT_ROLE,
which the builders grant to `agent` for the row (on the platform it is the LetterOfCredit contract's and
DocumentRegistry's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from eth_utils import keccak

from tests.contracts.helpers import BANKS, TRADERS, Case, World

RECORDS = "TransferableRecords"
TITLE_AGENT_ROLE = keccak(text="TITLE_AGENT_ROLE")
BILL_OF_LADING, WAREHOUSE_RECEIPT, PROMISSORY_NOTE, OTHER = range(4)
RECORD_STATES = ("NONE", "HELD", "PLEDGED", "ESCROWED", "SURRENDERED", "VOID")
UNAUTHORIZED = "AccessControlUnauthorizedAccount"
ESCROW_KEY = (7).to_bytes(32, "big")


def only_controller(controller: str) -> Mapping[str, str]:
    """Every active party but `controller` is told who controls the record; anyone else is no party at all."""
    return {
        **{party: "TransferableRecordsNotController" for party in (*BANKS, *TRADERS) if party != controller},
        "*": "TransferableRecordsUnauthorized",
    }


def issue_record(
    world: World, *, issuer: str = "bank", holder: str = "trader", to_order: bool = False
) -> int:  # fmt: skip
    receipt = world.tx(issuer, RECORDS, "issue", BILL_OF_LADING, world.unique("bl"), world.address(holder), to_order)
    record_id: int = receipt.event("RecordIssued")["recordId"]
    return record_id


def lodged_record(world: World) -> int:
    """A record `trader` presented: lodged with `bank` under ESCROW_KEY by `agent` (made a title agent)."""
    world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, world.address("agent"))
    record_id = issue_record(world)
    world.tx("agent", RECORDS, "lodge", record_id, world.address("trader"), world.address("bank"), ESCROW_KEY)
    return record_id


def _with(step: Callable[[World, int], object]) -> Callable[[World, str], tuple[int]]:
    def build(world: World, actor: str) -> tuple[int]:
        record_id = issue_record(world)
        step(world, record_id)
        return (record_id,)

    return build


def _title_agent(world: World, actor: str) -> tuple[object, ...]:
    world.tx("operator", RECORDS, "grantRole", TITLE_AGENT_ROLE, world.address("agent"))
    return (issue_record(world), world.address("trader"), world.address("bank"), ESCROW_KEY)


def _secured(world: World, actor: str) -> tuple[object, ...]:
    record_id = lodged_record(world)
    world.tx(
        "agent", RECORDS, "passTitle", record_id, ESCROW_KEY, world.address("another_trader"), world.address("bank")
    )
    return (record_id, ESCROW_KEY)


TRANSFERABLE_RECORDS = [
    Case(
        RECORDS,
        "issue",
        frozenset(BANKS + TRADERS),
        lambda w, a: (BILL_OF_LADING, w.unique("bl"), w.address("trader"), True),
        "TransferableRecordsUnauthorized",
    ),
    Case(
        RECORDS,
        "endorse",
        frozenset({"trader"}),
        lambda w, a: (issue_record(w, to_order=True), w.address("another_trader")),
        only_controller("trader"),
    ),
    Case(
        RECORDS,
        "transfer",
        frozenset({"trader"}),
        lambda w, a: (issue_record(w), w.address("another_trader")),
        only_controller("trader"),
    ),
    Case(
        RECORDS,
        "pledge",
        frozenset({"trader"}),
        lambda w, a: (issue_record(w), w.address("another_bank")),
        only_controller("trader"),
    ),
    *(
        Case(
            RECORDS,
            function,
            frozenset({"another_bank"}),
            _with(lambda w, r: w.tx("trader", RECORDS, "pledge", r, w.address("another_bank"))),
            only_controller("another_bank"),
        )
        for function in ("releasePledge", "enforcePledge")
    ),
    Case(RECORDS, "surrender", frozenset({"trader"}), _with(lambda w, r: None), only_controller("trader")),
    *(
        Case(
            RECORDS,
            function,
            frozenset({"bank"}),
            _with(lambda w, r: w.tx("trader", RECORDS, "surrender", r)),
            only_controller("bank"),
        )
        for function in ("rejectSurrender", "voidRecord")
    ),
    Case(RECORDS, "lodge", frozenset({"agent"}), _title_agent, UNAUTHORIZED),
    Case(
        RECORDS,
        "returnToPresenter",
        frozenset({"agent"}),
        lambda w, a: (lodged_record(w), ESCROW_KEY),
        UNAUTHORIZED,
    ),
    Case(
        RECORDS,
        "passTitle",
        frozenset({"agent"}),
        lambda w, a: (lodged_record(w), ESCROW_KEY, w.address("another_trader"), w.address("bank")),
        UNAUTHORIZED,
    ),
    Case(
        RECORDS,
        "pledgeAsSecurity",
        frozenset({"agent"}),
        lambda w, a: (*_title_agent(w, a)[:3], ESCROW_KEY),
        UNAUTHORIZED,
    ),
    Case(RECORDS, "releaseSecurity", frozenset({"agent"}), _secured, UNAUTHORIZED),
]
