"""The generator: QBFT extraData names exactly the validators, keys derive from the seed, output is reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_keys.datatypes import PrivateKey

from tests.consortium.conftest import SEED, generate, generator


def _validator_addresses_from_keys(out: Path) -> list[str]:
    addresses: list[str] = []
    for index in range(1, 5):
        hex_key = (out / f"validator{index}" / "key").read_text().strip()
        addresses.append(PrivateKey(bytes.fromhex(hex_key.removeprefix("0x"))).public_key.to_checksum_address())
    return addresses


class TestExtraData:
    def test_decodes_to_exactly_the_validators_in_order(self, generated: Path) -> None:
        extra_data = json.loads((generated / "genesis.json").read_text())["extraData"]
        items = rlp.decode(bytes.fromhex(extra_data.removeprefix("0x")))
        assert len(items) == 5, "QBFT extraData is RLP([vanity, validators, vote, round, seals])"
        vanity, validators, vote, round_number, seals = items
        assert vanity == bytes(32)
        assert ["0x" + v.hex() for v in validators] == [a.lower() for a in _validator_addresses_from_keys(generated)]
        assert vote == [] and round_number == b"" and seals == []

    def test_matches_besu_encoding_byte_for_byte(self) -> None:
        # Besu's QbftExtraDataCodec.encodeFromAddresses for one validator 0x00..01:
        # f8 3a (58 bytes) | a0 <32 zero bytes> | d5 94 <address> | c0 (no vote) | 80 (round 0) | c0 (no seals)
        address = "0x" + "00" * 19 + "01"
        expected = "0xf83aa0" + "00" * 32 + "d594" + address[2:] + "c080c0"
        assert generator.qbft_extra_data([address]) == expected

    def test_round_trip(self, generated: Path) -> None:
        extra_data = json.loads((generated / "genesis.json").read_text())["extraData"]
        decoded = generator.decode_qbft_extra_data(extra_data)
        assert decoded["validators"] == _validator_addresses_from_keys(generated)
        assert decoded["round"] == 0 and decoded["vote"] == [] and decoded["seals"] == []


class TestKeys:
    def test_enode_is_the_nodes_public_key(self, generated: Path) -> None:
        network = json.loads((generated / "network.json").read_text())
        for validator in network["validators"]:
            key = PrivateKey(bytes.fromhex((generated / validator["name"] / "key").read_text().strip()[2:]))
            assert validator["enode"].startswith(f"enode://{key.public_key.to_bytes().hex()}@")
            assert (generated / validator["name"] / "key.pub").read_text().strip() == "0x" + key.public_key.to_hex()[2:]
            assert validator["address"] == key.public_key.to_checksum_address()

    def test_keystores_open_with_the_generated_passphrase(self, generated: Path) -> None:
        passphrase = (generated / "secrets" / "keystore-passphrase").read_text().rstrip("\n")
        network = json.loads((generated / "network.json").read_text())
        expected = {"deploy": network["operator"], **{b["name"]: b["address"] for b in network["banks"]}}
        for folder, address in expected.items():
            keystore = json.loads((generated / folder / "operator.keystore.json").read_text())
            assert Account.from_key(Account.decrypt(keystore, passphrase)).address == address

    def test_all_keys_distinct(self, generated: Path) -> None:
        network = json.loads((generated / "network.json").read_text())
        addresses = [v["address"] for v in network["validators"]] + [network["operator"]]
        addresses += [b["address"] for b in network["banks"]]
        assert len(set(addresses)) == len(addresses) == 7


class TestReproducible:
    def test_same_seed_same_files(self, tmp_path: Path) -> None:
        generate(tmp_path / "a")
        generate(tmp_path / "b")
        files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
        for relative in files:
            assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative

    def test_other_seed_or_no_seed_other_keys(self, tmp_path: Path) -> None:
        generate(tmp_path / "a")
        assert generator.main(["--out", str(tmp_path / "c"), "--seed", SEED + "-2", "--fast-kdf"], echo=print) == 0
        assert generator.main(["--out", str(tmp_path / "r"), "--fast-kdf"], echo=print) == 0
        keys_of = {name: (tmp_path / name / "validator1" / "key").read_text() for name in ("a", "c", "r")}
        assert len(set(keys_of.values())) == 3

    def test_refuses_fewer_than_four_validators(self, tmp_path: Path) -> None:
        messages: list[str] = []
        assert generator.main(["--out", str(tmp_path), "--validators", "3"], echo=messages.append) == 2
        assert "at least 4 validators" in messages[0]

    @pytest.mark.parametrize("count", [4, 7])
    def test_validator_count(self, tmp_path: Path, count: int) -> None:
        network = generate(tmp_path, "--validators", str(count))
        decoded = generator.decode_qbft_extra_data(json.loads((tmp_path / "genesis.json").read_text())["extraData"])
        assert decoded["validators"] == [v["address"] for v in network["validators"]]
        assert len(decoded["validators"]) == count
