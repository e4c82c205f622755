"""Stored idempotent responses open only with the API key that stored them."""

from __future__ import annotations

import pytest
from Crypto.Cipher import AES

from tradeledger.api.idempotency import NONCE_BYTES, TAG_BYTES, _sealing_key, seal, unseal

TOKEN, KEY = "tl_" + "a" * 43, "order-1"


def test_a_sealed_body_opens_with_the_same_token_and_key() -> None:
    sealed = seal(TOKEN, KEY, b'{"api_key": "tl_secret"}')
    assert b"tl_secret" not in sealed
    assert unseal(TOKEN, KEY, sealed) == b'{"api_key": "tl_secret"}'
    assert seal(TOKEN, KEY, b"x") != seal(TOKEN, KEY, b"x")  # a fresh nonce each time


@pytest.mark.parametrize(("token", "key"), [("tl_" + "b" * 43, KEY), (TOKEN, "order-2")])
def test_another_token_or_key_cannot_open_it(token: str, key: str) -> None:
    with pytest.raises(ValueError):
        unseal(token, key, seal(TOKEN, KEY, b"body"))


def test_an_altered_body_is_refused() -> None:
    sealed = bytearray(seal(TOKEN, KEY, b"body"))
    sealed[-1] ^= 1
    with pytest.raises(ValueError):
        unseal(TOKEN, KEY, bytes(sealed))


def test_records_sealed_before_the_switch_to_openssl_still_open() -> None:
    """Answers stored while seal was pycryptodome's (`nonce || tag || ciphertext`, AES-256-GCM) open as before, and
    what seal stores now opens there: a retry of a request answered before an upgrade gets its answer."""
    nonce = bytes(range(NONCE_BYTES))
    ciphertext, tag = AES.new(_sealing_key(TOKEN, KEY), AES.MODE_GCM, nonce=nonce).encrypt_and_digest(b"stored")
    assert unseal(TOKEN, KEY, nonce + tag + ciphertext) == b"stored"
    sealed = seal(TOKEN, KEY, b"sealed now")
    tag_end = NONCE_BYTES + TAG_BYTES
    nonce, tag, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:tag_end], sealed[tag_end:]
    opened = AES.new(_sealing_key(TOKEN, KEY), AES.MODE_GCM, nonce=nonce).decrypt_and_verify(ciphertext, tag)
    assert opened == b"sealed now"
