"""Write what the web console is generated from: the service's OpenAPI document (its typed client) and the
ISO 4217 minor-unit exponents the service uses (its amount formatting).

A file is rewritten only when its content changes, so `make` rebuilds the console only after such a change.
Usage: python scripts/dump_openapi.py platform/console/generated
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

import iso4217

from reconciliation.currency import exponent
from tradeledger.api.app import create_app
from tradeledger.runtime import Platform


def _write(path: Path, document: Any) -> None:
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    # The document describes routes only: no platform is opened (requests would need one, none is made).
    _write(out / "openapi.json", create_app(cast(Platform, None)).openapi())
    _write(out / "currencies.json", {currency.code: exponent(currency.code) for currency in iso4217.Currency})
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "platform/console/generated")))
