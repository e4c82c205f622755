"""ABI encoding and strict decoding straight through eth_abi, from the committed artifacts.

The hot write path encodes calls here (no web3 contract objects, no per-call RPC), the pre-flight turns revert
data into named custom errors, and the indexer decodes logs strictly: a log it cannot decode stops it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_abi.exceptions import (
    DecodingError,
    EncodingError,
    InsufficientDataBytes,
    InvalidPointer,
    NonEmptyPaddingBytes,
)
from eth_abi.grammar import BasicType, parse
from eth_utils.address import is_address, to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak

from tradeledger.chain.compiler import ARTIFACTS_DIR
from tradeledger.codec import InvalidValueError
from tradeledger.errors import TradeLedgerError

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class UndecodableLogError(TradeLedgerError):
    """A log of a platform contract does not match its ABI: the indexer must stop, not guess."""

    code = "undecodable_log"


def _type_string(parameter: dict[str, Any]) -> str:
    kind: str = parameter["type"]
    if kind.startswith("tuple"):
        return f"({','.join(_type_string(c) for c in parameter['components'])}){kind[5:]}"
    return kind


@lru_cache(maxsize=65_536)
def _checksummed(address: str | bytes) -> str:
    # EIP-55 hashes the address: the same few accounts recur in almost every log, so remember them
    return str(to_checksum_address(address))


@lru_cache(maxsize=1_024)
def _parsed(kind: str) -> Any:  # eth_abi's grammar is untyped
    return parse(kind)


def _normalise(kind: str, value: Any) -> Any:
    """JSON-friendly values: checksummed addresses (inside structs and arrays too), 0x-hex bytes, lists."""
    if kind == "address":
        return _checksummed(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        parsed = _parsed(kind)
        if parsed.is_array:
            item = parsed.item_type.to_type_str()
            return [_normalise(item, element) for element in value]
        components = [component.to_type_str() for component in parsed.components]
        return [_normalise(component, element) for component, element in zip(components, value, strict=True)]
    return value


WordDecoder = Callable[[bytes], Any]
"""Decodes one 32-byte ABI word into its normalised value, as strictly as eth_abi does."""

_ZERO_WORD = bytes(32)


def _padding_error(kind: str, word: bytes) -> NonEmptyPaddingBytes:
    return NonEmptyPaddingBytes(f"{kind} word 0x{word.hex()} has non-zero padding or is out of range")


def _word_decoder(kind: str) -> WordDecoder | None:
    """A decoder for the types the platform's events carry in one word (uintN, address, bool, bytesN), or None.

    eth_abi decodes these through streams and several layers, twice per static field; the indexer decodes
    every log, so these few types are read straight from the word with the same checks: the padding must be
    zero (and a bool 0 or 1), else the word is rejected.
    """
    if kind == "address":

        def address(word: bytes) -> str:
            if word[:12] != _ZERO_WORD[:12]:
                raise _padding_error(kind, word)
            return _checksummed(word[12:])

        return address
    if kind == "bool":

        def boolean(word: bytes) -> bool:
            if word[:31] != _ZERO_WORD[:31] or word[31] > 1:
                raise _padding_error(kind, word)
            return word[31] == 1

        return boolean
    parsed = _parsed(kind)
    if not isinstance(parsed, BasicType) or parsed.is_array or parsed.base not in ("uint", "bytes") or not parsed.sub:
        return None
    if parsed.base == "uint":
        limit = 1 << int(parsed.sub)

        def unsigned(word: bytes) -> int:
            value = int.from_bytes(word, "big")
            if value >= limit:
                raise _padding_error(kind, word)
            return value

        return unsigned
    size = int(parsed.sub)  # bytesN: N bytes, left-aligned

    def fixed_bytes(word: bytes) -> str:
        if word[size:] != _ZERO_WORD[size:]:
            raise _padding_error(kind, word)
        return "0x" + word[:size].hex()

    return fixed_bytes


def _single_decoder(kind: str) -> WordDecoder:
    """Any one value, through eth_abi (strict) for the types `_word_decoder` does not read itself."""
    word = _word_decoder(kind)
    if word is None:
        return lambda data: _normalise(kind, decode([kind], data, strict=True)[0])

    def first_word(data: bytes) -> Any:
        if len(data) < 32:
            raise InsufficientDataBytes(f"Tried to read 32 bytes, only got {len(data)} bytes.")
        return word(data[:32])

    return first_word


FieldReader = Callable[[bytes, int], Any]
"""Reads one field of a tuple's head (and its tail, if dynamic) at a byte position of the data."""


def _words(data: bytes, position: int, count: int) -> None:
    if position + 32 * count > len(data):
        raise InsufficientDataBytes(f"Tried to read {32 * count} bytes at {position}, only got {len(data)} in all.")


