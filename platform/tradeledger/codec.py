"""How off-chain values become on-chain fields: ISO 4217 codes as bytes3, business references as bytes32.

`reconciliation.currency` is imported by the first currency check, not with this module: its `iso4217` parses the
standard's XML table at import (about 0.1 s of CPU), and the indexer's fetch process, which imports this module
through the ABI decoder for `InvalidValueError`, never checks a currency.
"""

from __future__ import annotations

from tradeledger.errors import TradeLedgerError

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
"""An account address as the API takes it: `0x` and 40 hex digits (the case of an EIP-55 checksum is not checked)."""
REFERENCE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-?:().,'+ ")


class InvalidValueError(TradeLedgerError):
    code = "invalid_value"
    http_status = 422
    title = "Invalid value"


def money_code(code: str) -> str:
    """An active ISO 4217 code that is money (see `reconciliation.currency.money_exponent`); a ValueError
    otherwise, so request schemas can use it as a validator and name the field."""
    from reconciliation.currency import money_exponent  # see the module docstring

    money_exponent(code)
    return code


def currency_bytes(code: str) -> bytes:
    """An active ISO 4217 alphabetic code that is money, as the contracts' bytes3."""
    try:
        money_code(code)
    except ValueError as error:
        raise InvalidValueError(str(error)) from None
    return code.encode("ascii")


def currency_text(raw: bytes | str) -> str:
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else raw
    return data.decode("ascii")


def reference_bytes(reference: str, field: str = "reference") -> bytes:
    """A business reference (SWIFT X character set, at most 32 characters) left-aligned in bytes32.

    References are identifiers (invoice or LC numbers), not commercial data; they stay readable on chain so
    statements and auditors can show them without the service's database.
    """
    if not 1 <= len(reference) <= 32 or not set(reference) <= REFERENCE_ALPHABET:
        raise InvalidValueError(f"{field} {reference!r} must be 1-32 characters of the SWIFT X set", field=field)
    return reference.encode("ascii").ljust(32, b"\0")


def reference_text(raw: bytes | str) -> str:
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else raw
    trimmed = data.rstrip(b"\0")
    try:
        text = trimmed.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + data.hex()
    return text if text and set(text) <= REFERENCE_ALPHABET else "0x" + data.hex()
