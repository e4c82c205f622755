"""Strict log decoding: the word-by-word path accepts exactly the logs eth_abi accepts and gives the same values;
and calls' encoding: the platform's own encoder gives eth_abi's bytes for every value eth_abi takes, and refuses
the rest as eth_abi does.

The reference below is how every log was decoded before the word path existed: each topic and the data through
eth_abi's strict `decode`, then normalised. Hypothesis draws topics and data for every event of every artifact:
valid encodings, encodings with one byte changed, truncated or extended data, and random words.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum
from typing import Any, TypeVar

import pytest
from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError, EncodingError, ParseError
from eth_abi.grammar import BasicType, parse
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeledger.chain import abi
from tradeledger.chain.abi import AbiEvent, AbiFunction, ContractAbi, UndecodableLogError, _normalise, load_abi
from tradeledger.chain.compiler import ARTIFACTS_DIR
from tradeledger.codec import InvalidValueError

T = TypeVar("T", AbiEvent, AbiFunction)


def each_once(declared: Iterable[tuple[str, T]]) -> list[tuple[str, T]]:
    """(contract, item) for each distinct item, by contract and name, named by the first contract declaring it. An
    event or function that several artifacts declare alike (inherited, or a shared library's) is one frozen value
    whose decoding or encoding reads nothing but its fields: drawing examples for each copy ran the same test again
    (on 2026-12-07: 201 events and 340 functions declared, 133 and 236 distinct)."""
    first: dict[T, str] = {}
    for contract, item in sorted(declared, key=lambda pair: (pair[0], pair[1].name)):
        first.setdefault(item, contract)
    return [(contract, item) for item, contract in first.items()]


EVENTS = each_once(
    (path.stem, event) for path in ARTIFACTS_DIR.glob("*.json") for event in load_abi(path.stem).events.values()
)


def _parses(kinds: tuple[str, ...]) -> bool:
    try:
        for kind in kinds:
            parse(kind)
    except ParseError:  # a library's internal function over user-defined types: nothing calls it by ABI
        return False
    return True


FUNCTIONS = each_once(
    (path.stem, function)
    for path in ARTIFACTS_DIR.glob("*.json")
    for function in load_abi(path.stem).functions.values()
    if _parses(function.input_types)
)
DYNAMIC = [(contract, event) for contract, event in EVENTS if any(kind.endswith("[]") for _, kind, _ in event.inputs)]


def _zero(kind: str) -> Any:
    """The zero value of a one-word type or a tuple of them."""
    parsed = parse(kind)
    if not isinstance(parsed, BasicType):
        return tuple(_zero(component.to_type_str()) for component in parsed.components)
    return {"address": "0x" + "00" * 20, "bool": False, "bytes": bytes(parsed.sub or 0)}.get(parsed.base, 0)


def reference(event: AbiEvent, topics: list[bytes], data: bytes) -> dict[str, Any]:
    indexed = [(name, kind) for name, kind, is_indexed in event.inputs if is_indexed]
    plain = [(name, kind) for name, kind, is_indexed in event.inputs if not is_indexed]
    if len(topics) != len(indexed) + 1:
        raise DecodingError("topic count")
    values = {name: _normalise(kind, decode([kind], topic, strict=True)[0]) for (name, kind), topic in
              zip(indexed, topics[1:], strict=True)}  # fmt: skip
    decoded = decode([kind for _, kind in plain], data, strict=True)
    values.update({name: _normalise(kind, value) for (name, kind), value in zip(plain, decoded, strict=True)})
    return {name: values[name] for name, _, _ in event.inputs}


def word_type(kind: str) -> tuple[str, int] | None:
    """(base, size) of a type that fills one word: address, bool, uintN (bits), bytesN (bytes); else None."""
    if kind in ("address", "bool"):
        return kind, 0
    parsed = parse(kind)
    if isinstance(parsed, BasicType) and not parsed.is_array and parsed.base in ("uint", "bytes"):
        return parsed.base, int(parsed.sub)
    return None


def out_of_range(kind: str) -> list[bytes]:
    """Words one stray bit or byte outside what `kind` allows."""
    base, size = word_type(kind) or ("", 0)
    if base == "address":
        return [bytes(11) + b"\x01" + bytes(20), b"\xff" * 32]
    if base == "bool":
        return [bytes(31) + b"\x02", b"\x01" + bytes(31)]
    if base == "uint":
        return [] if size == 256 else [(2**size).to_bytes(32, "big"), b"\xff" * 32]
    return [] if size == 32 else [bytes(size) + b"\x01" + bytes(31 - size), bytes(31) + b"\x01"]


def values_of(kind: str) -> st.SearchStrategy[Any]:
    """Valid values of `kind`: one-word types, tuples and arrays of them."""
    parsed = parse(kind)
    if parsed.is_array:
        item = values_of(parsed.item_type.to_type_str())
        size = parsed.arrlist[-1][0] if parsed.arrlist[-1] else None
        return st.lists(item, min_size=size or 0, max_size=size or 4)
    if not isinstance(parsed, BasicType):
        return st.tuples(*(values_of(component.to_type_str()) for component in parsed.components))
    base, size = word_type(kind) or ("", 0)
    if base == "address":
        return st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
    if base == "bool":
        return st.booleans()
    if base == "uint":
        return st.integers(0, 2**size - 1) | st.sampled_from([0, 2**size - 1])
    return st.binary(min_size=size, max_size=size)


class Flag(IntEnum):
    ON = 1


def argument(kind: str) -> st.SearchStrategy[Any]:
    """A value for an argument of `kind`, as a caller might pass it: mostly valid (addresses in every case, arrays
    as lists or tuples, shorter bytesN), else of a wrong type or just out of range."""
    parsed = parse(kind)
    if parsed.is_array:
        item = argument(parsed.item_type.to_type_str())
        size = parsed.arrlist[-1][0] if parsed.arrlist[-1] else None
        items = st.lists(item, min_size=size or 0, max_size=size or 4)
        return st.one_of(items, items.map(tuple), st.just("not a list"))
    if not isinstance(parsed, BasicType):
        return values_of(kind) | st.just(None)
    base, size = word_type(kind) or ("", 0)
    wrong = st.sampled_from([None, 1.0, "1", True, b"", bytearray(b"x"), Flag.ON, -1])
    if base == "address":
        raw = st.binary(min_size=20, max_size=20)
        return st.one_of(
            raw.map(lambda data: "0x" + data.hex()),
            raw.map(lambda data: "0x" + data.hex().upper()),
            raw.map(to_checksum_address),
            raw.map(lambda data: to_checksum_address(data).swapcase().replace("0X", "0x")),  # a wrong checksum
            raw,
            st.just("0x1234"),
            wrong,
        )
    if base == "bool":
        return st.booleans() | wrong
    if base == "uint":
        return st.one_of(values_of(kind), st.sampled_from([-1, 2**size, 2**size - 1, 0]), wrong)
    return st.one_of(values_of(kind), st.binary(max_size=size), st.binary(min_size=size + 1, max_size=size + 2), wrong)


@st.composite
def word(draw: st.DrawFn, kind: str) -> bytes:
    """A word for `kind`: mostly a valid encoding, else just out of range, one byte changed, or random."""
    valid = encode([kind], [draw(values_of(kind))])
    choice = draw(st.sampled_from(["valid", "valid", "valid", "outside", "byte", "random"]))
    if choice == "outside" and out_of_range(kind):
        return draw(st.sampled_from(out_of_range(kind)))
    if choice == "byte":
        position = draw(st.integers(0, 31))
        return valid[:position] + bytes([draw(st.integers(0, 255))]) + valid[position + 1 :]
    if choice == "random":
        return draw(st.binary(min_size=32, max_size=32))
    return valid


def offsets_in_head(kinds: list[str]) -> list[int]:
    """Byte positions of the dynamic fields' offsets in the head of an encoding of `kinds`."""
    positions, at = [], 0
    for kind in kinds:
        parsed = parse(kind)
        if parsed.is_array and not parsed.arrlist[-1]:
            positions.append(at)
        at += 32 * (len(parsed.components) if not parsed.is_array and not isinstance(parsed, BasicType) else 1)
    return positions


@st.composite
def encoding(draw: st.DrawFn, kinds: list[str]) -> bytes:
    """An encoding of `kinds`: word by word, or for tuples and arrays a valid encoding with one byte changed or
    one word replaced (by a small number, as a bent offset or array length, or a random word); sometimes cut
    short or extended."""
    if all(word_type(kind) for kind in kinds):
        data = b"".join(draw(word(kind)) for kind in kinds)
    else:
        data = encode(kinds, [draw(values_of(kind)) for kind in kinds])
        pointers = offsets_in_head(kinds)
        change = draw(st.sampled_from(["none", "byte", "small", "random"] + ["offset"] * 3 * bool(pointers)))
        if change == "offset" and pointers:  # an offset just inside or outside what eth_abi accepts
            at = draw(st.sampled_from(pointers))
            head = 32 * len(kinds)
            bent = draw(st.sampled_from([head - 32, head, len(data) - 32, len(data)]))
            data = data[:at] + max(bent, 0).to_bytes(32, "big") + data[at + 32 :]
        elif change == "byte":
            position = draw(st.integers(0, len(data) - 1))
            data = data[:position] + bytes([draw(st.integers(0, 255))]) + data[position + 1 :]
        elif change != "none":
            at = 32 * draw(st.integers(0, len(data) // 32 - 1))
            small = draw(st.integers(0, len(data) + 64)).to_bytes(32, "big")
            data = (
                data[:at]
                + (small if change == "small" else draw(st.binary(min_size=32, max_size=32)))
                + data[at + 32 :]
            )
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "extend"]))
    if damage == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "extend":
        data += draw(st.binary(min_size=1, max_size=40))
    return data