def _field_reader(kind: str, head: int) -> tuple[int, FieldReader] | None:
    """(head words, reader) for a field of one word, a static tuple of such fields or a dynamic array of one-word
    items; None for any other type. `head` is where eth_abi lets a dynamic field's offset point from: after one
    word per field of the tuple (it counts a static tuple as one word too)."""
    word = _word_decoder(kind)
    if word is not None:

        def one_word(data: bytes, position: int) -> Any:
            _words(data, position, 1)
            return word(data[position : position + 32])

        return 1, one_word
    parsed = _parsed(kind)
    if parsed.is_array and len(parsed.arrlist) == 1 and not parsed.arrlist[0]:
        item = _word_decoder(parsed.item_type.to_type_str())
        if item is None:
            return None

        def dynamic_array(data: bytes, position: int) -> list[Any]:
            _words(data, position, 1)
            offset = int.from_bytes(data[position : position + 32], "big")
            if offset < head or offset >= len(data):
                raise InvalidPointer(f"Invalid pointer in tuple at location {position} in payload")
            _words(data, offset, 1)
            count = int.from_bytes(data[offset : offset + 32], "big")
            _words(data, offset + 32, count)
            return [item(data[start : start + 32]) for start in range(offset + 32, offset + 32 + 32 * count, 32)]

        return 1, dynamic_array
    if not parsed.is_array and not isinstance(parsed, BasicType):  # a tuple: static if every component is a word
        components = [_word_decoder(component.to_type_str()) for component in parsed.components]
        if any(component is None for component in components):
            return None
        readers = [component for component in components if component is not None]

        def static_tuple(data: bytes, position: int) -> list[Any]:
            _words(data, position, len(readers))
            return [read(data[position + 32 * i : position + 32 * i + 32]) for i, read in enumerate(readers)]

        return len(readers), static_tuple
    return None


def _tuple_decoder(kinds: tuple[str, ...]) -> Callable[[bytes], tuple[Any, ...]]:
    """The values of a head-tail encoded tuple, read field by field here when every field is of a kind
    `_field_reader` knows (the platform's events), else through eth_abi; bytes after the last field are not
    read, as eth_abi does not read them."""
    fields = [_field_reader(kind, 32 * len(kinds)) for kind in kinds]
    if any(field is None for field in fields):
        return lambda data: tuple(
            _normalise(k, v) for k, v in zip(kinds, decode(kinds, data, strict=True), strict=True)
        )
    readers: list[tuple[int, FieldReader]] = []
    position = 0
    for field in fields:
        assert field is not None
        readers.append((position, field[1]))
        position += 32 * field[0]

    def decode_fields(data: bytes) -> tuple[Any, ...]:
        return tuple(read(data, at) for at, read in readers)

    return decode_fields


WordEncoder = Callable[[Any], bytes | None]
"""One value as its 32-byte ABI word, or None for a value it does not take as it is: eth_abi then encodes it, or
says why it cannot (so what these accept and give is exactly what eth_abi does, never more)."""

_FALSE_WORD, _TRUE_WORD = bytes(32), bytes(31) + b"\x01"


@lru_cache(maxsize=65_536)
def _address_word(value: str) -> bytes | None:
    # eth_abi checks an address's EIP-55 checksum (a keccak) at every call: the same few accounts recur
    return bytes(12) + to_canonical_address(value) if is_address(value) else None


def _word_encoder(kind: str) -> WordEncoder | None:
    """An encoder of the one-word types of the platform's calls (address, bool, uintN, bytesN) for the values they
    take as they are (an `int` in range, `bytes` short enough, `True`/`False`, a valid address `str`); None for any
    other type."""
    if kind == "address":
        return lambda value: _address_word(value) if type(value) is str else None
    if kind == "bool":
        return lambda value: _TRUE_WORD if value is True else _FALSE_WORD if value is False else None
    parsed = _parsed(kind)
    if not isinstance(parsed, BasicType) or parsed.is_array or parsed.base not in ("uint", "bytes") or not parsed.sub:
        return None
    size = int(parsed.sub)
    if parsed.base == "bytes":
        return lambda value: value.ljust(32, b"\0") if type(value) is bytes and len(value) <= size else None
    limit = 1 << size
    return lambda value: value.to_bytes(32, "big") if type(value) is int and 0 <= value < limit else None


def _array_encoder(kind: str) -> WordEncoder | None:
    """The tail of a dynamic array of one-word items (its length, then its items), for a list or tuple of values
    its item encoder takes; None for any other type."""
    parsed = _parsed(kind)
    if not parsed.is_array or len(parsed.arrlist) != 1 or parsed.arrlist[0]:
        return None
    item = _word_encoder(parsed.item_type.to_type_str())
    if item is None:
        return None

    def dynamic_array(values: Any) -> bytes | None:
        if type(values) is not list and type(values) is not tuple:
            return None
        words = [len(values).to_bytes(32, "big")]
        for value in values:
            if (word := item(value)) is None:
                return None
            words.append(word)
        return b"".join(words)

    return dynamic_array


