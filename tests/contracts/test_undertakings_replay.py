"""Event completeness for Undertakings (checklist A12): replaying its events through a pure model reproduces
every getter (undertakings, amendments, demands, reimbursement claims) field for field.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

from tests.contracts.helpers import Event, World
from tests.contracts.undertaking_support import (
    AMEND_AMOUNT,
    AMEND_EXPIRY,
    DEMAND_STATES,
    STATES,
    UT,
    undertakings_scenario,
)

ZERO32 = b"\0" * 32
NO_STATE = {"UndertakingDeclined", "UndertakingAdvised", "UndertakingReleased", "ReimbursementSettled"}
"""Events whose state change is the `UndertakingStateChanged` next to them, or a Settlement leg."""
DEMAND = {name: index for index, name in enumerate(DEMAND_STATES)}


class Model:
    def __init__(self) -> None:
        self.undertakings: dict[int, dict[str, Any]] = {}
        self.amendments: dict[tuple[int, int], dict[str, Any]] = {}
        self.demands: dict[tuple[int, int], dict[str, Any]] = {}
        self.claims: dict[int, dict[str, Any]] = {}

    def apply(self, event: Event, timestamp: int) -> None:
        a = event.args
        name = event.name
        if name in NO_STATE:
            return
        handler = getattr(self, f"on_{name}", None)
        assert handler is not None, f"no replay rule for {name}"
        handler(a, timestamp)

    def on_UndertakingCreated(self, a: dict[str, Any], _: int) -> None:
        self.undertakings[a["undertakingId"]] = {
            "terms": dict(a["terms"]),
            "applicant": a["applicant"],
            "state": self.undertakings.get(a["undertakingId"], {}).get("state", 0),
            "issuedAt": 0,
            "paid": 0,
            "reduced": 0,
            "reserved": 0,
            "counterGuaranteeId": 0,
            "amendmentCount": 0,
            "demandCount": 0,
            "openDemandCount": 0,
            "expiryEventDocument": ZERO32,
            "nonExtensionNoticed": False,
            "reductionsRecorded": 0,
        }

    def on_UndertakingStateChanged(self, a: dict[str, Any], _: int) -> None:
        self.undertakings.setdefault(a["undertakingId"], {"state": 0})["state"] = a["to"]

    def on_UndertakingIssued(self, a: dict[str, Any], timestamp: int) -> None:
        stored = self.undertakings[a["undertakingId"]]
        stored["terms"]["expiry"], stored["issuedAt"] = a["expiry"], timestamp

    def on_CounterGuaranteeLinked(self, a: dict[str, Any], _: int) -> None:
        self.undertakings[a["guaranteeId"]]["counterGuaranteeId"] = a["counterGuaranteeId"]

    def on_UndertakingExtendedAutomatically(self, a: dict[str, Any], _: int) -> None:
        terms = self.undertakings[a["undertakingId"]]["terms"]
        assert terms["expiry"] == a["previousExpiry"]
        terms["expiry"] = a["expiry"]

    def on_NonExtensionNoticeGiven(self, a: dict[str, Any], _: int) -> None:
        self.undertakings[a["undertakingId"]]["nonExtensionNoticed"] = True

    def on_AmendmentIssued(self, a: dict[str, Any], timestamp: int) -> None:
        self.undertakings[a["undertakingId"]]["amendmentCount"] += 1
        self.amendments[(a["undertakingId"], a["amendmentId"])] = {
            "changes": dict(a["changes"]),
            "amendmentHash": a["amendmentHash"],
            "state": 1,
            "issuedAt": timestamp,
            "decidedAt": 0,
        }

    def on_AmendmentAccepted(self, a: dict[str, Any], timestamp: int) -> None:
        stored = self.amendments[(a["undertakingId"], a["amendmentId"])]
        stored["state"], stored["decidedAt"] = 2, timestamp
        terms, changes = self.undertakings[a["undertakingId"]]["terms"], stored["changes"]
        if changes["fields"] & AMEND_AMOUNT:
            terms["amount"] = changes["amount"]
        if changes["fields"] & AMEND_EXPIRY:
            terms["expiry"] = changes["expiry"]

    def on_AmendmentRejected(self, a: dict[str, Any], timestamp: int) -> None:
        stored = self.amendments[(a["undertakingId"], a["amendmentId"])]
        stored["state"], stored["decidedAt"] = 3, timestamp

    def on_DemandPresented(self, a: dict[str, Any], timestamp: int) -> None:
        stored = self.undertakings[a["undertakingId"]]
        stored["demandCount"] += 1
        stored["openDemandCount"] += 1
        stored["reserved"] += a["amount"]
        self.demands[(a["undertakingId"], a["demandId"])] = {
            "amount": a["amount"],
            "statementHash": a["statementHash"],
            "documentsHash": keccak(b"".join(a["documentHashes"])),
            "documentCount": len(a["documentHashes"]),
            "state": DEMAND["PRESENTED"],
            "presentedAt": timestamp,
            "presentationDay": a["presentationDay"],
            "deadline": a["deadline"],
            "extendTo": a["extendTo"],
            "suspendedUntil": 0,
            "discrepancyCount": 0,
            "discrepanciesHash": ZERO32,
            "precluded": False,
            "relayed": False,
            "underDemandId": a["underDemandId"],
            "claimId": 0,
        }
        if a["underDemandId"]:
            guarantee = stored["terms"]["counterGuaranteeOf"]
            self.demands[(guarantee, a["underDemandId"])]["relayed"] = True

    def _close(self, a: dict[str, Any], state: str) -> dict[str, Any]:
        stored = self.demands[(a["undertakingId"], a["demandId"])]
        undertaking = self.undertakings[a["undertakingId"]]
        undertaking["reserved"] -= stored["amount"]
        undertaking["openDemandCount"] -= 1
        stored["state"] = DEMAND[state]
        return stored

    def on_DemandSuspended(self, a: dict[str, Any], _: int) -> None:
        stored = self.demands[(a["undertakingId"], a["demandId"])]
        stored["state"], stored["suspendedUntil"] = DEMAND["SUSPENDED"], a["until"]

    def on_DemandWithdrawnByExtension(self, a: dict[str, Any], _: int) -> None:
        self._close(a, "WITHDRAWN")
        self.undertakings[a["undertakingId"]]["terms"]["expiry"] = a["expiry"]

    def on_DemandPaid(self, a: dict[str, Any], _: int) -> None:
        self._close(a, "PAID")["precluded"] = a["precluded"]
        self.undertakings[a["undertakingId"]]["paid"] += a["amount"]

    def on_DemandRejected(self, a: dict[str, Any], _: int) -> None:
        stored = self._close(a, "REJECTED")
        stored["discrepancyCount"] = len(a["discrepancies"])
        stored["discrepanciesHash"] = keccak(b"".join(a["discrepancies"]))

    def on_ReimbursementClaimOpened(self, a: dict[str, Any], _: int) -> None:
        self.claims[a["claimId"]] = {
            "undertakingId": a["undertakingId"],
            "demandId": a["demandId"],
            "guarantor": a["guarantor"],
            "applicant": a["applicant"],
            "currency": a["currency"],
            "state": 1,
            "amount": a["amount"],
        }
        self.demands[(a["undertakingId"], a["demandId"])]["claimId"] = a["claimId"]

    def on_ReimbursementClaimSettled(self, a: dict[str, Any], _: int) -> None:
        self.claims[a["claimId"]]["state"] = 2

    def on_UndertakingReduced(self, a: dict[str, Any], _: int) -> None:
        self.undertakings[a["undertakingId"]]["reduced"] += a["amount"]
        assert self._outstanding(a["undertakingId"]) == a["outstanding"]

    on_UndertakingReleasedInPart = on_UndertakingReduced  # URDG 25: the beneficiary's release reduces alike

    def on_UndertakingReducedOnSchedule(self, a: dict[str, Any], _: int) -> None:
        stored = self.undertakings[a["undertakingId"]]
        step = stored["terms"]["reductionSchedule"][stored["reductionsRecorded"]]
        assert (a["step"], a["day"], a["amount"]) == (stored["reductionsRecorded"] + 1, step["day"], step["amount"])
        stored["reduced"] += a["amount"]
        stored["reductionsRecorded"] += 1
        assert self._outstanding(a["undertakingId"]) == a["outstanding"]

    def _outstanding(self, undertaking_id: int) -> int:
        """Amount less payments and recorded reductions, never below zero (a scheduled step takes what is left)."""
        stored = self.undertakings[undertaking_id]
        return max(0, int(stored["terms"]["amount"] - stored["paid"] - stored["reduced"]))

    def on_UndertakingExpired(self, a: dict[str, Any], _: int) -> None:
        self.undertakings[a["undertakingId"]]["expiryEventDocument"] = a["eventDocument"]


class TestUndertakingsEventReplay:
    def test_replayed_events_reproduce_every_getter(self, world: World) -> None:
        """A12: the events alone (with block timestamps) rebuild every undertaking, amendment, demand, claim."""
        undertakings_scenario(world)
        model = Model()
        timestamps: dict[int, int] = {}
        names = set()
        for event in world.logs():
            if event.contract != UT:
                continue
            if event.block not in timestamps:
                block = world.chain.rpc("eth_getBlockByNumber", hex(event.block), False)
                timestamps[event.block] = int(block["timestamp"], 16)
            model.apply(event, timestamps[event.block])
            names.add(event.name)
        emitted = {e["name"] for e in world[UT].codec.abi if e["type"] == "event"}
        assert emitted - names == set(), "the scenario must exercise every event"

        assert world.call(UT, "undertakingCount") == len(model.undertakings)
        assert world.call(UT, "claimCount") == len(model.claims)
        for undertaking_id, expected in model.undertakings.items():
            got = world.call(UT, "getUndertaking", undertaking_id)
            assert got == expected, (undertaking_id, STATES[expected["state"]])
        for (undertaking_id, amendment_id), expected in model.amendments.items():
            assert world.call(UT, "getAmendment", undertaking_id, amendment_id) == expected
        for (undertaking_id, demand_id), expected in model.demands.items():
            got = world.call(UT, "getDemand", undertaking_id, demand_id)
            assert got == expected, (undertaking_id, demand_id, DEMAND_STATES[expected["state"]])
        for claim_id, expected in model.claims.items():
            assert world.call(UT, "getReimbursementClaim", claim_id) == expected
