"""Helpers shared by the importers: exact decimal text → integer minor units, line-exact decoding.

Books arrive as decimal text ("1,234.56", "1234,56", "-12.5"). Going through `float` would silently turn
0.1 + 0.2 into 0.30000000000000004; going through `Decimal` and the currency's ISO 4217 exponent keeps every
amount exact and refuses amounts finer than the currency allows (12.345 USD is an error, not 12.34 or 12.35).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import IO

from reconciliation.currency import UnknownCurrencyError, exponent
from reconciliation.matching.books import BookImportError

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def check_currency(code: str) -> str:
    """Return `code` upper-cased when it is an ISO 4217 code; raise ValueError otherwise."""
    code = code.strip().upper()
    try:
        exponent(code)
    except UnknownCurrencyError:
        raise ValueError(f"unknown ISO 4217 currency code {code!r}") from None
    return code


def parse_minor(
    text: str,
    currency: str,
    *,
    decimal_separator: str = ".",
    thousands_separator: str | None = None,
) -> int:
    """Parse decimal text into signed integer minor units of `currency`, exactly.

    Args:
        text: the amount as written, optionally signed.
        currency: ISO 4217 code whose exponent fixes the number of decimals allowed.
        decimal_separator: "." or "," (MT940 and many European exports use a decimal comma).
        thousands_separator: grouping character to strip, if the export uses one.

    Returns:
        The signed amount in minor units.

    Raises:
        ValueError: the text is not a plain decimal number, or has more decimals than the currency allows.
    """
    raw = text.strip()
    if thousands_separator:
        raw = raw.replace(thousands_separator, "")
    if decimal_separator != ".":
        if "." in raw:
            raise ValueError(f"{text!r} is not a decimal amount (expected {decimal_separator!r} as separator)")
        raw = raw.replace(decimal_separator, ".")
    if not _PLAIN.fullmatch(raw):
        raise ValueError(f"{text!r} is not a decimal amount")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        raise ValueError(f"{text!r} is not a decimal amount") from None
    digits = exponent(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows ({digits})")
    return int(scaled)


def decoded_lines(stream: IO[bytes], encoding: str, label: str) -> Iterator[str]:
    """Decode a byte stream line by line, so a decoding error names the exact line.

    `io.TextIOWrapper` decodes in 8 KiB chunks and would blame the first line of the chunk; an
    incremental decoder fed one byte line at a time keeps the error on its line (and still handles any
    multi-byte encoding whose newline byte is unambiguous: UTF-8, GBK, GB18030, Latin-1...).
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    line_no = 0
    for line_no, raw in enumerate(stream, start=1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise BookImportError(label, line_no, "encoding", f"not {encoding}: {error.reason}") from None
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise BookImportError(label, line_no, "encoding", f"not {encoding}: {error.reason}") from None
    if tail:
        yield tail
