"""Validate camt files against the official ISO 20022 XSDs vendored in `reconciliation/schemas`.

`xmlschema` is imported lazily: only callers that validate need it installed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_MESSAGES = ("camt.052.001.08", "camt.053.001.08", "camt.054.001.08")

_NAMESPACE = re.compile(rb'xmlns="urn:iso:std:iso:20022:tech:xsd:(camt\.05[234]\.001\.08)"')


class CamtValidationError(ValueError):
    """The document is not a valid camt.05x.001.08 message; `errors` lists the reasons."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message + ("" if not errors else ": " + "; ".join(errors[:5])))
        self.errors = errors


def schema_path(message: str) -> Path:
    """Filesystem path of the vendored XSD for `message` (e.g. `camt.053.001.08`)."""
    if message not in SCHEMA_MESSAGES:
        raise ValueError(f"no vendored schema for {message!r}; have {', '.join(SCHEMA_MESSAGES)}")
    resource = resources.files("reconciliation").joinpath("schemas", f"{message}.xsd")
    return Path(str(resource))


@cache
def _schema(message: str) -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(schema_path(message)))


def detect_message(path: str | Path) -> str:
    """The camt message id of a file, from the default namespace in its first 4 KiB."""
    with open(path, "rb") as handle:
        match = _NAMESPACE.search(handle.read(4096))
    if match is None:
        raise CamtValidationError(f"{path} has no camt.05x.001.08 namespace", [])
    return match.group(1).decode("ascii")


def camt_errors(path: str | Path, message: str | None = None) -> list[str]:
    """All schema violations of the file (empty when valid).

    Args:
        path: the camt XML file.
        message: the expected message (`camt.053.001.08`...); detected from the namespace when None.
    """
    schema = _schema(message or detect_message(path))
    return [str(error.reason or error) for error in schema.iter_errors(str(path))]


def validate_camt(path: str | Path, message: str | None = None) -> None:
    """Raise `CamtValidationError` unless the file is valid against its vendored XSD.

    Args:
        path: the camt XML file.
        message: the expected message; detected from the namespace when None.
    """
    errors = camt_errors(path, message)
    if errors:
        raise CamtValidationError(f"{path} is not a valid {message or detect_message(path)}", errors)
