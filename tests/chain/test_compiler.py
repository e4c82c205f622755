"""The compiler pipeline: the solc shim, and committed artifacts that match the sources."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tradeledger.chain.compiler import (
    EVM_VERSION,
    PROJECT_ROOT,
    SOLC_SHIM,
    SOLC_VERSION,
    Artifact,
    compile_all,
    stale_artifacts,
    write_artifacts,
)


def _run_shim(*args: str, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SOLC_SHIM), *args], input=stdin.encode(), capture_output=True, timeout=300, cwd=PROJECT_ROOT
    )


class TestSolcShim:
    def test_version_looks_like_native_solc(self) -> None:
        result = _run_shim("--version")
        assert result.returncode == 0
        assert f"Version: {SOLC_VERSION}+commit." in result.stdout.decode()

    def test_standard_json_output_above_one_mebibyte_arrives_whole(self) -> None:
        imports = "".join(
            f'import "@openzeppelin/contracts/{path}.sol";'
            for path in (
                "token/ERC20/ERC20",
                "token/ERC721/ERC721",
                "token/ERC1155/ERC1155",
                "access/AccessControl",
            )
        )
        source = f'pragma solidity ^0.8.28; {imports} contract T is ERC20 {{ constructor() ERC20("t", "t") {{}} }}'
        request = {
            "language": "Solidity",
            "sources": {"T.sol": {"content": source}},
            "settings": {"outputSelection": {"*": {"*": ["*"], "": ["ast"]}}},
        }
        result = _run_shim("--standard-json", stdin=json.dumps(request))
        assert result.returncode == 0, result.stderr
        assert len(result.stdout) > 1024 * 1024
        output = json.loads(result.stdout)  # a truncated or prefixed output would not parse
        assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
        assert "T" in output["contracts"]["T.sol"]

    def test_unsupported_invocation_fails(self) -> None:
        result = _run_shim("contracts/Foo.sol")
        assert result.returncode == 1
        assert b"only --version and --standard-json" in result.stderr


@pytest.fixture(scope="module")
def fresh() -> dict[str, Artifact]:
    return compile_all()


class TestArtifacts:
    def test_committed_artifacts_are_fresh(self, fresh: dict[str, Artifact]) -> None:
        assert fresh, "no contracts compiled"
        problems = stale_artifacts(fresh)
        assert problems == [], f"run `make contracts` and commit: {', '.join(problems)}"

    def test_stale_artifact_is_named(self, fresh: dict[str, Artifact], tmp_path: Path) -> None:
        write_artifacts(fresh, tmp_path)
        victim = sorted(fresh)[0]
        document = json.loads((tmp_path / f"{victim}.json").read_text())
        document["deployedBytecode"] = document["deployedBytecode"][:-2] + "00"
        (tmp_path / f"{victim}.json").write_text(json.dumps(document))
        (tmp_path / "Gone.json").write_text("{}")
        assert stale_artifacts(fresh, tmp_path) == sorted([f"{victim} (stale)", "Gone (no such contract)"])

    def test_artifacts_pin_compiler_and_evm_version(self, fresh: dict[str, Artifact]) -> None:
        for artifact in fresh.values():
            compiler = json.loads(artifact.to_json())["compiler"]
            assert compiler["solc"] == SOLC_VERSION
            assert compiler["settings"]["evmVersion"] == EVM_VERSION
            assert compiler["settings"]["optimizer"]["enabled"] is True
