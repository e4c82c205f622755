"""The service serves the built console at /console, and only when there is a build."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tradeledger.api.app import mount_console


def test_the_build_is_served_at_console(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>")
    (tmp_path / "assets" / "app.js").write_text("export {};")
    app = FastAPI()
    assert mount_console(app, tmp_path)
    client = TestClient(app)
    assert client.get("/console", follow_redirects=False).headers["location"].endswith("/console/")
    page = client.get("/console/")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert "<title>console</title>" in page.text
    assert client.get("/console/assets/app.js").text == "export {};"


def test_without_a_build_there_is_no_console(tmp_path: Path) -> None:
    app = FastAPI()
    assert not mount_console(app, tmp_path)
    assert TestClient(app).get("/console/").status_code == 404
