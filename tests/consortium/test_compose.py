"""docker-compose.yml: valid against the Compose Specification, and wired only to generated files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.consortium.conftest import ROOT

SCHEMA = Path(__file__).parent / "schema" / "compose-spec.json"
VALIDATORS = [f"validator{i}" for i in range(1, 5)]
BANKS = ["bank1", "bank2"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def _schema_errors(document: dict[str, Any]) -> list[str]:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in validator.iter_errors(document)]


def _host_paths(service: dict[str, Any]) -> list[str]:
    paths = [volume.split(":")[0] for volume in service.get("volumes", []) if volume.startswith(".")]
    env_files = service.get("env_file", [])
    return paths + ([env_files] if isinstance(env_files, str) else list(env_files))


class TestSchema:
    def test_compose_file_is_valid(self, compose: dict[str, Any]) -> None:
        assert _schema_errors(compose) == []

    def test_schema_catches_mistakes(self, compose: dict[str, Any]) -> None:
        """The check has teeth: a misspelt key and a wrong depends_on condition are both reported."""
        broken = json.loads(json.dumps(compose))
        broken["services"]["bank1"]["healthchek"] = broken["services"]["bank1"].pop("healthcheck")
        broken["services"]["bank2"]["depends_on"]["deploy"]["condition"] = "service_done"
        errors = _schema_errors(broken)
        assert any("healthchek" in error for error in errors) and any("service_done" in error for error in errors)


class TestServices:
    def test_four_pinned_besu_validators_with_their_own_volumes(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        for name in VALIDATORS:
            image = services[name]["image"]
            assert re.fullmatch(r"hyperledger/besu:\d+\.\d+\.\d+", image), image
            assert f"{name}-data" in compose["volumes"]
            assert f"{name}-data:/opt/besu/data" in services[name]["volumes"]
            assert "healthcheck" in services[name]

    def test_deploy_job_waits_for_healthy_validators(self, compose: dict[str, Any]) -> None:
        deploy = compose["services"]["deploy"]
        assert deploy["depends_on"] == {name: {"condition": "service_healthy"} for name in VALIDATORS}
        script = " ".join(deploy["command"])
        assert script.index('tradeledger chain check "$$TRADELEDGER_CHAIN" &&') < script.index("tradeledger deploy")
        assert "tradeledger consortium bootstrap" in " ".join(deploy["command"])
        assert deploy["restart"] == "no"

    def test_bank_services(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        for index, name in enumerate(BANKS, start=1):
            service = services[name]
            assert service["build"] == "." and "tradeledger serve" in " ".join(service["command"])
            assert service["depends_on"]["deploy"] == {"condition": "service_completed_successfully"}
            assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
            assert service["depends_on"][f"validator{index}"] == {"condition": "service_healthy"}
            assert "/v1/health" in " ".join(service["healthcheck"]["test"])
            assert service["env_file"] == f"./consortium/generated/{name}/bank.env"

    def test_postgres_creates_one_database_per_bank(self, compose: dict[str, Any]) -> None:
        volumes = compose["services"]["postgres"]["volumes"]
        assert "./consortium/generated/postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in volumes


class TestReferencesGeneratedFiles:
    def test_every_host_path_is_a_file_the_generator_writes(self, compose: dict[str, Any], generated: Path) -> None:
        project = generated.parent.parent  # stands in for the repository root
        referenced = [path for service in compose["services"].values() for path in _host_paths(service)]
        assert len(referenced) > 20
        for path in referenced:
            assert path.startswith("./consortium/generated/"), f"{path}: compose must mount only generated files"
            assert (project / path).is_file(), f"{path} is not produced by scripts/consortium/generate.py"

    def test_every_generated_secret_is_used(self, compose: dict[str, Any], generated: Path) -> None:
        referenced = {path for service in compose["services"].values() for path in _host_paths(service)}
        for relative in ("secrets/keystore-passphrase", "postgres/superuser-password", "genesis.json"):
            assert f"./consortium/generated/{relative}" in referenced

    def test_generated_output_is_ignored_by_git(self) -> None:
        assert "/consortium/generated/" in (ROOT / ".gitignore").read_text().splitlines()


class TestDockerfile:
    def test_service_image(self) -> None:
        dockerfile = (ROOT / "Dockerfile").read_text()
        assert dockerfile.startswith("#") and "FROM python:3.11-slim AS service" in dockerfile
        assert "pip install ." in dockerfile
        # the image is the service stage plus the built console: Node.js only in the console's build stage
        final = dockerfile[dockerfile.rindex("\nFROM ") :]
        assert final.startswith("\nFROM service\n")
        assert not re.search(r"^(RUN|FROM).*\b(node|npm|solc)\b", final, re.MULTILINE | re.IGNORECASE)
        assert "COPY --from=console /console/dist" in final and "CONSOLE_DIST" in final
        assert re.search(r"^USER (?!root)", final, re.MULTILINE)

    def test_console_build_stage(self) -> None:
        """The console is built from its lock file against the OpenAPI document of the service in the image."""
        dockerfile = (ROOT / "Dockerfile").read_text()
        stage = dockerfile[dockerfile.index("FROM node:") : dockerfile.rindex("\nFROM ")]
        assert "RUN npm ci" in stage and "RUN npm run build" in stage
        assert "COPY --from=api-description /tmp/generated ./generated" in stage
        assert "RUN python /tmp/dump_openapi.py /tmp/generated" in dockerfile
        ignored = (ROOT / ".dockerignore").read_text().splitlines()
        assert "**/node_modules" in ignored and "tests" in ignored
        ignored = (ROOT / ".dockerignore").read_text().splitlines()
        assert "consortium/generated" in ignored  # keys never go into the image
