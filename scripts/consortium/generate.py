"""Generate the Besu QBFT consortium that `docker-compose.yml` runs (DESIGN.md §8).

    python scripts/consortium/generate.py --out consortium/generated            # fresh random keys
    python scripts/consortium/generate.py --out /tmp/c --seed test --fast-kdf    # deterministic (tests only)

Writes, under `--out`:

    genesis.json                  QBFT genesis: chain id, qbft block period/epoch/timeout, zeroBaseFee,
                                  extraData = RLP([32 zero bytes, [validators], [], 0x, []])
    permissions_config.toml       nodes-allowlist: every validator's enode
    static-nodes.json             every validator's enode
    network.json                  what was generated (addresses, enodes, IPs, ports): public, for tools/tests
    validatorN/key                the node's secp256k1 private key (hex): its validator address derives from it
    validatorN/key.pub            the node's public key (hex, 64 bytes): the enode id
    validatorN/config.toml        the Besu node configuration
    postgres/init.sql             one role and one database per bank
    postgres/superuser-password   the PostgreSQL superuser's password
    deploy/deploy.env             settings of the contract-deploy job (the consortium operator's key)
    deploy/operator.keystore.json
    bankN/bank.env                settings of bank N's service: its node, database, keystore, passphrase file
    bankN/operator.keystore.json  bank N's own signing key (eth-account V3 keystore)
    secrets/keystore-passphrase   passphrase of every keystore above (and of the hosted member keys)

Everything is a pure function of `--seed` when one is given (keystore salts and IVs too), so tests can
compare two runs; without a seed, keys, passwords and salts come from the OS's CSPRNG.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp
from Crypto.Cipher import AES
from Crypto.Util import Counter
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# The BFT "mix hash" every IBFT 2.0 / QBFT block header carries ("ctical byzantine fault tolerance").
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
VANITY = bytes(32)

BESU_IMAGE = "hyperledger/besu:25.8.0"
SUBNET = "172.16.240.0/24"
VALIDATOR_IP_BASE = 11  # validator1 = 172.16.240.11, ...
P2P_PORT = 30303
RPC_PORT = 8545
RPC_APIS = ("ETH", "NET", "WEB3", "QBFT")  # never ADMIN, DEBUG, PERM, TXPOOL on the service-facing endpoint
RPC_MAX_LOGS_RANGE = 5000  # Besu's default, stated: the services ask for SERVICE_LOG_RANGE blocks per eth_getLogs
SERVICE_LOG_RANGE = 2000
SERVICE_CONFIRMATIONS = 0  # QBFT: a block is final once imported (`tradeledger chain check` checks both)
POSTGRES_HOST = "postgres"
POSTGRES_PORT = 5432

# paths inside the containers (docker-compose.yml mounts the generated folders there)
BESU_CONFIG_DIR = "/config"
BESU_DATA_DIR = "/opt/besu/data"
SERVICE_SECRETS_DIR = "/run/tradeledger"
SERVICE_DATA_DIR = "/var/lib/tradeledger"
DEPLOYMENT_DIR = "/var/lib/tradeledger-deployment"  # the deploy job's data dir: the shared manifest volume


@dataclass(frozen=True)
class Options:
    out: Path
    seed: str | None = None
    validators: int = 4
    banks: int = 2
    chain_id: int = 20260
    block_period_seconds: int = 2
    request_timeout_seconds: int = 6
    epoch_length: int = 30000
    gas_limit: int = 0x1FFFFFFFFFFFFF
    tx_pool_max_future_by_sender: int = 1000
    fast_kdf: bool = False  # cheap keystore KDF: tests only


@dataclass(frozen=True)
class Validator:
    index: int
    private_key: bytes

    @property
    def name(self) -> str:
        return f"validator{self.index}"

    @property
    def public_key(self) -> str:
        """The 64-byte uncompressed public key without the 0x04 prefix, hex: the enode id."""
        return PrivateKey(self.private_key).public_key.to_bytes().hex()

    @property
    def address(self) -> str:
        return to_checksum_address(PrivateKey(self.private_key).public_key.to_canonical_address())

    @property
    def ip(self) -> str:
        return SUBNET.rsplit(".", 1)[0] + f".{VALIDATOR_IP_BASE + self.index - 1}"

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key}@{self.ip}:{P2P_PORT}"

    @property
    def rpc_url(self) -> str:
        return f"http://{self.name}:{RPC_PORT}"


@dataclass
class Entropy:
    """Bytes derived from the seed by purpose (deterministic), or from the OS's CSPRNG."""

    seed: str | None
    _used: set[str] = field(default_factory=set)

    def take(self, purpose: str, size: int = 32) -> bytes:
        if purpose in self._used:
            raise ValueError(f"entropy purpose {purpose!r} used twice")
        self._used.add(purpose)
        if self.seed is None:
            return secrets.token_bytes(size)
        out = b""
        counter = 0
        while len(out) < size:
            out += hmac.new(self.seed.encode(), f"{purpose}/{counter}".encode(), hashlib.sha256).digest()
            counter += 1
        return out[:size]

    def private_key(self, purpose: str) -> bytes:
        candidate = int.from_bytes(self.take(purpose), "big")
        return ((candidate % (SECP256K1_N - 1)) + 1).to_bytes(32, "big")

    def password(self, purpose: str) -> str:
        return self.take(purpose, 24).hex()