@st.composite
def logs(draw: st.DrawFn, event: AbiEvent) -> tuple[list[bytes], bytes]:
    indexed = [kind for _, kind, is_indexed in event.inputs if is_indexed]
    plain = [kind for _, kind, is_indexed in event.inputs if not is_indexed]
    topics = [event.topic] + [draw(encoding([kind])) for kind in indexed]
    if draw(st.integers(0, 20)) == 0:
        topics = topics[:-1] if len(topics) > 1 and draw(st.booleans()) else [*topics, bytes(32)]
    return topics, draw(encoding(plain))


class TestStrictLogDecoding:
    @pytest.mark.parametrize(("contract", "event"), EVENTS, ids=[f"{c}.{e.name}" for c, e in EVENTS])
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_same_acceptance_and_values_as_eth_abi(self, contract: str, event: AbiEvent, data: st.DataObject) -> None:
        topics, payload = data.draw(logs(event))
        try:
            expected = reference(event, topics, payload)
        except DecodingError:
            with pytest.raises(UndecodableLogError):
                event.decode(topics, payload)
            return
        assert event.decode(topics, payload) == expected

    @pytest.mark.parametrize(("contract", "event"), DYNAMIC, ids=[f"{c}.{e.name}" for c, e in DYNAMIC])
    def test_offsets_at_the_bounds_eth_abi_checks(self, contract: str, event: AbiEvent) -> None:
        """An array's offset must point past the head and inside the data: each bound, zeroed fields (an
        array length of 0 wherever the offset lands)."""
        plain = [kind for _, kind, is_indexed in event.inputs if not is_indexed]
        topics = [event.topic] + [bytes(32)] * (len(event.inputs) - len(plain))
        valid = encode(plain, [[] if kind.endswith("[]") else _zero(kind) for kind in plain]) + bytes(64)
        head = 32 * len(plain)
        for at in offsets_in_head(plain):
            for offset in (head - 32, head - 1, head, len(valid) - 32, len(valid) - 1, len(valid)):
                data = valid[:at] + offset.to_bytes(32, "big") + valid[at + 32 :]
                try:
                    expected: Any = reference(event, topics, data)
                except DecodingError:
                    expected = UndecodableLogError
                try:
                    actual: Any = event.decode(topics, data)
                except UndecodableLogError:
                    actual = UndecodableLogError
                assert actual == expected, (at, offset)

    def test_rejects_dirty_padding(self) -> None:
        posted = next(e for c, e in EVENTS if (c, e.name) == ("Settlement", "Posted"))
        address_topic = bytes(11) + b"\x01" + bytes(20)  # a non-zero byte in an address's padding
        topics = [posted.topic, bytes(31) + b"\x01", bytes(32), address_topic]
        data = encode(["bytes3", "uint256", "uint8", "bytes32"], [b"USD", 5, 2, bytes(32)])
        with pytest.raises(UndecodableLogError):
            posted.decode(topics, data)
        assert posted.decode([*topics[:3], bytes(32)], data)["amount"] == 5


