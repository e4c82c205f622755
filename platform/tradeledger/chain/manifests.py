"""Signing statement manifests with a member's chain key (EIP-191 `personal_sign`) and recovering the signer.

The library (`reconciliation.manifest`) defines the bytes to sign (`Manifest.signing_bytes()`, the 32-byte
manifest hash); only this package may touch eth_account, so the signature lives here.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from tradeledger.chain.txmanager import KeyRing


def sign_manifest(account: LocalAccount, signing_bytes: bytes) -> bytes:
    """The 65-byte EIP-191 (`personal_sign`) signature of `signing_bytes` by `account`."""
    signed = account.sign_message(encode_defunct(primitive=signing_bytes))
    return bytes(signed.signature)


def sign_manifest_as(keys: KeyRing, signer: str, signing_bytes: bytes) -> bytes:
    """Sign with the hosted key of `signer` (raises SignerNotHostedError if this instance holds none)."""
    return sign_manifest(keys.get(signer), signing_bytes)


def recover_manifest_signer(signing_bytes: bytes, signature: bytes) -> str | None:
    """The checksummed address that signed `signing_bytes`, or None if the signature is malformed."""
    try:
        recovered = Account.recover_message(encode_defunct(primitive=signing_bytes), signature=signature)
    except Exception:  # eth_keys raises several types on malformed signatures
        return None
    return str(to_checksum_address(recovered))


def manifest_signature_verifier(signing_bytes: bytes, signature: bytes, issuer: str) -> bool:
    """A `reconciliation.manifest.SignatureVerifier`: whether `issuer` signed `signing_bytes`."""
    recovered = recover_manifest_signer(signing_bytes, signature)
    return recovered is not None and recovered.lower() == issuer.lower()