# --- QBFT extraData -----------------------------------------------------------------------------------


def qbft_extra_data(validator_addresses: Sequence[str]) -> str:
    """Besu's QbftExtraDataCodec genesis encoding: RLP([vanity, [validators], vote = [], round = 0, seals = []]).

    The round is written with `writeIntScalar(0)`, i.e. the empty byte string (0x80); no vote is an empty list.
    """
    validators = [bytes.fromhex(address.removeprefix("0x")) for address in validator_addresses]
    encoded: bytes = rlp.encode([VANITY, validators, [], b"", []])
    return "0x" + encoded.hex()


def decode_qbft_extra_data(extra_data: str) -> dict[str, Any]:
    """The five fields of a QBFT extraData, with addresses checksummed and the round as an int."""
    vanity, validators, vote, round_number, seals = rlp.decode(bytes.fromhex(extra_data.removeprefix("0x")))
    return {
        "vanity": vanity,
        "validators": [to_checksum_address(v) for v in validators],
        "vote": vote,
        "round": int.from_bytes(round_number, "big"),
        "seals": seals,
    }


# --- keystores ------------------------------------------------------------------------------------------


def v3_keystore(private_key: bytes, passphrase: str, entropy: Entropy, purpose: str, *, fast: bool) -> dict[str, Any]:
    """An eth-account compatible V3 keystore; salt, IV and id come from `entropy` (so a seed fixes them)."""
    salt = entropy.take(f"{purpose}/salt", 32)
    iv = entropy.take(f"{purpose}/iv", 16)
    key_id = uuid.UUID(bytes=entropy.take(f"{purpose}/id", 16), version=4)
    if fast:
        iterations = 2
        derived = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, iterations, dklen=32)
        kdf: dict[str, Any] = {
            "kdf": "pbkdf2",
            "kdfparams": {"c": iterations, "dklen": 32, "prf": "hmac-sha256", "salt": salt.hex()},
        }
    else:
        n, r, p = 262144, 8, 1
        derived = hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=2**29, dklen=32)
        kdf = {"kdf": "scrypt", "kdfparams": {"dklen": 32, "n": n, "p": p, "r": r, "salt": salt.hex()}}
    cipher = AES.new(derived[:16], AES.MODE_CTR, counter=Counter.new(128, initial_value=int.from_bytes(iv, "big")))
    ciphertext = cipher.encrypt(private_key)
    mac = keccak(derived[16:32] + ciphertext)
    address = PrivateKey(private_key).public_key.to_address().removeprefix("0x")
    return {
        "address": address,
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": iv.hex()},
            "ciphertext": ciphertext.hex(),
            **kdf,
            "mac": mac.hex(),
        },
        "id": str(key_id),
        "version": 3,
    }


# --- files ---------------------------------------------------------------------------------------------


