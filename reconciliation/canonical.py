"""Canonical leaf encoding of a ledger entry: the bytes whose Merkle root gets anchored on chain.

The encoding describes the *posting as emitted* by the Settlement contract, not one account's view of it:
the debited and the credited account instead of account / counterparty / direction. Bank A's statement
restricted to counterparty B and bank B's statement restricted to counterparty A therefore produce the
same leaves, in the same (block, log index) order, and the same root; that equality is what the
bilateral confirmation checks.

Layout `TLE1` (version 1), all integers unsigned big-endian, no padding between fields::

    offset  size  field
    0       4     magic b"TLE1" (0x544c4531): domain separation and version
    4       32    entry_id         uint256
    36      20    debit_account    address (20 bytes; the account whose balance decreases)
    56      20    credit_account   address (20 bytes; the account whose balance increases)
    76      3     currency         ISO 4217 alphabetic code, ASCII
    79      32    amount           uint256, minor units
    111     32    chain_id         uint256
    143     8     block_number     uint64
    151     32    tx_hash          bytes32
    183     4     log_index        uint32
    187     2     len(kind)        uint16
    189     k     kind             UTF-8, as emitted (e.g. "LC_HONOUR")
    189+k   2     len(reference)   uint16
    191+k   r     reference        UTF-8, as emitted (no normalisation)

In Solidity this is `abi.encodePacked(bytes4("TLE1"), entryId, debit, credit, bytes3(ccy), amount,
chainId, uint64(block), txHash, uint32(logIndex), uint16(bytes(kind).length), kind,
uint16(bytes(ref).length), ref)`, and the Merkle leaf hash is `sha256(0x00 || leaf)` (RFC 6962).

Why binary and not canonical JSON: a fixed layout leaves nothing to canonicalise (key order, number
formatting, Unicode escapes) and is cheap to recompute on chain. Addresses compare by their 20 bytes, so
checksum case does not matter. Not included: `booked_at` and the block hash, which follow from the block
number on the chain, and the running balance, which is account-specific.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reconciliation.entries import Direction, LedgerEntry
from reconciliation.merkle import StreamingRoot, leaf_hash
from reconciliation.statements.model import StatementLine

MAGIC = b"TLE1"
ENCODING_NAME = "tradeledger-entry-v1"
_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


class EncodingError(ValueError):
    """The entry cannot be encoded (malformed address or hash, value out of range)."""


_ADDRESS_CACHE: dict[str, bytes] = {}


def _address(value: str) -> bytes:
    found = _ADDRESS_CACHE.get(value)
    if found is None:
        if not _HEX_ADDRESS.fullmatch(value):
            raise EncodingError(f"not a 20-byte hex address: {value!r}")
        if len(_ADDRESS_CACHE) >= 4096:  # bounded: statements have few distinct counterparties
            _ADDRESS_CACHE.clear()
        found = _ADDRESS_CACHE[value] = bytes.fromhex(value[2:])
    return found


_CREDIT = Direction.CREDIT
_CURRENCY_CACHE: dict[str, bytes] = {}


def _currency(code: str) -> bytes:
    found = _CURRENCY_CACHE.get(code)
    if found is None:
        found = code.encode("ascii", "replace")
        if len(found) != 3 or not code.isalpha() or not code.isupper():
            raise EncodingError(f"currency {code!r} is not a 3-letter ISO 4217 code")
        _CURRENCY_CACHE[code] = found
    return found


def debit_credit(entry: LedgerEntry) -> tuple[str, str]:
    """`(debit account, credit account)` of the posting behind an account-side entry."""
    if entry.direction is Direction.CREDIT:
        return entry.counterparty, entry.account
    return entry.account, entry.counterparty


def encode_entry(entry: LedgerEntry) -> bytes:
    """The canonical `TLE1` leaf bytes of the entry (see the module docstring for the layout).

    Raises:
        EncodingError: a malformed address, hash or currency, a non-positive amount, a number that does
            not fit its field, or a text longer than 65535 UTF-8 bytes.
    """
    ev = entry.evidence
    if entry.direction is _CREDIT:
        debit, credit = entry.counterparty, entry.account
    else:
        debit, credit = entry.account, entry.counterparty
    tx_hash = ev.tx_hash
    if len(tx_hash) != 66 or not _HEX32.fullmatch(tx_hash):
        raise EncodingError(f"not a 32-byte hex transaction hash: {tx_hash!r}")
    if entry.amount <= 0:
        raise EncodingError(f"amount {entry.amount} is not positive")
    kind = entry.kind.encode("utf-8")
    reference = entry.reference.encode("utf-8")
    if len(kind) > 0xFFFF or len(reference) > 0xFFFF:
        raise EncodingError("kind or reference is longer than 65535 bytes")
    try:
        return b"".join(
            (
                MAGIC,
                entry.entry_id.to_bytes(32, "big"),
                _address(debit),
                _address(credit),
                _currency(entry.currency),
                entry.amount.to_bytes(32, "big"),
                ev.chain_id.to_bytes(32, "big"),
                ev.block_number.to_bytes(8, "big"),
                bytes.fromhex(tx_hash[2:]),
                ev.log_index.to_bytes(4, "big"),
                len(kind).to_bytes(2, "big"),
                kind,
                len(reference).to_bytes(2, "big"),
                reference,
            )
        )
    except OverflowError:  # negative, or too large for its fixed-size field
        raise EncodingError(
            f"entry {entry.entry_id}: a number does not fit its field (entry id, amount and chain id are "
            f"uint256, block number uint64, log index uint32)"
        ) from None


def entry_leaf_hash(entry: LedgerEntry) -> bytes:
    """RFC 6962 leaf hash of the entry's canonical encoding."""
    return leaf_hash(encode_entry(entry))