def _arguments_encoder(kinds: tuple[str, ...]) -> Callable[[Sequence[Any]], bytes | None] | None:
    """The head-tail encoding of a call's arguments when every type is one word or a dynamic array of one-word items
    (almost every platform call), or None for a value eth_abi must judge: its encoders validate and pad each value
    through several layers, ~27 µs a call, as much as signing it. None for other types (tuples, `bytes`, `string`:
    eth_abi encodes those calls)."""
    fields: list[tuple[WordEncoder, bool]] = []  # (encoder, whether its encoding is a tail the head points to)
    for kind in kinds:
        if (word := _word_encoder(kind)) is not None:
            fields.append((word, False))
        elif (array := _array_encoder(kind)) is not None:
            fields.append((array, True))
        else:
            return None
    head_size = 32 * len(fields)

    def encode_arguments(values: Sequence[Any]) -> bytes | None:
        if len(values) != len(fields):
            return None
        head: list[bytes] = []
        tail: list[bytes] = []
        tail_size = 0
        for (encoder, dynamic), value in zip(fields, values, strict=True):
            if (encoded := encoder(value)) is None:
                return None
            if dynamic:
                head.append((head_size + tail_size).to_bytes(32, "big"))
                tail.append(encoded)
                tail_size += len(encoded)
            else:
                head.append(encoded)
        return b"".join(head) + b"".join(tail)

    return encode_arguments


@dataclass(frozen=True)
class AbiFunction:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    mutates: bool

    @cached_property
    def _arguments(self) -> Callable[[Sequence[Any]], bytes | None] | None:
        return _arguments_encoder(self.input_types)

    def encode_call(self, args: tuple[Any, ...] | list[Any]) -> bytes:
        """The calldata; a value outside its ABI type (a negative date, an amount above uint256) is a 422."""
        if self._arguments is not None and (encoded := self._arguments(args)) is not None:
            return self.selector + encoded
        try:
            return self.selector + encode(self.input_types, list(args))
        except EncodingError as error:
            raise InvalidValueError(f"{self.name}: {' '.join(str(error).split())}") from None

    def decode_result(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(self.output_types, data))


@dataclass(frozen=True)
class AbiError:
    name: str
    selector: bytes
    input_names: tuple[str, ...]
    input_types: tuple[str, ...]

    def decode(self, data: bytes) -> dict[str, Any]:
        values = decode(self.input_types, data)
        return {n: _normalise(t, v) for n, t, v in zip(self.input_names, self.input_types, values, strict=True)}


@dataclass(frozen=True)
class AbiEvent:
    name: str
    topic: bytes
    inputs: tuple[tuple[str, str, bool], ...]  # (name, type, indexed)

    @cached_property
    def _topic_decoders(self) -> tuple[tuple[str, WordDecoder], ...]:
        return tuple((name, _single_decoder(kind)) for name, kind, indexed in self.inputs if indexed)

    @cached_property
    def _data_names(self) -> tuple[str, ...]:
        return tuple(name for name, _, indexed in self.inputs if not indexed)

    @cached_property
    def _data_decoder(self) -> Callable[[bytes], tuple[Any, ...]]:
        return _tuple_decoder(tuple(kind for _, kind, indexed in self.inputs if not indexed))

    def decode(self, topics: list[bytes], data: bytes) -> dict[str, Any]:
        """The arguments by name in ABI order; a log that does not match the ABI raises UndecodableLogError."""
        expected = len(self._topic_decoders) + 1
        if len(topics) != expected:
            raise UndecodableLogError(f"{self.name}: expected {expected} topics, got {len(topics)}")
        try:
            indexed = zip(self._topic_decoders, topics[1:], strict=True)
            values = {name: decoder(topic) for (name, decoder), topic in indexed}
            values.update(zip(self._data_names, self._data_decoder(data), strict=True))
        except DecodingError as error:
            raise UndecodableLogError(f"{self.name}: {error}") from None
        return {name: values[name] for name, _, _ in self.inputs}


