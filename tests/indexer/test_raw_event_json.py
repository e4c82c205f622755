"""The raw events' canonical JSON: whichever encoder writes it, the text is the standard library's sorted, compact
JSON, byte for byte, so raw events stored before and after the faster encoder compare equal and replay alike."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tradeledger.indexer.fetcher import canonical_json


def _standard(args: Any) -> str:
    return json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)


# what the ABI decoder gives: names to 0x-hex strings, addresses, booleans, unsigned integers up to uint256, and
# arrays or structs of them
_HEX = st.binary(max_size=32).map(lambda raw: "0x" + raw.hex())
_VALUES = st.recursive(
    st.one_of(_HEX, st.booleans(), st.integers(min_value=0, max_value=2**256 - 1)),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)


class TestCanonicalJson:
    @given(st.dictionaries(st.text(min_size=1, max_size=12), _VALUES, max_size=8))
    def test_equals_the_standard_librarys_sorted_compact_json(self, args: dict[str, Any]) -> None:
        assert canonical_json(args) == _standard(args)

    def test_integers_beyond_64_bits_and_non_ascii_text_are_written_as_the_standard_library_writes_them(self) -> None:
        args = {"amount": 2**256 - 1, "entryId": 2**64, "memo": "货款 €", "kind": 2**64 - 1}
        assert canonical_json(args) == _standard(args)
        assert json.loads(canonical_json(args))["amount"] == 2**256 - 1