class TestCallEncoding:
    @pytest.mark.parametrize(("contract", "function"), FUNCTIONS, ids=[f"{c}.{f.name}" for c, f in FUNCTIONS])
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_same_bytes_as_eth_abi(self, contract: str, function: AbiFunction, data: st.DataObject) -> None:
        args = [data.draw(argument(kind)) for kind in function.input_types]
        if data.draw(st.integers(0, 20)) == 0:
            args = args[:-1] if args and data.draw(st.booleans()) else [*args, 0]
        try:
            expected = function.selector + encode(function.input_types, args)
        except EncodingError:
            with pytest.raises(InvalidValueError):
                function.encode_call(args)
            return
        assert function.encode_call(args) == expected
        assert function.encode_call(tuple(args)) == expected


def test_threads_missing_the_cache_at_once_build_a_contract_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold start's first requests all ask for the same ABI: one builds it, the others wait and get the same one."""
    builds: list[str] = []

    def slow_build(contract: str) -> ContractAbi:
        builds.append(contract)
        time.sleep(0.05)  # every other thread reaches the miss meanwhile
        return real_build(contract)

    real_build = abi._built
    monkeypatch.setattr(abi, "_LOADED", {})
    monkeypatch.setattr(abi, "_built", slow_build)
    threads = 16
    together = threading.Barrier(threads)

    def first_call(_: int) -> ContractAbi:
        together.wait()
        return load_abi("Settlement")

    with ThreadPoolExecutor(threads) as pool:
        loaded = list(pool.map(first_call, range(threads)))
    assert builds == ["Settlement"]
    assert all(one is loaded[0] for one in loaded)
