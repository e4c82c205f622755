"""Settings from `TRADELEDGER_*` environment variables and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradeledger.errors import ConfigurationError

ENV_PREFIX = "TRADELEDGER_"
DEV_KEYSTORE_PASSPHRASE = "tradeledger-dev-only"  # public: dev chains only
DEV_FINGERPRINT_KEY = b"tradeledger-dev-fingerprint-key"  # public: dev chains only


class Settings(BaseSettings):
    """Everything the service reads from its environment, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    chain: str = Field("dev", description="`dev` (managed anvil), `memory` (in-process py-evm) or a node URL")
    chain_id: int | None = Field(None, gt=0, description="the chain id the node must report, if pinned")
    data_dir: Path = Field(Path("data"), description="chain state, deployment manifest and the SQLite file")
    database_url: str | None = Field(None, description="SQLAlchemy URL; SQLite under the data dir if unset")
    database_connections: int | None = Field(
        None,
        ge=1,
        description="PostgreSQL connections the service's processes may hold together; what the server allows this "
        "role less a margin for operators if unset (store.connections)",
    )
    database_processes: int | None = Field(
        None,
        ge=1,
        description="processes sharing those connections (the engine and every API worker); what `serve` starts "
        "if unset, 2 for `tradeledger engine`",
    )
    host: str = Field("127.0.0.1", description="address the API binds to")
    port: int = Field(8000, ge=0, le=65535, description="port the API binds to")
    access_log: bool = Field(
        False, description="log a line per HTTP request (uvicorn's access log: some 7% of a balance read's CPU)"
    )
    dev_chain_port: int = Field(0, ge=0, le=65535, description="port of the managed anvil; 0 picks a free one")
    anvil_path: Path | None = Field(None, description="anvil binary for the dev chain; node_modules' if unset")
    operator_keystore: Path | None = Field(None, description="eth-account V3 keystore of the operator key")
    keystore_passphrase: str | None = Field(None, description="passphrase of the keystore files")
    keystore_passphrase_file: Path | None = Field(None, description="file holding the keystore passphrase")
    fingerprint_key: str | None = Field(None, description="the consortium's shared secret for document fingerprints")
    write_timeout_s: float = Field(
        10.0, gt=0, description="how long a write waits for its block to be indexed before answering 202"
    )
    stuck_signer_after_s: float = Field(
        60.0, gt=0, description="an outbox transaction open longer than this marks its signer stuck in /v1/health"
    )
    indexer_lag_blocks: int = Field(
        20, ge=0, description="an indexer more blocks than this behind the node is reported by /v1/health"
    )
    log_range: int = Field(
        2000, ge=1, description="widest eth_getLogs block range asked for (below the node's cap; Besu's is 5000)"
    )
    confirmations: int = Field(
        0, ge=0, description="blocks behind head the indexer treats as final: 0 on QBFT and the dev chain"
    )
    webhook_timeout_s: float = Field(10.0, gt=0, le=60, description="how long a webhook receiver may take to answer")
    webhook_concurrency: int = Field(8, ge=1, le=64, description="subscriptions delivered to at the same time")
    webhook_retry_base_s: float = Field(5.0, gt=0, description="the first retry's delay; each next one doubles")
    webhook_retry_max_s: float = Field(3600.0, gt=0, description="the longest delay between two attempts")
    webhook_retry_for_s: float = Field(
        86400.0, gt=0, description="how long a delivery is retried before it is dead-lettered (default 24 hours)"
    )
    webhook_allow_loopback: bool = Field(
        False, description="accept webhook URLs on loopback and private networks (tests, single-host setups)"
    )

    @property
    def deployment_file(self) -> Path:
        return self.data_dir / "deployment.json"

    def custodial_passphrase(self) -> str:
        """The passphrase of hosted members' keystores; a fixed, public one on dev chains only."""
        if self.keystore_passphrase is not None:
            return self.keystore_passphrase
        if self.keystore_passphrase_file is not None:
            try:
                return self.keystore_passphrase_file.read_text(encoding="utf-8").rstrip("\n")
            except OSError as error:
                raise ConfigurationError(f"TRADELEDGER_KEYSTORE_PASSPHRASE_FILE: cannot read it ({error})") from None
        if self.is_dev_chain:
            return DEV_KEYSTORE_PASSPHRASE
        raise ConfigurationError(
            "hosting member keys needs TRADELEDGER_KEYSTORE_PASSPHRASE or TRADELEDGER_KEYSTORE_PASSPHRASE_FILE"
        )

    def fingerprint_secret(self) -> bytes:
        """The consortium-wide HMAC key of document fingerprints; every bank must use the same one."""
        if self.fingerprint_key:
            return self.fingerprint_key.encode("utf-8")
        if self.is_dev_chain:
            return DEV_FINGERPRINT_KEY
        raise ConfigurationError("TRADELEDGER_FINGERPRINT_KEY (the consortium's fingerprint secret) is not set")

    @property
    def is_dev_chain(self) -> bool:
        """Chains whose keys may be derived from the public dev mnemonic."""
        return self.chain in {"dev", "memory"}


def load_settings(**overrides: object) -> Settings:
    """Settings with explicit overrides; a bad value becomes one ConfigurationError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = ENV_PREFIX + str(first["loc"][0]).upper() if first["loc"] else ENV_PREFIX
        raise ConfigurationError(f"{name}: {first['msg']} (got {first.get('input')!r})") from None
