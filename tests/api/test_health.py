"""Health and readiness, on a real in-process chain with the platform deployed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry import _logs, metrics, trace

from tradeledger.api.app import create_app
from tradeledger.config import Settings
from tradeledger.runtime import Platform, open_platform


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    opened = open_platform(settings.model_copy(update={"chain": "memory"}))
    yield opened
    opened.close()


def test_health_reports_chain_and_indexer(platform: Platform) -> None:
    platform.indexer.catch_up()
    with TestClient(create_app(platform)) as client:
        response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "chain_id": platform.chain.chain_id(),
        "block_number": platform.chain.block_number(),
        "chain_time": platform.chain_time(),  # the memory chain mines only on transactions: no new block since
        "indexed_block": platform.chain.block_number(),
        "pending_transactions": 0,
        "problems": [],
    }


def test_ready_when_indexer_runs(platform: Platform) -> None:
    platform.indexer.catch_up()  # the deployment alone is more blocks than the readiness threshold allows behind
    with TestClient(create_app(platform)) as client:
        assert client.get("/v1/ready").status_code == 200


def test_unknown_route_is_problem_json(platform: Platform) -> None:
    with TestClient(create_app(platform)) as client:
        response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "http_404"


def test_openapi_documents_health(platform: Platform) -> None:
    with TestClient(create_app(platform)) as client:
        spec = client.get("/openapi.json").json()
    assert {"/v1/health", "/v1/ready"} <= set(spec["paths"])
    assert "503" in spec["paths"]["/v1/ready"]["get"]["responses"]


def test_requests_do_not_ask_for_telemetry_providers(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """FastAPI's native telemetry is off (api.app.TELEMETRY): no request looks OpenTelemetry's providers up."""
    asked: list[str] = []
    for module, name in (
        (trace, "get_tracer_provider"),
        (metrics, "get_meter_provider"),
        (_logs, "get_logger_provider"),
    ):
        found = getattr(module, name)
        monkeypatch.setattr(module, name, lambda found=found, name=name: asked.append(name) or found())
    with TestClient(create_app(platform)) as client:
        assert client.get("/v1/health").status_code == 200
        assert client.get("/v1/nothing-here").status_code == 404
    assert asked == []