class ContractAbi:
    """One contract's functions, errors and events, indexed for encoding and decoding."""

    def __init__(self, name: str, abi: list[dict[str, Any]]) -> None:
        self.name = name
        self.abi = abi
        self.functions: dict[str, AbiFunction] = {}
        self.errors: dict[bytes, AbiError] = {}
        self.events: dict[bytes, AbiEvent] = {}
        for item in abi:
            if item["type"] == "function":
                types = tuple(_type_string(p) for p in item["inputs"])
                signature = f"{item['name']}({','.join(types)})"
                self.functions[item["name"]] = AbiFunction(
                    name=item["name"],
                    selector=keccak(text=signature)[:4],
                    input_types=types,
                    output_types=tuple(_type_string(p) for p in item["outputs"]),
                    mutates=item["stateMutability"] not in {"view", "pure"},
                )
            elif item["type"] == "error":
                types = tuple(_type_string(p) for p in item["inputs"])
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                names = tuple(p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"]))
                self.errors[selector] = AbiError(item["name"], selector, names, types)
            elif item["type"] == "event" and not item.get("anonymous"):
                types = tuple(_type_string(p) for p in item["inputs"])
                topic = keccak(text=f"{item['name']}({','.join(types)})")
                inputs = tuple((p["name"], _type_string(p), bool(p["indexed"])) for p in item["inputs"])
                self.events[topic] = AbiEvent(item["name"], topic, inputs)

    def function(self, name: str) -> AbiFunction:
        try:
            return self.functions[name]
        except KeyError:
            raise TradeLedgerError(f"{self.name} has no function {name!r}", code="unknown_function") from None

    def decode_error(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        """The custom error (name, arguments) behind revert data, or None if it is not one of ours."""
        error = self.errors.get(data[:4])
        if error is None:
            return None
        try:
            return error.name, error.decode(data[4:])
        except DecodingError:
            return None

    def decode_log(self, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]]:
        if not topics or topics[0] not in self.events:
            raise UndecodableLogError(
                f"{self.name} emitted a log with unknown topic {topics[0].hex() if topics else '-'}"
            )
        event = self.events[topics[0]]
        return event.name, event.decode(topics, data)


_LOADED: dict[str, ContractAbi] = {}
_LOADING = threading.Lock()


def load_abi(contract: str) -> ContractAbi:
    """The ABI of a contract from its committed artifact, built once per process.

    A miss builds under a lock: on a cold start the first requests' threads all asked for Settlement's at once, and
    `functools.cache`, which holds no concurrent caller back, built it 22 times over (some 20 ms of CPU each, under
    the interpreter lock). Builds of different contracts wait for each other too, which costs nothing: they would
    take turns at the interpreter lock anyway."""
    found = _LOADED.get(contract)
    if found is None:
        with _LOADING:
            found = _LOADED.get(contract)
            if found is None:
                found = _LOADED[contract] = _built(contract)
    return found


def _built(contract: str) -> ContractAbi:
    path = ARTIFACTS_DIR / f"{contract}.json"
    try:
        artifact = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise TradeLedgerError(f"no artifact for contract {contract!r} at {path}", code="unknown_contract") from None
    return ContractAbi(contract, artifact["abi"])


@cache
def known_contracts() -> tuple[str, ...]:
    """Every contract (and library) with a committed artifact."""
    return tuple(sorted(path.stem for path in ARTIFACTS_DIR.glob("*.json")))


def decode_any_error(called: str, data: bytes) -> tuple[str, str, dict[str, Any]] | None:
    """The custom error behind revert data as (declaring contract, name, arguments), or None if no contract of ours
    declares it. The contract called is asked first, then every other: a contract that another one calls (Settlement
    under PaymentUndertakings, TradeOrders under its settlement) reverts with its own error, bubbled up unchanged."""
    for contract in (called, *(name for name in known_contracts() if name != called)):
        decoded = load_abi(contract).decode_error(data)
        if decoded is not None:
            return contract, decoded[0], decoded[1]
    return None


def standard_revert_reason(data: bytes) -> str | None:
    """Solidity's Error(string) and Panic(uint256) reverts, which carry no custom error."""
    if data[:4] == keccak(text="Error(string)")[:4]:
        return str(decode(["string"], data[4:])[0])
    if data[:4] == keccak(text="Panic(uint256)")[:4]:
        return f"panic 0x{decode(['uint256'], data[4:])[0]:02x}"
    return None


@lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """EIP-55 form of an address (raises ValueError on a malformed one).

    Remembered: a keccak in pure Python costs about 40 µs, as much as a balance read's query, and the API
    checksums the same few addresses (members, their counterparties) on every request that names one."""
    return str(to_checksum_address(address))


def role_id(name: str) -> bytes:
    """An OpenZeppelin AccessControl role id: keccak256 of its name."""
    return bytes(keccak(text=name))


def security_key(agent: str, object_id: int) -> str:
    """The key a title agent pledges a record under for one of its objects (DocumentRegistry: a financed document),
    `keccak256(abi.encode(agent, id))`, as 0x-hex: which pledge of a record is that object's."""
    return "0x" + bytes(keccak(encode(["address", "uint256"], [checksum(agent), object_id]))).hex()
