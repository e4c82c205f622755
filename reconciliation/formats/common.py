"""Helpers shared by the statement writers: exact amounts, text sanitising, buffered binary output."""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from reconciliation.currency import exponent
from reconciliation.entries import LedgerEntry


class BinaryOutput(Protocol):
    """The part of a binary file-like object the writers use."""

    def write(self, data: bytes, /) -> int | None:
        """Write bytes."""
        ...


class FormatError(ValueError):
    """A value does not fit the target format (too long, too many digits)."""


def format_minor(amount: int, currency: str, decimal_separator: str = ".") -> str:
    """Exact decimal string of a minor-unit amount with the currency's exponent, never via floats.

    Examples: `format_minor(-12345, "USD") == "-123.45"`, `format_minor(5, "BHD") == "0.005"`,
    `format_minor(100, "JPY") == "100"`, `format_minor(12345, "EUR", ",") == "123,45"`.
    """
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    magnitude = -amount if amount < 0 else amount
    if digits == 0:
        return f"{sign}{magnitude}"
    whole, frac = divmod(magnitude, 10**digits)
    return f"{sign}{whole}{decimal_separator}{frac:0{digits}d}"


def evidence_text(entry: LedgerEntry) -> str:
    """The chain evidence of an entry as one line of text (fits camt `Max500Text`).

    Why text: a 66-character transaction hash fits no structured camt reference (`Max35Text`).
    """
    ev = entry.evidence
    return (
        f"chain={ev.chain_id} block={ev.block_number} log={ev.log_index} tx={ev.tx_hash} "
        f"blockhash={ev.block_hash} entry={entry.entry_id} kind={entry.kind}"
    )


class ChunkedWriter:
    """Collects text pieces and writes them encoded in large chunks.

    Why: one `write` call per XML element would dominate the cost of a million-entry file; joining a few
    thousand pieces per write keeps memory flat and calls few.
    """

    __slots__ = ("_encoding", "_out", "_parts", "_size", "_threshold")

    def __init__(self, out: BinaryOutput, encoding: str = "utf-8", threshold: int = 1 << 20) -> None:
        self._out = out
        self._encoding = encoding
        self._threshold = threshold
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        """Queue `text`; flush when the queue exceeds the threshold."""
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self._threshold:
            self.flush()

    def flush(self) -> None:
        """Write everything queued so far."""
        if self._parts:
            self._out.write("".join(self._parts).encode(self._encoding))
            self._parts.clear()
            self._size = 0


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape text for XML element content and attributes; drop characters XML 1.0 forbids."""
    if _XML_INVALID.search(value):
        value = _XML_INVALID.sub("", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if '"' in value:
        value = value.replace('"', "&quot;")
    return value


def max_text(value: str, limit: int, fallback: str = "NOTPROVIDED") -> str:
    """Fit `value` into an ISO 20022 `MaxNNText` (1..limit characters after whitespace collapsing).

    Why a fallback: `Max35Text` has a minimum length of 1, and ISO 20022 uses `NOTPROVIDED` for a
    missing EndToEndId. Characters XML cannot carry are dropped first, so the result stays non-empty
    after `xml_text`. Over-long values are cut; the writers keep the full value in a `Max500Text`.
    """
    if not value or value[0].isspace() or value[-1].isspace() or "  " in value or not value.isprintable():
        value = " ".join(_XML_INVALID.sub("", value).split())
    if not value:
        return fallback
    return value[:limit]


# SWIFT X character set: a-z A-Z 0-9 / - ? : ( ) . , ' + space (CrLf only as line separator).
_SWIFT_X = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SWIFT_MAP = str.maketrans({"_": "-", "&": "+", "\t": " ", "\r": " ", "\n": " "})


def swift_text(value: str) -> str:
    """Map text into the SWIFT X character set.

    Accented letters lose their accents (NFKD), `_` becomes `-`, `&` becomes `+`, any other character
    outside the set becomes `.`, so field lengths are preserved and nothing is silently merged.
    """
    if not _SWIFT_X.search(value):
        return value
    value = value.translate(_SWIFT_MAP)
    decomposed = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SWIFT_X.sub(".", value)
