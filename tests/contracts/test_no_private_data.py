"""No private data on chain (checklist A15): every event field and function input of the platform's contracts
is an id, an address, an amount, a currency code, a date, a state or a hash; never text or free-form bytes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.helpers import artifact

CONTRACTS = (
    "Membership",
    "Settlement",
    "DocumentRegistry",
    "TradeOrders",
    "ReconciliationAnchor",
    "LetterOfCredit",
    "TransferableRecords",
)

ALLOWED_TYPES = {
    "address",  # parties
    "uint256",  # ids and amounts in minor units
    "uint64",  # dates (unix seconds) and counts
    "uint48",  # OpenZeppelin admin-transfer delays and schedules
    "uint32",  # vote tallies
    "uint16",  # basis points
    "uint8",  # enums (states, kinds)
    "bool",  # consents, flags
    "bytes3",  # ISO 4217 currency codes
    "bytes32",  # ids and keccak / sha-256 / HMAC hashes
}


def _leaf_types(param: dict[str, Any], path: str) -> list[tuple[str, str]]:
    kind = str(param["type"])
    base = kind.split("[", 1)[0]
    if base == "tuple":
        return [leaf for c in param["components"] for leaf in _leaf_types(c, f"{path}.{c['name']}")]
    return [(path, base)]


def _fields(name: str) -> list[tuple[str, str]]:
    fields = []
    for entry in artifact(name)["abi"]:
        if entry["type"] == "event" or (
            entry["type"] == "function" and entry["stateMutability"] not in ("view", "pure")
        ):
            for param in entry["inputs"]:
                fields.extend(_leaf_types(param, f"{name}.{entry['name']}.{param['name']}"))
    return fields


class TestNoPrivateData:
    @pytest.mark.parametrize("name", CONTRACTS)
    def test_abi_fields_only_ids_amounts_codes_dates_states_hashes(self, name: str) -> None:
        offending = [(path, kind) for path, kind in _fields(name) if kind not in ALLOWED_TYPES]
        assert offending == [], "commercial data must stay off chain: hash it"

    def test_check_rejects_strings_and_dynamic_bytes(self) -> None:
        fake = {
            "type": "tuple",
            "name": "x",
            "components": [{"type": "string", "name": "s"}, {"type": "bytes", "name": "b"}],
        }
        assert {kind for _, kind in _leaf_types(fake, "x")} - ALLOWED_TYPES == {"string", "bytes"}
