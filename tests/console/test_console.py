"""The web console in a real browser: Debian's chromium driven by Playwright, against the demo platform served by
the service (API and the built console at /console on one origin, a real anvil chain behind it).

The demo trade walks through the console as the people who would do it: the issuing bank issues, the advising
bank advises and confirms, the issuing bank refuses a discrepant presentation (after a refusal with no
discrepancy comes back as a sentence next to the field), the importer waives, the bank honours; the issuing bank's
reconciliation analyst resolves a break; the auditor drops a statement file and its manifest and sees it verified,
then a tampered copy caught entry by entry. The set-up steps a console user does not do (the order, the LC
application, the exporter's presentation, the statement, the books) go through the same API as the demo. Each
workspace is photographed into docs/console/ for the README.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from reconciliation.formats import StatementFormat
from tradeledger.api.app import CONSOLE_DIST
from tradeledger.config import load_settings
from tradeledger.demo.reports import Reports, SavedStatement, inject_breaks
from tradeledger.demo.runner import Target, embedded_target
from tradeledger.demo.trade import Cast, Party, Trade

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 30_000  # a write answers once its block is indexed; the page then reloads its views
expect.set_options(timeout=WAIT_MS)


@dataclass
class World:
    target: Target
    cast: Cast
    trade: Trade
    out: Path

    @property
    def console(self) -> str:
        return f"{self.target.base_url}/console/"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not (CONSOLE_DIST / "index.html").is_file():
        pytest.fail(f"the console is not built ({CONSOLE_DIST}): run `make console` (make test does)")
    home = tmp_path_factory.mktemp("console")
    settings = load_settings(data_dir=home / "data", _env_file=None)
    with embedded_target(settings) as target:
        cast = Cast.of(target.members, target.client)
        yield World(target, cast, Trade(cast), home / "out")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make chromium` installs Debian's package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(browser: Browser, world: World, party: Party) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin")
    page.set_default_timeout(WAIT_MS)
    page.goto(world.console)
    page.get_by_label("API key").fill(party.member.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Workspaces")).to_be_visible()
    return page


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_wrong_key_is_refused_next_to_the_field(browser: Browser, world: World) -> None:
    page = browser.new_page()
    page.goto(world.console)
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("#field-api-key-error")
    expect(error).to_be_visible()
    assert page.get_by_label("API key").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("API key").get_attribute("aria-describedby") == "field-api-key-error"
    page.close()


def test_the_demo_trade_through_the_console(browser: Browser, world: World) -> None:
    lc = _application(world)
    bank_a = sign_in(browser, world, world.cast.issuing_bank)
    _issued_advised_confirmed(browser, world, bank_a, lc)
    _refused_waived_honoured(browser, world, bank_a, lc)
    _financed(browser, world)
    statement = _break_resolved(world, bank_a)
    bank_a.close()
    _tampered_file_caught(browser, world, statement)


def _application(world: World) -> str:
    """The order and the LC application: the importer's, over the API as the demo makes them."""
    c, trade = world.cast, world.trade
    trade.purchase_order()
    application = trade.api.post(c.importer, "/v1/lcs", {
        "terms": _terms(trade),
        "beneficiary": c.exporter.address, "issuing_bank": c.issuing_bank.address,
        "advising_bank": c.advising_bank.address, "confirming_bank": c.advising_bank.address,
        "available_with_bank": c.issuing_bank.address,
    }, expect=201)  # fmt: skip
    trade.outcome.lc_id = application["lc_id"]
    return str(application["lc_id"])


def _issued_advised_confirmed(browser: Browser, world: World, bank_a: Page, lc: str) -> None:
    """The issuing bank issues; the advising bank advises and confirms."""
    bank_a.get_by_role("button", name=f"Issue credit {lc}").click()
    expect(bank_a.get_by_role("button", name=f"Issue credit {lc}")).to_have_count(0)
    bank_b = sign_in(browser, world, world.cast.advising_bank)
    bank_b.get_by_role("button", name=f"Advise credit {lc}").click()
    bank_b.get_by_role("button", name=f"Confirm credit {lc}").click()
    expect(bank_b.get_by_role("button", name=f"Confirm credit {lc}")).to_have_count(0)
    assert world.trade.api.get(world.cast.importer, f"/v1/lcs/{lc}")["state"] == "CONFIRMED"
    bank_b.close()


