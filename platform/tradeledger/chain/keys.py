"""Signing keys: derived from the public dev mnemonic on dev chains, else eth-account V3 keystore files."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tradeledger.errors import ConfigurationError

# Anvil's well-known mnemonic: every key derived from it is public. Dev chains only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
OPERATOR_INDEX = 0

log = logging.getLogger(__name__)
Account.enable_unaudited_hdwallet_features()


def dev_account(index: int) -> LocalAccount:
    """The dev key at BIP-44 index `index` of the public dev mnemonic."""
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


def load_keystore(path: Path, passphrase: str) -> LocalAccount:
    """Decrypt an eth-account V3 keystore file."""
    try:
        keystore = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"keystore {path}: cannot read it ({error})") from None
    return open_keystore_json(keystore, passphrase, source=str(path))


def operator_account(keystore: Path | None, passphrase: Callable[[], str], *, dev_chain: bool) -> LocalAccount:
    """The operator's key: its keystore if configured, else (dev chains only) the dev mnemonic's first key."""
    if keystore is not None:
        return load_keystore(keystore, passphrase())
    if not dev_chain:
        raise ConfigurationError(
            "TRADELEDGER_OPERATOR_KEYSTORE is required on a node URL chain: the public dev keys are for dev chains only"
        )
    log.warning("DEV KEYS: the operator key is derived from the PUBLIC dev mnemonic; never use it on a real chain")
    return dev_account(OPERATOR_INDEX)


def new_custodial_key(passphrase: str) -> tuple[LocalAccount, str]:
    """A fresh key for a hosted member and its V3 keystore JSON, encrypted with `passphrase`."""
    account: LocalAccount = Account.create()
    return account, json.dumps(Account.encrypt(account.key, passphrase))


def open_keystore_json(keystore: str, passphrase: str, source: str = "keystore") -> LocalAccount:
    """Decrypt a V3 keystore held as JSON text (a file's content or a database row)."""
    try:
        account: LocalAccount = Account.from_key(Account.decrypt(json.loads(keystore), passphrase))
    except ValueError as error:
        raise ConfigurationError(f"{source}: cannot decrypt it ({error}); check the passphrase") from None
    return account


def keystore_resolver(
    lookup: Callable[[str], str | None], passphrase: Callable[[], str]
) -> Callable[[str], LocalAccount | None]:
    """A KeyRing resolver: the keystore `lookup` finds for an address, decrypted with the hosting passphrase."""

    def resolve(address: str) -> LocalAccount | None:
        keystore = lookup(address)
        return None if keystore is None else open_keystore_json(keystore, passphrase(), source=f"hosted key {address}")

    return resolve
