"""Genesis, node configs, allowlist, static nodes and service settings agree with each other (checklist B10, E1)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from tests.consortium.conftest import ROOT, generator

FORBIDDEN_APIS = {"ADMIN", "DEBUG", "PERM", "TXPOOL", "MINER", "PLUGINS", "TRACE"}


def _network(generated: Path) -> dict[str, Any]:
    network: dict[str, Any] = json.loads((generated / "network.json").read_text())
    return network


def _config(generated: Path, name: str) -> dict[str, Any]:
    return tomllib.loads((generated / name / "config.toml").read_text())


def _env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose


def _mount(service: dict[str, Any], target: str) -> str:
    """The host side of the bind mount on `target`."""
    for volume in service["volumes"]:
        source, mounted, *_ = volume.split(":")
        if mounted == target:
            return str(source)
    raise AssertionError(f"nothing mounted on {target}")


class TestPermissioning:
    def test_every_enode_in_allowlist_static_nodes_and_bootnodes(self, generated: Path) -> None:
        enodes = [v["enode"] for v in _network(generated)["validators"]]
        allowlist = tomllib.loads((generated / "permissions_config.toml").read_text())["nodes-allowlist"]
        assert allowlist == enodes
        assert json.loads((generated / "static-nodes.json").read_text()) == enodes
        for validator in _network(generated)["validators"]:
            config = _config(generated, validator["name"])
            assert config["permissions-nodes-config-file-enabled"] is True
            assert sorted(config["bootnodes"] + [validator["enode"]]) == sorted(enodes)
            assert set(config["bootnodes"]) <= set(allowlist)  # Besu refuses bootnodes outside the allowlist

    def test_enode_hosts_and_ports_match_each_nodes_p2p_settings(self, generated: Path) -> None:
        for validator in _network(generated)["validators"]:
            config = _config(generated, validator["name"])
            enode = urlparse(validator["enode"])
            assert enode.hostname == config["p2p-host"] == validator["ip"]
            assert enode.port == config["p2p-port"]

    def test_validators_in_extra_data_are_the_allowlisted_nodes(self, generated: Path) -> None:
        genesis = json.loads((generated / "genesis.json").read_text())
        decoded = generator.decode_qbft_extra_data(genesis["extraData"])
        assert decoded["validators"] == [v["address"] for v in _network(generated)["validators"]]


class TestChain:
    def test_qbft_genesis(self, generated: Path) -> None:
        config = json.loads((generated / "genesis.json").read_text())["config"]
        qbft = config["qbft"]
        assert qbft["blockperiodseconds"] >= 1 and qbft["epochlength"] > 0
        assert qbft["requesttimeoutseconds"] >= 2 * qbft["blockperiodseconds"]
        assert "clique" not in config and "ibft2" not in config and "ethash" not in config
        assert config["cancunTime"] == 0  # the contracts are compiled for cancun

    def test_free_gas_on_every_node(self, generated: Path) -> None:
        """B10: zeroBaseFee in the genesis and min-gas-price 0 on every node, or Besu silently drops txs."""
        assert json.loads((generated / "genesis.json").read_text())["config"]["zeroBaseFee"] is True
        for validator in _network(generated)["validators"]:
            config = _config(generated, validator["name"])
            assert config["min-gas-price"] == 0
            assert "tx-pool-price-bump" not in config  # zeroBaseFee sets it to 0; Besu errors if it is given
            assert config["tx-pool-max-future-by-sender"] >= 200

    def test_chain_id_everywhere_the_same(self, generated: Path) -> None:
        chain_id = json.loads((generated / "genesis.json").read_text())["config"]["chainId"]
        assert _network(generated)["chain_id"] == chain_id
        envs = [generated / "deploy" / "deploy.env", *sorted(generated.glob("bank*/bank.env"))]
        assert len(envs) == 3
        for path in envs:
            assert int(_env(path)["TRADELEDGER_CHAIN_ID"]) == chain_id


class TestRpc:
    def test_service_facing_rpc_exposes_no_admin_apis(self, generated: Path) -> None:
        """E5: PERM/ADMIN (and DEBUG, TXPOOL) are not on the endpoint the services use."""
        for validator in _network(generated)["validators"]:
            config = _config(generated, validator["name"])
            assert config["rpc-http-enabled"] is True
            assert set(config["rpc-http-api"]) == {"ETH", "NET", "WEB3", "QBFT"}
            assert not set(config["rpc-http-api"]) & FORBIDDEN_APIS
            assert config.get("rpc-ws-enabled") is False and config.get("graphql-http-enabled") is False

    def test_services_page_logs_within_the_nodes_cap_and_need_no_confirmations_on_qbft(self, generated: Path) -> None:
        """The node check's eth_getLogs range and finality lines hold by construction on the compose consortium."""
        from tradeledger.config import load_settings

        caps = {
            v["name"]: _config(generated, v["name"])["rpc-max-logs-range"] for v in _network(generated)["validators"]
        }
        for path in [generated / "deploy" / "deploy.env", *sorted(generated.glob("bank*/bank.env"))]:
            settings = load_settings(_env_file=str(path))
            assert settings.log_range <= caps[str(urlparse(settings.chain).hostname)]
            assert settings.confirmations == 0
        assert "qbft" in json.loads((generated / "genesis.json").read_text())["config"]

    def test_each_service_reaches_its_node_by_an_allowlisted_host_and_port(self, generated: Path) -> None:
        network = _network(generated)
        by_name = {v["name"]: v for v in network["validators"]}
        chains = {"deploy": "validator1", **{b["name"]: b["validator"] for b in network["banks"]}}
        folders = {"deploy": "deploy.env", **{b["name"]: "bank.env" for b in network["banks"]}}
        for who, node in chains.items():
            url = urlparse(_env(generated / who / folders[who])["TRADELEDGER_CHAIN"])
            config = _config(generated, node)
            assert url.hostname == node and url.port == config["rpc-http-port"]
            assert url.hostname in config["host-allowlist"]
            assert by_name[node]["rpc_url"] == f"http://{node}:{config['rpc-http-port']}"
            assert config["rpc-http-host"] == "0.0.0.0"  # the container's interfaces, reached by service name