def _refused_waived_honoured(browser: Browser, world: World, bank_a: Page, lc: str) -> None:
    """The exporter presents (over the API); the issuing bank sees the deadline counting down and refuses (a
    refusal naming no discrepancy comes back next to the field); the importer waives; the bank honours."""
    c, trade = world.cast, world.trade
    presented = trade.api.post(c.exporter, f"/v1/lcs/{lc}/presentations", {
        "documents": [{"kind": "invoice", "fields": _invoice(trade)}], "amount": trade.DRAWING,
        "shipment_date": trade.today.isoformat(),
    })  # fmt: skip
    presentation = presented["presentations"][-1]["presentation_id"]
    bank_a.reload()  # signed in still (the tab keeps its key); the live feed would show it too
    exam = bank_a.get_by_label(f"Examination of credit {lc}")
    expect(exam.get_by_role("timer")).to_contain_text(re.compile(r"\d+ d \d+ h left"))
    refusal = exam.get_by_role("form", name=f"Refuse presentation {presentation}")
    refusal.get_by_role("button", name=f"Refuse presentation #{presentation}").click()  # no discrepancy named
    expect(refusal.locator("#field-discrepancies-error")).to_contain_text("at least 1 item")
    refusal.get_by_label("Discrepancies (codes, one per line)").fill("INVOICE_DESCRIPTION_DIFFERS")
    refusal.get_by_label("Disposition of the documents").select_option("hold_pending_waiver")
    shoot(bank_a, "bank-examination")
    refusal.get_by_role("button", name=f"Refuse presentation #{presentation}").click()
    expect(exam.get_by_text("waiting for the applicant")).to_be_visible()

    importer = sign_in(browser, world, c.importer)
    importer.get_by_role("row").filter(has_text=re.compile(rf"^{lc}")).get_by_role("button", name="Details").click()
    importer.get_by_role("button", name="Waive the discrepancies").click()
    detail = importer.get_by_label(f"Credit {lc}")
    expect(detail.locator(f"[data-presentation='{presentation}']")).to_contain_text("waived")
    bank_a.get_by_role("button", name=f"Honour presentation #{presentation}").click()
    expect(detail.locator(f"[data-presentation='{presentation}']")).to_contain_text("honoured")  # via the live feed
    assert trade.api.get(c.importer, f"/v1/lcs/{lc}")["presentations"][-1]["state"] == "HONOURED"
    expect(detail.get_by_role("img", name=f"Timeline of letter of credit {lc}")).to_be_visible()
    expect(detail.locator(".timeline-list")).to_contain_text("honoured")
    expect(importer.locator(".balances")).to_contain_text("USD")
    shoot(importer, "trader")
    importer.close()


def _financed(browser: Browser, world: World) -> None:
    """The advising bank finances the exporter's invoice: an amount with more decimals than USD has is refused
    next to the field before anything is sent; the right one finances it on chain."""
    c, trade = world.cast, world.trade
    document = trade.api.post(c.advising_bank, "/v1/documents", {
        "kind": "invoice", "fields": _invoice(trade, "FIN"), "owner": c.exporter.address, "currency": "USD",
        "face_value": trade.invoice_face_value,
    }, expect=201)["document_id"]  # fmt: skip
    bank_b = sign_in(browser, world, c.advising_bank)
    form = bank_b.get_by_role("form", name=f"Finance document {document}")
    form.get_by_label("Amount (USD)").fill("1,000.005")
    form.get_by_label("Reference").fill(f"FIN-{trade.run}-1")
    form.get_by_role("button", name=f"Finance document {document}").click()
    expect(form.locator(f"#field-amount-{document}-error")).to_have_text("USD has 2 decimal places.")
    financed = trade.financed
    form.get_by_label("Amount (USD)").fill(f"{financed // 100:,}.{financed % 100:02d}")
    shoot(bank_b, "bank-advising")
    form.get_by_role("button", name=f"Finance document {document}").click()
    expect(bank_b.get_by_role("form", name=f"Finance document {document}")).to_have_count(0)
    view = trade.api.get(c.exporter, f"/v1/documents/{document}")
    assert (view["state"], int(view["financed_amount"])) == ("FINANCED", financed)
    bank_b.close()


