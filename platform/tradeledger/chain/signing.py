"""Legacy (EIP-155) transaction signing straight on libsecp256k1 through coincurve.

eth-account's `sign_transaction` validates and normalises a dict through several layers (measured ~9 ms per
transaction on a loaded 2-core machine); the hot write path needs only RLP, keccak and one recoverable
signature. The RLP of a legacy transaction is a flat list of integers and byte strings, encoded here directly
(pyrlp infers a serializer per item: a third of the signing time), and its six fields once for both hashes.
`tests/chain/test_signing.py` proves the bytes equal eth-account's for the same fields.
"""

from __future__ import annotations

from coincurve import PrivateKey
from sha3 import keccak_256

SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
RLP_SHORT = 56  # strings and lists shorter than this carry their length in the prefix byte


def keccak256(data: bytes) -> bytes:
    """Keccak-256 from safe-pysha3's C extension: 1.2 µs a call against pycryptodome's 6 (its cffi object and
    argument checks) and eth-utils' `keccak` 6.4 (the same pycryptodome behind eth-hash's dispatch), twice per
    signed transaction."""
    digest: bytes = keccak_256(data).digest()
    return digest


def _length_prefix(length: int, offset: int) -> bytes:
    if length < RLP_SHORT:
        return bytes([offset + length])
    encoded_length = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + RLP_SHORT - 1 + len(encoded_length)]) + encoded_length


def _rlp_bytes(value: bytes) -> bytes:
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _length_prefix(len(value), 0x80) + value


def _rlp_int(value: int) -> bytes:
    """An unsigned integer: big-endian without leading zeros (zero is the empty string). At most 32 bytes, so
    its prefix is always the short form."""
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    encoded = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(encoded),)) + encoded


class LegacySigner:
    """Signs legacy transactions for one key and one chain id."""

    def __init__(self, private_key: bytes, chain_id: int) -> None:
        self._key = PrivateKey(private_key)
        self.chain_id = chain_id
        self._unsigned_tail = _rlp_int(chain_id) + b"\x80\x80"  # EIP-155: chain id, 0, 0 in place of v, r, s

    def sign(self, nonce: int, gas_price: int, gas: int, to: bytes, value: int, data: bytes) -> tuple[bytes, bytes]:
        """The raw signed transaction and its hash.

        The six fields are RLP-encoded once and shared by the signing payload and the signed transaction."""
        fields = _rlp_int(nonce) + _rlp_int(gas_price) + _rlp_int(gas) + _rlp_bytes(to) + _rlp_int(value)
        fields += _rlp_bytes(data)
        unsigned = fields + self._unsigned_tail
        digest = keccak256(_length_prefix(len(unsigned), 0xC0) + unsigned)
        signature = self._key.sign_recoverable(digest, hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        recovery = signature[64]
        if s > SECP256K1_HALF_ORDER:  # libsecp256k1 already emits low-s; keep EIP-2 explicit all the same
            s = 2 * SECP256K1_HALF_ORDER + 1 - s
            recovery ^= 1
        signed = fields + _rlp_int(recovery + 35 + 2 * self.chain_id) + _rlp_int(r) + _rlp_int(s)
        raw = _length_prefix(len(signed), 0xC0) + signed
        return raw, keccak256(raw)
