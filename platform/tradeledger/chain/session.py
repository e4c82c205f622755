"""Opening the chain for a command or the service: backend up, chain id pinned, contracts verified."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tradeledger.chain.backends import ChainBackend, open_backend
from tradeledger.chain.keys import operator_account
from tradeledger.chain.manifest import DeployedContract, DeploymentManifest, code_hash, verify_against_chain
from tradeledger.config import Settings
from tradeledger.errors import ChainMismatchError, ChainUnavailableError, ConfigurationError


@dataclass
class ChainSession:
    """A started backend, a web3 client on it and, once deployed, the verified deployment manifest."""

    settings: Settings
    backend: ChainBackend
    w3: Web3
    manifest: DeploymentManifest | None = field(default=None)

    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def close(self) -> None:
        self.backend.stop()

    def operator(self) -> LocalAccount:
        return operator_account(
            self.settings.operator_keystore, self.settings.custodial_passphrase, dev_chain=self.settings.is_dev_chain
        )

    def deploy(self) -> DeploymentManifest:
        """Deploy the platform's contracts and record them; the manifest is written only once all are up."""
        operator = self.operator()
        from tradeledger.chain.deployment import deploy_platform

        self.backend.fund_gas([operator.address])
        first_block = self.block_number() + 1
        addresses = deploy_platform(self.w3, operator)
        manifest = DeploymentManifest(
            chain_id=self.chain_id(),
            deploy_block=first_block,
            deployer=operator.address,
            contracts={
                name: DeployedContract(address=address, code_hash=code_hash(self.w3, address))
                for name, address in addresses.items()
            },
        )
        if self.backend.name != "memory":
            manifest.save(self.settings.deployment_file)
        self.manifest = manifest
        return manifest


def open_chain_session(settings: Settings, *, deploy_if_missing: bool = False, detach: bool = False) -> ChainSession:
    """Start or attach to the configured chain and check it is the one we expect.

    Args:
        settings: the service settings.
        deploy_if_missing: on the dev and memory chains, deploy the contracts when no manifest exists.
        detach: for the dev chain, leave anvil running when this process exits.

    Raises:
        ConfigurationError, ChainUnavailableError, ChainMismatchError: with a message that says what to do.
    """
    backend = open_backend(
        settings.chain, settings.data_dir, settings.dev_chain_port, detach=detach, anvil=settings.anvil_path
    )
    backend.start()
    session = ChainSession(settings=settings, backend=backend, w3=backend.web3())
    try:
        actual = session.chain_id()
    except Exception as error:
        backend.stop()
        raise ChainUnavailableError(f"TRADELEDGER_CHAIN={settings.chain}: the node does not answer ({error})") from None
    try:
        if settings.chain_id is not None and actual != settings.chain_id:
            raise ChainMismatchError(
                f"TRADELEDGER_CHAIN_ID={settings.chain_id} but the node at TRADELEDGER_CHAIN={settings.chain} "
                f"reports chain id {actual}: fix one of the two settings"
            )
        manifest = None if backend.name == "memory" else DeploymentManifest.load(settings.deployment_file)
        if manifest is not None:
            verify_against_chain(session.w3, manifest, settings.deployment_file)
            session.manifest = manifest
        elif deploy_if_missing:
            if not settings.is_dev_chain:
                raise ConfigurationError(
                    f"no deployment manifest at {settings.deployment_file}: run `tradeledger deploy` first"
                )
            session.deploy()
    except BaseException:
        backend.stop()
        raise
    return session