class TestBanks:
    def test_each_bank_its_own_database_node_and_key(self, generated: Path) -> None:
        network = _network(generated)
        envs = {b["name"]: _env(generated / b["name"] / "bank.env") for b in network["banks"]}
        assert len({env["TRADELEDGER_DATABASE_URL"] for env in envs.values()}) == len(envs)
        assert len({env["TRADELEDGER_CHAIN"] for env in envs.values()}) == len(envs)
        init_sql = (generated / "postgres" / "init.sql").read_text()
        for name, env in envs.items():
            url = urlparse(env["TRADELEDGER_DATABASE_URL"])
            assert url.scheme == "postgresql+psycopg" and url.hostname == "postgres" and url.path == f"/{name}"
            assert f"CREATE ROLE {url.username} LOGIN PASSWORD '{url.password}';" in init_sql
            assert f"CREATE DATABASE {name} OWNER {url.username};" in init_sql
        assert len({b["address"] for b in network["banks"]} | {network["operator"]}) == len(envs) + 1
        assert _env(generated / "deploy" / "deploy.env")["TRADELEDGER_FOUNDING_BANK"] == network["banks"][0]["address"]

    def test_settings_load_as_the_service_would(self, generated: Path) -> None:
        from tradeledger.config import load_settings

        for path in [generated / "deploy" / "deploy.env", *sorted(generated.glob("bank*/bank.env"))]:
            settings = load_settings(_env_file=str(path))
            assert settings.chain.startswith("http://validator") and not settings.is_dev_chain
            assert settings.chain_id == _network(generated)["chain_id"]
            assert settings.operator_keystore is not None and settings.keystore_passphrase_file is not None
            assert settings.fingerprint_secret()


class TestComposeMatchesGenerated:
    def test_compose_ip_addresses_are_the_enode_hosts(self, generated: Path) -> None:
        services = _compose()["services"]
        for validator in _network(generated)["validators"]:
            assert services[validator["name"]]["networks"]["consortium"]["ipv4_address"] == validator["ip"]
        subnet = _compose()["networks"]["consortium"]["ipam"]["config"][0]["subnet"]
        assert subnet == _network(generated)["subnet"]

    def test_compose_mounts_files_where_the_configs_expect_them(self, generated: Path) -> None:
        services = _compose()["services"]
        for validator in _network(generated)["validators"]:
            service = services[validator["name"]]
            config = _config(generated, validator["name"])
            assert service["image"] == _network(generated)["besu_image"]
            assert service["command"] == ["--config-file=/config/config.toml"]
            assert _mount(service, "/config/config.toml").endswith(f"/{validator['name']}/config.toml")
            assert _mount(service, config["node-private-key-file"]).endswith(f"/{validator['name']}/key")
            assert _mount(service, config["genesis-file"]).endswith("/genesis.json")
            assert _mount(service, config["static-nodes-file"]).endswith("/static-nodes.json")
            assert _mount(service, config["permissions-nodes-config-file"]).endswith("/permissions_config.toml")
            assert any(v.split(":")[1] == config["data-path"] for v in service["volumes"])

    def test_service_settings_point_at_mounted_files(self, generated: Path) -> None:
        services = _compose()["services"]
        for name in ["deploy", *(b["name"] for b in _network(generated)["banks"])]:
            service = services[name]
            env = _env(generated.parent.parent / service["env_file"].removeprefix("./"))
            assert _mount(service, env["TRADELEDGER_OPERATOR_KEYSTORE"]).endswith(f"/{name}/operator.keystore.json")
            assert _mount(service, env["TRADELEDGER_KEYSTORE_PASSPHRASE_FILE"]).endswith("/keystore-passphrase")
            assert any(v.split(":")[1] == env["TRADELEDGER_DATA_DIR"] for v in service["volumes"])
