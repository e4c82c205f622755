"""Passwords and API keys hashed with argon2id (argon2-cffi).

Passwords get the OWASP parameters for argon2id (19 MiB, 2 iterations, 1 lane). API keys are 256-bit random
tokens, whose strength is their entropy, not the hash's cost: they get a light argon2id, and the input is the
token's SHA-256, so that the keys issued before users existed, of which only that SHA-256 was stored, were
moved to argon2id by the migration without their tokens. A verified token is remembered (by its SHA-256, in
this process only) so that a client's requests do not each pay the hash; revocation is still read every time.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORDS = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
KEYS = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
VERIFIED_CACHE_SIZE = 4096


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_key_digest(digest: str) -> str:
    """The stored hash of an API key whose SHA-256 (hex) is `digest`."""
    return KEYS.hash(digest)


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def _verify(hasher: PasswordHasher, stored: str, secret: str) -> bool:
    try:
        return hasher.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored: str | None, password: str) -> bool:
    if stored is None:
        _verify(PASSWORDS, DUMMY_PASSWORD_HASH, password)  # the same cost whether the user has a password or not
        return False
    return _verify(PASSWORDS, stored, password)


DUMMY_PASSWORD_HASH = PASSWORDS.hash("no password: this hash only evens out the time of a failed login")

_verified: OrderedDict[str, str] = OrderedDict()
_verified_lock = threading.Lock()


def remembered_key(digest: str) -> str | None:
    """The id of the key already verified for a token with this SHA-256 in this process, if any."""
    with _verified_lock:
        key_id = _verified.get(digest)
        if key_id is not None:
            _verified.move_to_end(digest)
        return key_id


def verify_key(stored: str, digest: str, key_id: str) -> bool:
    """Whether the token with SHA-256 `digest` is the key `stored` hashes; remembered when it is."""
    if not _verify(KEYS, stored, digest):
        return False
    with _verified_lock:
        _verified[digest] = key_id
        while len(_verified) > VERIFIED_CACHE_SIZE:
            _verified.popitem(last=False)
    return True