def genesis(options: Options, validators: Sequence[Validator]) -> dict[str, Any]:
    return {
        "config": {
            "chainId": options.chain_id,
            "homesteadBlock": 0,
            "eip150Block": 0,
            "eip155Block": 0,
            "eip158Block": 0,
            "byzantiumBlock": 0,
            "constantinopleBlock": 0,
            "petersburgBlock": 0,
            "istanbulBlock": 0,
            "muirGlacierBlock": 0,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "cancunTime": 0,  # the contracts are compiled for evmVersion cancun
            "zeroBaseFee": True,  # free gas (checklist B10), with min-gas-price=0 on every node
            "qbft": {
                "blockperiodseconds": options.block_period_seconds,
                "epochlength": options.epoch_length,
                "requesttimeoutseconds": options.request_timeout_seconds,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": hex(options.gas_limit),
        "difficulty": "0x1",
        "mixHash": BFT_MIX_HASH,
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {},
        "extraData": qbft_extra_data([v.address for v in validators]),
    }


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def toml(items: dict[str, object], comment: str) -> str:
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines += [f"{key}={_toml_value(value)}" for key, value in items.items()]
    return "\n".join(lines) + "\n"


def node_config(options: Options, validator: Validator, validators: Sequence[Validator]) -> dict[str, object]:
    return {
        "data-path": BESU_DATA_DIR,
        "genesis-file": f"{BESU_CONFIG_DIR}/genesis.json",
        "node-private-key-file": f"{BESU_CONFIG_DIR}/key",
        "logging": "INFO",
        "sync-mode": "FULL",
        # p2p: bind every interface of the container, advertise its fixed address on the compose network
        "p2p-enabled": True,
        "p2p-interface": "0.0.0.0",
        "p2p-host": validator.ip,
        "p2p-port": P2P_PORT,
        "nat-method": "NONE",
        "discovery-enabled": True,
        "bootnodes": [v.enode for v in validators if v.index != validator.index],
        "static-nodes-file": f"{BESU_CONFIG_DIR}/static-nodes.json",
        "permissions-nodes-config-file-enabled": True,
        "permissions-nodes-config-file": f"{BESU_CONFIG_DIR}/permissions_config.toml",
        # JSON-RPC for the bank's service: the container's interface, a Host allowlist, no admin APIs
        "rpc-http-enabled": True,
        "rpc-http-host": "0.0.0.0",
        "rpc-http-port": RPC_PORT,
        "rpc-http-api": list(RPC_APIS),
        "rpc-max-logs-range": RPC_MAX_LOGS_RANGE,
        "host-allowlist": [validator.name, "localhost", "127.0.0.1"],
        "rpc-ws-enabled": False,
        "graphql-http-enabled": False,
        "revert-reason-enabled": True,
        # free gas (B10): min-gas-price 0 with zeroBaseFee. zeroBaseFee already sets the pool's price bump to 0
        # (a same-nonce replacement needs no bump), and Besu refuses to start if tx-pool-price-bump is also given.
        "min-gas-price": 0,
        "tx-pool": "layered",
        "tx-pool-max-future-by-sender": options.tx_pool_max_future_by_sender,  # B11: above the service's cap
    }


@dataclass(frozen=True)
class Bank:
    index: int
    private_key: bytes
    db_password: str

    @property
    def name(self) -> str:
        return f"bank{self.index}"

    @property
    def address(self) -> str:
        return to_checksum_address(PrivateKey(self.private_key).public_key.to_canonical_address())


def database_url(user: str, password: str, database: str) -> str:
    return f"postgresql+psycopg://{user}:{password}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


def env_file(items: dict[str, object], comment: str) -> str:
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines += [f"{key}={value}" for key, value in items.items()]
    return "\n".join(lines) + "\n"


def generate(options: Options) -> dict[str, Any]:
    """Write every file into `options.out`; return the public description that is also `network.json`."""
    if options.validators < 4:
        raise ValueError("QBFT needs at least 4 validators to tolerate one faulty node (checklist B13)")
    if not 1 <= options.banks <= options.validators:
        raise ValueError("each bank's service talks to its own validator: 1 <= banks <= validators")
    entropy = Entropy(options.seed)
    validators = [Validator(i, entropy.private_key(f"validator{i}/nodekey")) for i in range(1, options.validators + 1)]
    operator_key = entropy.private_key("operator/key")
    banks = [
        Bank(i, entropy.private_key(f"bank{i}/key"), entropy.password(f"bank{i}/db-password"))
        for i in range(1, options.banks + 1)
    ]
    passphrase = entropy.password("keystore-passphrase")
    superuser_password = entropy.password("postgres/superuser-password")
    fingerprint_key = entropy.password("fingerprint-key")
    out = options.out
    files: dict[str, str] = {}

    def keystore(path: str, private_key: bytes, purpose: str) -> None:
        files[path] = json.dumps(v3_keystore(private_key, passphrase, entropy, purpose, fast=options.fast_kdf)) + "\n"

    files["genesis.json"] = json.dumps(genesis(options, validators), indent=2) + "\n"
    enodes = [v.enode for v in validators]
    files["permissions_config.toml"] = toml(
        {"nodes-allowlist": enodes}, "Local node permissioning: only the consortium's validators may peer."
    )
    files["static-nodes.json"] = json.dumps(enodes, indent=2) + "\n"
    for validator in validators:
        files[f"{validator.name}/key"] = "0x" + validator.private_key.hex() + "\n"
        files[f"{validator.name}/key.pub"] = "0x" + validator.public_key + "\n"
        files[f"{validator.name}/config.toml"] = toml(
            node_config(options, validator, validators),
            f"Besu QBFT validator {validator.index} ({validator.address}); generated by scripts/consortium.",
        )
    keystore("deploy/operator.keystore.json", operator_key, "operator/keystore")
    common = {
        "TRADELEDGER_CHAIN_ID": options.chain_id,
        "TRADELEDGER_KEYSTORE_PASSPHRASE_FILE": f"{SERVICE_SECRETS_DIR}/keystore-passphrase",
        "TRADELEDGER_FINGERPRINT_KEY": fingerprint_key,
        "TRADELEDGER_LOG_RANGE": SERVICE_LOG_RANGE,
        "TRADELEDGER_CONFIRMATIONS": SERVICE_CONFIRMATIONS,
    }
    files["deploy/deploy.env"] = env_file(
        {
            "TRADELEDGER_CHAIN": validators[0].rpc_url,
            **common,
            "TRADELEDGER_DATA_DIR": DEPLOYMENT_DIR,
            "TRADELEDGER_OPERATOR_KEYSTORE": f"{SERVICE_SECRETS_DIR}/operator.keystore.json",
            # `tradeledger consortium bootstrap`: bank 1 founds the consortium and is its settlement agent
            "TRADELEDGER_FOUNDING_BANK": banks[0].address,
        },
        "The contract-deploy job: deploys with the consortium operator's key, writes the shared manifest, and "
        "admits the founding bank.",
    )
    init_sql = ["-- One role and one database per bank's service (run once by the postgres image)."]
    for bank in banks:
        validator = validators[bank.index - 1]
        keystore(f"{bank.name}/operator.keystore.json", bank.private_key, f"{bank.name}/keystore")
        files[f"{bank.name}/bank.env"] = env_file(
            {
                "TRADELEDGER_CHAIN": validator.rpc_url,
                **common,
                "TRADELEDGER_DATABASE_URL": database_url(bank.name, bank.db_password, bank.name),
                "TRADELEDGER_DATA_DIR": SERVICE_DATA_DIR,
                "TRADELEDGER_OPERATOR_KEYSTORE": f"{SERVICE_SECRETS_DIR}/operator.keystore.json",
                "TRADELEDGER_HOST": "0.0.0.0",
                "TRADELEDGER_PORT": 8000,
            },
            f"Bank {bank.index}'s service ({bank.address}): its own node ({validator.name}), database and key.",
        )
        init_sql += [
            f"CREATE ROLE {bank.name} LOGIN PASSWORD '{bank.db_password}';",
            f"CREATE DATABASE {bank.name} OWNER {bank.name};",
            f"REVOKE ALL ON DATABASE {bank.name} FROM PUBLIC;",
        ]
    files["postgres/init.sql"] = "\n".join(init_sql) + "\n"
    files["postgres/superuser-password"] = superuser_password + "\n"
    files["secrets/keystore-passphrase"] = passphrase + "\n"
    description: dict[str, Any] = {
        "chain_id": options.chain_id,
        "besu_image": BESU_IMAGE,
        "subnet": SUBNET,
        "rpc_apis": list(RPC_APIS),
        "validators": [
            {
                "name": v.name,
                "address": v.address,
                "enode": v.enode,
                "ip": v.ip,
                "p2p_port": P2P_PORT,
                "rpc_url": v.rpc_url,
            }
            for v in validators
        ],
        "operator": to_checksum_address(PrivateKey(operator_key).public_key.to_canonical_address()),
        "banks": [{"name": b.name, "address": b.address, "validator": f"validator{b.index}"} for b in banks],
    }
    files["network.json"] = json.dumps(description, indent=2) + "\n"
    _write(out, files)
    return description


def _write(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / ".gitignore").write_text("# generated keys and passwords: never commit them\n*\n")
    for relative, content in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        # readable by the containers' users (besu runs as uid 1000, postgres as 999): world-readable files in a
        # 0700-able parent the operator controls; tighten per deployment (Docker secrets, a KMS, an HSM plugin)
        path.chmod(0o644)


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("consortium/generated"), help="output directory")
    parser.add_argument("--seed", help="derive every key and password from this seed (tests only: NOT secret)")
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--banks", type=int, default=2)
    parser.add_argument("--chain-id", type=int, default=20260)
    parser.add_argument("--block-period-seconds", type=int, default=2)
    parser.add_argument("--request-timeout-seconds", type=int, default=6)
    parser.add_argument("--fast-kdf", action="store_true", help="cheap keystore KDF (pbkdf2, 2 rounds): tests only")
    args = parser.parse_args(argv)
    return Options(
        out=args.out,
        seed=args.seed,
        validators=args.validators,
        banks=args.banks,
        chain_id=args.chain_id,
        block_period_seconds=args.block_period_seconds,
        request_timeout_seconds=args.request_timeout_seconds,
        fast_kdf=args.fast_kdf,
    )


def main(argv: Sequence[str] | None = None, echo: Callable[[str], object] = print) -> int:
    options = parse(argv)
    try:
        description = generate(options)
    except ValueError as error:
        echo(f"error: {error}")
        return 2
    echo(f"consortium generated in {options.out}: chain id {description['chain_id']}")
    for validator in description["validators"]:
        echo(f"  {validator['name']}: {validator['address']} at {validator['ip']}")
    for bank in description["banks"]:
        echo(f"  {bank['name']}: {bank['address']} -> {bank['validator']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