def entries_root(entries: Iterable[LedgerEntry]) -> tuple[bytes, int]:
    """`(root, leaf count)` of the entries in order, streaming (O(log n) memory)."""
    acc = StreamingRoot()
    for entry in entries:
        acc.add_leaf(encode_entry(entry))
    return acc.root(), acc.size


def mirror(entry: LedgerEntry) -> LedgerEntry:
    """The same posting seen from the counterparty's account (what the other bank's ledger shows)."""
    return LedgerEntry(
        entry_id=entry.entry_id,
        account=entry.counterparty,
        counterparty=entry.account,
        currency=entry.currency,
        amount=entry.amount,
        direction=Direction.DEBIT if entry.direction is Direction.CREDIT else Direction.CREDIT,
        kind=entry.kind,
        reference=entry.reference,
        booked_at=entry.booked_at,
        evidence=entry.evidence,
    )


def with_counterparty(entries: Iterable[LedgerEntry], counterparty: str) -> Iterator[LedgerEntry]:
    """The entries with one counterparty (address compared case-insensitively): a bilateral view."""
    wanted = counterparty.lower()
    return (e for e in entries if e.counterparty.lower() == wanted)


class RootingLines:
    """Wraps statement lines and builds the Merkle root of their entries while a writer consumes them.

    Why: writing the file and computing its root in the same pass saves a third pass over a million
    entries. Pass `history` (an account history accumulator resumed from the previous statement's
    frontier) to extend it in the same pass. Read `root` / `size` after the writer returned.
    """

    __slots__ = ("_acc", "_history", "_lines")

    def __init__(self, lines: Iterable[StatementLine], history: StreamingRoot | None = None) -> None:
        self._lines = lines
        self._acc = StreamingRoot()
        self._history = history

    def __iter__(self) -> Iterator[StatementLine]:
        add = self._acc.add_leaf_hash
        history = self._history
        for line in self._lines:
            digest = leaf_hash(encode_entry(line.entry))
            add(digest)
            if history is not None:
                history.add_leaf_hash(digest)
            yield line

    @property
    def root(self) -> bytes:
        """Root over the entries consumed so far."""
        return self._acc.root()

    @property
    def size(self) -> int:
        """Number of entries consumed so far."""
        return self._acc.size
