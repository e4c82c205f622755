"""The hot-path signer produces exactly eth-account's bytes."""

from __future__ import annotations

from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeledger.chain.keys import dev_account
from tradeledger.chain.signing import LegacySigner

KEY = dev_account(3)


@settings(max_examples=200, deadline=None)
@given(
    nonce=st.integers(0, 2**64 - 1),
    gas_price=st.integers(0, 10**12),
    gas=st.integers(21_000, 30_000_000),
    to=st.binary(min_size=20, max_size=20),
    value=st.integers(0, 10**24),
    data=st.binary(max_size=300),
    chain_id=st.sampled_from([1, 1337, 2024, 131277322940537]),
)
def test_sign_matches_eth_account(
    nonce: int, gas_price: int, gas: int, to: bytes, value: int, data: bytes, chain_id: int
) -> None:
    raw, tx_hash = LegacySigner(bytes(KEY.key), chain_id).sign(nonce, gas_price, gas, to, value, data)
    reference = KEY.sign_transaction(
        {"nonce": nonce, "gasPrice": gas_price, "gas": gas, "to": to_checksum_address(to), "value": value, "data": data,
         "chainId": chain_id}
    )  # fmt: skip
    assert raw == bytes(reference.raw_transaction)
    assert tx_hash == bytes(reference.hash)
    assert Account.recover_transaction(raw) == KEY.address