def _break_resolved(world: World, bank_a: Page) -> SavedStatement:
    """The issuing bank's statement, anchored; its books (the same file with breaks injected) reconciled; its
    analyst resolves a break in the console (a resolution without a note is refused next to the field)."""
    c, trade = world.cast, world.trade
    reports = Reports(trade.api, c, trade.outcome, world.out, trade.today)
    statement = reports.statement(c.issuing_bank, StatementFormat.CSV)
    trade.api.post(c.issuing_bank, f"/v1/statements/{statement.view['id']}/anchor")
    books, _ = inject_breaks(statement.file.read_bytes())
    run = trade.api.post_file(
        c.issuing_bank, "/v1/reconciliations", files={"books": ("books.csv", books, "text/csv")},
        data={"account": c.issuing_bank.address, "currency": "USD", "date_from": trade.today.isoformat(),
              "cut_off": statement.view["period_end"], "format": "csv"},
    )  # fmt: skip
    bank_a.get_by_role("navigation", name="Workspaces").get_by_role("button", name="Reconciliation").click()
    bank_a.get_by_role("button", name=f"Open run {run['id']}").click()
    expect(bank_a.get_by_role("img", name=re.compile(r"Breaks by category: .*duplicate: 1"))).to_be_visible()
    expect(bank_a.get_by_role("img", name=re.compile(rf"run by run: run {run['id']}, .*duplicate 1"))).to_be_visible()
    break_id = bank_a.locator("li.break[data-status='open']").first.get_attribute("data-break")
    resolve = bank_a.get_by_role("form", name=f"Resolve break {break_id}")
    resolve.get_by_role("button", name=f"Resolve break {break_id}").click()  # no note
    expect(resolve.locator(f"#field-note-{break_id}-error")).to_be_visible()
    resolve.get_by_label(f"Resolution note for break {break_id}").fill("booked twice by the branch; voucher cancelled")
    resolve.get_by_role("button", name=f"Resolve break {break_id}").click()
    expect(bank_a.locator(f"li.break[data-break='{break_id}']")).to_have_attribute("data-status", "resolved")
    assert trade.api.get(c.issuing_bank, f"/v1/reconciliations/{run['id']}/breaks/{break_id}")["status"] == "resolved"
    shoot(bank_a, "reconciliation")
    return statement


def _tampered_file_caught(browser: Browser, world: World, statement: SavedStatement) -> None:
    """The auditor drops the file and its manifest: verified; then a tampered copy: caught at the changed entry."""
    auditor = sign_in(browser, world, world.cast.auditor)
    verdict = _verify(auditor, statement.file, statement.manifest)
    expect(verdict).to_have_attribute("data-verdict", "verified")
    tampered, entry = _tampered(statement, world.out)
    verdict = _verify(auditor, tampered, statement.manifest)
    expect(verdict).to_have_attribute("data-verdict", "failed")
    expect(verdict.locator(".verdict")).to_contain_text("Tampered: 1 of")
    expect(verdict.locator(f"tr[data-entry='{entry}']")).to_contain_text("changed")
    expect(verdict.get_by_role("list", name="Problems found")).to_contain_text("file: ")
    shoot(auditor, "auditor")
    auditor.close()


def _verify(page: Page, file: Path, manifest: Path) -> Locator:
    page.get_by_label("Statement file", exact=True).set_input_files(str(file))
    page.get_by_label("Signed manifest (JSON)", exact=True).set_input_files(str(manifest))
    page.get_by_role("button", name="Verify against the chain").click()
    verdict = page.locator(".verification")
    expect(verdict).to_be_visible()
    return verdict


def _tampered(statement: SavedStatement, out: Path) -> tuple[Path, str]:
    """The statement file with one entry's amount raised by 10.00: what a forger would do."""
    rows = list(csv.reader(io.StringIO(statement.file.read_bytes().decode("utf-8-sig"))))
    column = {cell[cell.rfind("(") + 1 : -1]: index for index, cell in enumerate(rows[0])}
    row = rows[1]
    minor = int(row[column["amount_minor"]]) + 10_00
    row[column["amount_minor"]], row[column["amount"]] = str(minor), f"{minor // 100}.{minor % 100:02d}"
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path = out / "tampered" / statement.file.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))
    return path, row[column["entry_id"]]


def _terms(trade: Trade) -> dict[str, object]:
    from tradeledger.demo.trade import _lc_terms

    return _lc_terms(trade.run, trade.today, f"{trade.LC_AMOUNT // 100}.00")


def _invoice(trade: Trade, number: str = "LC") -> dict[str, object]:
    from tradeledger.demo.trade import _invoice as invoice

    amount = trade.DRAWING if number == "LC" else trade.invoice_face_value
    return invoice(trade.run, number, trade.today, amount)
