"""Proof-of-authority block headers: what Clique, IBFT 2.0 and QBFT put in `extraData`, and a web3 client that
reads them.

Ethereum's yellow paper caps `extraData` at 32 bytes and web3's block validation enforces it
(`ExtraDataLengthError: extraData is 97 bytes, but should be 32`). PoA chains carry their consensus there:
Clique appends the signer's 65-byte seal to a 32-byte vanity (and, on epoch blocks, the signers' addresses
between them); IBFT 2.0 and QBFT store RLP([vanity, validators, vote, round, commit seals]). So every web3 client
the service makes goes through `poa_web3`, which installs web3's own `ExtraDataToPOAMiddleware` (the field comes
back as `proofOfAuthorityData`). The lean JSON-RPC client (`tradeledger.chain.rpc`) never formats blocks and
reads them as the node sends them.
"""

from __future__ import annotations

import enum
from typing import Any

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.base import BaseProvider

# The "mix hash" every IBFT 2.0 / QBFT header carries ("Istanbul practical byzantine fault tolerance").
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
VANITY_BYTES = 32
CLIQUE_SEAL_BYTES = 65


class Consensus(enum.StrEnum):
    """What a block header says about the chain's consensus, as far as finality goes."""

    BFT = "IBFT 2.0/QBFT"  # immediate finality: a block once imported is never replaced
    CLIQUE = "Clique"  # forks resolved by weight: a block can be replaced for a while
    OTHER = "no PoA seal"  # the dev chain (anvil), py-evm, proof of work/stake


def poa_web3(provider: BaseProvider) -> Web3:
    """A web3 client whose block formatters accept PoA headers (web3's middleware, innermost, so block results
    are remapped before web3's validation sees them)."""
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def consensus_of(block: dict[str, Any]) -> Consensus:
    """The consensus a header (as JSON-RPC returns it) was sealed by."""
    if str(block.get("mixHash", "")).lower() == BFT_MIX_HASH:
        return Consensus.BFT
    extra = bytes.fromhex(str(block.get("extraData", "0x"))[2:])
    signers = len(extra) - VANITY_BYTES - CLIQUE_SEAL_BYTES
    if signers >= 0 and signers % 20 == 0 and int(str(block.get("difficulty", "0x0")), 16) in (1, 2):
        return Consensus.CLIQUE
    return Consensus.OTHER
