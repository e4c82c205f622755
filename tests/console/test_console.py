"""The web console in a real browser: Debian's chromium driven by Playwright, against the demo platform served by
the service (API and the built console at /console on one origin, a real anvil chain behind it).

The demo trade walks through the console as the people who would do it, each signed in as a person (a user with a
password and roles, created by the member's administrator over the API; a session cookie and its CSRF token): the
issuing bank's clerk issues, the advising bank's clerk advises and confirms, the issuing bank's clerk refuses a
discrepant presentation (after a refusal with no discrepancy comes back as a sentence next to the field), the
importer waives, the clerk honours and the honour is held for four eyes: the bank's checker approves it in the
approvals queue (a rejection without a reason is refused next to the field); the importer, short of funds, owes the
bank a reimbursement claim both see, and pays it once its money arrives; the importer confirms the delivery of an
order on open account; the clerk issues a guarantee; the issuing bank's reconciliation analyst resolves a break; the
auditor drops a statement file and its manifest and sees it verified, then a tampered copy caught entry by entry,
and reads a transferable record's history of control. The set-up steps a console user does not do (the users, the
order, the LC and guarantee applications, the exporter's presentation, the record, the statement, the books) go
through the same API as the demo. Each workspace is photographed into out/console/, or, with
TRADELEDGER_CONSOLE_SHOTS=docs/console (`make screenshots`), into the README's pictures: a test run leaves the
tracked files alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from reconciliation.formats import StatementFormat
from tradeledger.api.app import CONSOLE_DIST
from tradeledger.config import load_settings
from tradeledger.demo.reports import Reports, SavedStatement, inject_breaks
from tradeledger.demo.runner import Target, embedded_target
from tradeledger.demo.trade import Cast, Party, Trade
from tradeledger.undertakings.discount import DayCount, days_to_maturity, discount

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / os.environ.get("TRADELEDGER_CONSOLE_SHOTS", "out/console")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 30_000  # a write answers once its block is indexed; the page then reloads its views
expect.set_options(timeout=WAIT_MS)


PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    """A user of a member who signs in with a password (a session), with the roles the member's administrator gave;
    `created` is the operator's command still creating it, if any."""

    party: Party
    username: str
    created: subprocess.Popen[bytes] | None = None

    def ready(self) -> None:
        if self.created is not None:
            out, _ = self.created.communicate(timeout=120)
            assert self.created.returncode == 0, out.decode(errors="replace")


@dataclass
class World:
    target: Target
    cast: Cast
    trade: Trade
    out: Path
    people: dict[str, Person]

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
        trade = Trade(cast)
        world = World(target, cast, trade, home / "out", _people(trade, cast, home))
        yield world
        for person in world.people.values():  # the operator's command ends by itself, before the platform
            if person.created is not None:
                person.created.wait(timeout=120)


def _people(trade: Trade, cast: Cast, home: Path) -> dict[str, Person]:
    """The persons of the walk, created by each member's administrator (its demo key), and bank A's four-eyes rule:
    every honour needs a checker's approval. An auditor member writes nothing over the API, not even its users: its
    person is created by the instance's operator with `tradeledger users create`."""
    roster = {
        "clerk": (cast.issuing_bank, ["maker"]),
        "checker": (cast.issuing_bank, ["checker"]),
        "adviser": (cast.advising_bank, ["maker"]),
        "importer": (cast.importer, ["maker"]),
    }
    people = {"auditor": Person(cast.auditor, "auditor", _operator_creates(home, cast.auditor, "auditor", "auditor"))}
    for username, (party, roles) in roster.items():
        trade.api.post(party, "/v1/users", {"username": username, "roles": roles, "password": PASSWORD}, expect=201)
        people[username] = Person(party, username)
    trade.api.post(cast.issuing_bank, "/v1/approval-policies", {
        "operation": "lc.honour", "currency": "USD", "threshold": 0, "approvals": 1, "approver_roles": ["checker"],
    }, expect=201)  # fmt: skip
    return people


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make chromium` installs Debian's package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _operator_creates(home: Path, party: Party, username: str, role: str) -> subprocess.Popen[bytes]:
    """`tradeledger users create` on the platform's data directory, started now and awaited at the person's first
    sign-in (the command's start-up overlaps the walk)."""
    env = {**os.environ, "TRADELEDGER_DATA_DIR": str(home / "data"), "TRADELEDGER_NEW_PASSWORD": PASSWORD}
    command = [str(Path(sys.executable).with_name("tradeledger")), "users", "create", "--member", party.address,
               "--username", username, "--role", role]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def sign_in(browser: Browser, world: World, person: Person) -> Page:
    """A person signs in with member, username and password; the console then works under the session cookie."""
    person.ready()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin")
    page.set_default_timeout(WAIT_MS)
    page.goto(world.console)
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Member address").fill(person.party.address)
    form.get_by_label("Username").fill(person.username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("navigation", name="Workspaces")).to_be_visible()
    expect(page.locator(".who .user")).to_have_text(person.username)
    return page


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Workspaces").get_by_role("button", name=name).click()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_problems_are_sentences_next_to_the_fields(browser: Browser, world: World) -> None:
    """A malformed code is named next to its field in words (not pydantic's); wrong credentials get one sentence
    that does not tell which part was wrong; a service account's API key is still accepted on its own form."""
    page = browser.new_page()
    page.goto(world.console)
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Member address").fill(world.cast.issuing_bank.address)
    form.get_by_label("Username").fill("clerk")
    form.get_by_label("Password").fill("not the password")
    form.get_by_label("Second-factor code (if enrolled)").fill("12")
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(form.locator("#field-totp_code-error")).to_have_text("Must be six digits.")
    assert form.get_by_label("Second-factor code (if enrolled)").get_attribute("aria-invalid") == "true"
    form.get_by_label("Second-factor code (if enrolled)").fill("")
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(form.get_by_role("alert")).to_have_text("Wrong member, username, password or second-factor code.")
    form.get_by_role("button", name="Use an API key (service accounts)").click()
    page.get_by_label("API key", exact=True).fill("not-a-key")
    page.get_by_role("button", name="Sign in", exact=True).click()
    error = page.locator("#field-api-key-error")
    expect(error).to_be_visible()
    assert page.get_by_label("API key", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("API key", exact=True).get_attribute("aria-describedby") == "field-api-key-error"
    page.close()


def test_the_demo_trade_through_the_console(browser: Browser, world: World) -> None:
    lc = _application(world)
    bank_a = sign_in(browser, world, world.people["clerk"])
    _issued_advised_confirmed(browser, world, bank_a, lc)
    _refused_waived_honoured(browser, world, bank_a, lc)
    _financed(browser, world)
    _open_account_delivered(browser, world)
    _guarantee_issued(world, bank_a)
    statement = _break_resolved(world, bank_a)
    _signed_out(world, bank_a)
    record = _record(world)
    auditor = _tampered_file_caught(browser, world, statement)
    _record_read(auditor, record)
    _session_ended(world, auditor)


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
    bank_b = sign_in(browser, world, world.people["adviser"])
    bank_b.get_by_role("button", name=f"Advise credit {lc}").click()
    bank_b.get_by_role("button", name=f"Confirm credit {lc}").click()
    expect(bank_b.get_by_role("button", name=f"Confirm credit {lc}")).to_have_count(0)
    assert world.trade.api.get(world.cast.importer, f"/v1/lcs/{lc}")["state"] == "CONFIRMED"
    bank_b.close()


def _refused_waived_honoured(browser: Browser, world: World, bank_a: Page, lc: str) -> None:
    """The exporter presents (over the API); the issuing bank sees the deadline counting down and refuses (a
    refusal naming no discrepancy comes back next to the field); the importer waives; the clerk honours, held for
    the checker, who approves it in the queue; the importer, who moved its money away, owes a reimbursement claim
    and pays it once its bank has credited it."""
    c, trade = world.cast, world.trade
    presented = trade.api.post(c.exporter, f"/v1/lcs/{lc}/presentations", {
        "documents": [{"kind": "invoice", "fields": _invoice(trade)}], "amount": trade.DRAWING,
        "shipment_date": trade.today.isoformat(),
    })  # fmt: skip
    presentation = presented["presentations"][-1]["presentation_id"]
    bank_a.reload()  # signed in still (the session cookie, its CSRF token kept by the tab); the live feed would show it
    exam = bank_a.get_by_label(f"Examination of credit {lc}")
    expect(exam.get_by_role("timer")).to_contain_text(re.compile(r"\d+ d \d+ h left"))
    refusal = exam.get_by_role("form", name=f"Refuse presentation {presentation}")
    refusal.get_by_role("button", name=f"Refuse presentation #{presentation}").click()  # no discrepancy named
    expect(refusal.locator("#field-discrepancies-error")).to_have_text("Name at least one item.")
    refusal.get_by_label("Discrepancies (codes, one per line)").fill("INVOICE_DESCRIPTION_DIFFERS")
    refusal.get_by_label("Disposition of the documents").select_option("hold_pending_waiver")
    shoot(bank_a, "bank-examination")
    refusal.get_by_role("button", name=f"Refuse presentation #{presentation}").click()
    expect(exam.get_by_text("waiting for the applicant")).to_be_visible()

    importer = sign_in(browser, world, world.people["importer"])
    importer.get_by_role("row").filter(has_text=re.compile(rf"^{lc}")).get_by_role("button", name="Details").click()
    importer.get_by_role("button", name="Waive the discrepancies").click()
    detail = importer.get_by_label(f"Credit {lc}")
    expect(detail.locator(f"[data-presentation='{presentation}']")).to_contain_text("waived")
    _spend_everything(world)  # the honour cannot debit the importer: the bank's claim on it opens instead (Art 7)
    bank_a.get_by_role("button", name=f"Honour presentation #{presentation}").click()
    expect(exam.get_by_role("status")).to_contain_text("Held for approval: 1 approval(s) by checker")
    _approved(browser, world, lc, presentation)
    expect(detail.locator(f"[data-presentation='{presentation}']")).to_contain_text("honoured")  # via the live feed
    assert trade.api.get(c.importer, f"/v1/lcs/{lc}")["presentations"][-1]["state"] == "HONOURED"
    expect(detail.get_by_role("img", name=f"Timeline of letter of credit {lc}")).to_be_visible()
    timeline = detail.locator(".timeline-list")
    expect(timeline).to_contain_text("honoured")
    expect(timeline).to_contain_text("applied")
    expect(timeline).to_contain_text("by applicant (you)")
    expect(timeline).to_contain_text("by issuing bank")
    expect(timeline).not_to_contain_text("0x")  # names, not addresses
    claim = importer.locator("[data-claim^='claim ']")
    expect(claim).to_contain_text("open")
    expect(claim.get_by_role("button", name=re.compile(r"Pay claim \d+"))).to_be_visible()
    expect(importer.locator(".balances")).to_contain_text("USD")
    shoot(importer, "trader")
    expect(bank_a.locator("[data-claim^='claim ']")).to_contain_text("open")  # the bank's side of the same claim
    # the importer's money arrives, off chain, at its bank, which credits it on chain
    trade.api.post(c.issuing_bank, f"/v1/accounts/{c.importer.address}/deposits", {
        "currency": "USD", "amount": trade.DRAWING, "reference": f"FUNDS-{trade.run}",
    })  # fmt: skip
    claim.get_by_role("button", name=re.compile(r"Pay claim \d+")).click()
    expect(claim).to_contain_text("settled")
    expect(bank_a.locator("[data-claim^='claim ']")).to_contain_text("settled")
    importer.close()


def _spend_everything(world: World) -> None:
    """The importer pays all its USD to the exporter (over the API), so the honour finds nothing to debit."""
    c = world.cast
    balances = world.trade.api.get(c.importer, f"/v1/accounts/{c.importer.address}/balances")["balances"]
    usd = next(int(b["amount"]) for b in balances if b["currency"] == "USD")
    world.trade.api.post(c.importer, "/v1/settlements/transfers", {
        "to": c.exporter.address, "currency": "USD", "amount": usd, "reference": f"SPENT-{world.trade.run}",
    })  # fmt: skip


def _approved(browser: Browser, world: World, lc: str, presentation: str) -> None:
    """The bank's checker finds the held honour in the approvals queue: a rejection without a reason is refused
    next to the field; the approval sends the honour to the chain."""
    checker = sign_in(browser, world, world.people["checker"])
    approvals_tab = checker.get_by_role("navigation", name="Workspaces").get_by_role("button", name="Approvals")
    expect(approvals_tab).to_have_text("Approvals 1")  # one request waits for this checker
    approvals_tab.click()
    request = checker.get_by_role("form", name=f"Request lc.honour of credit {lc}, presentation {presentation}")
    expect(request).to_contain_text("0 of 1 approval(s), by checker")
    shoot(checker, "approvals")
    request_id = request.get_attribute("data-request")
    request.get_by_role("button", name="Reject").click()
    expect(request.locator(f"#field-reason-{request_id}-error")).to_have_text("Must not be empty.")
    request.get_by_label("Reason").fill("drawing and waiver checked against the file")
    request.get_by_role("button", name="Approve").click()
    expect(request).to_have_count(0)
    expect(checker.locator(f"tr[data-request='{request_id}']")).to_contain_text("sent")
    expect(approvals_tab).to_have_text("Approvals")
    checker.close()


def _financed(browser: Browser, world: World) -> None:
    """The advising bank finances the exporter's invoice: an amount with more decimals than USD has is refused
    next to the field before anything is sent; the right one finances it on chain."""
    c, trade = world.cast, world.trade
    document = trade.api.post(c.advising_bank, "/v1/documents", {
        "kind": "invoice", "fields": _invoice(trade, "FIN"), "owner": c.exporter.address, "currency": "USD",
        "face_value": trade.invoice_face_value,
    }, expect=201)["document_id"]  # fmt: skip
    bank_b = sign_in(browser, world, world.people["adviser"])
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


def _open_account_delivered(browser: Browser, world: World) -> None:
    """An order on open account, accepted and shipped by the exporter (over the API): the importer confirms the
    delivery in the console, the due date counting down beside it."""
    c, trade = world.cast, world.trade
    order = trade.api.post(c.importer, "/v1/orders", {
        "seller": c.exporter.address, "amount": 4_000_00, "currency": "USD", "payment_terms": "open_account",
        "terms": {"goods": "200 cartons of jasmine tea", "run": trade.run},
        "latest_shipment": (trade.today + timedelta(days=10)).isoformat(),
        "due_date": (trade.today + timedelta(days=60)).isoformat(),
    }, expect=201)["order_id"]  # fmt: skip
    trade.api.post(c.exporter, f"/v1/orders/{order}/accept")
    bill = "0x" + hashlib.sha256(f"sea waybill {trade.run}".encode()).hexdigest()
    trade.api.post(c.exporter, f"/v1/orders/{order}/ship", {"transport_document_hash": bill})
    importer = sign_in(browser, world, world.people["importer"])
    tab(importer, "Open account")
    row = importer.locator(f"tr[data-order='{order}']")
    expect(row.get_by_role("timer")).to_contain_text(re.compile(r"\d+ d \d+ h left"))
    row.get_by_role("button", name=f"Confirm delivery of order {order}").click()
    expect(row).to_contain_text("delivered")
    expect(row.get_by_role("button", name=f"Pay order {order}")).to_be_visible()
    shoot(importer, "open-account")
    assert trade.api.get(c.exporter, f"/v1/orders/{order}")["state"] == "DELIVERED"
    importer.close()


def _guarantee_issued(world: World, bank_a: Page) -> None:
    """The importer applies (over the API) for a demand guarantee in favour of the exporter; the clerk issues it."""
    c = world.cast
    applied = world.trade.api.post(c.importer, "/v1/guarantees", {
        "rules": "urdg758", "beneficiary": c.exporter.address, "guarantor": c.issuing_bank.address,
        "currency": "USD", "amount": 5_000_00, "terms": {"kind": "advance payment", "run": world.trade.run},
    }, expect=201)  # fmt: skip
    guarantee = applied["guarantee_id"]
    tab(bank_a, "Guarantees")
    bank_a.get_by_role("button", name=f"Details of guarantee {guarantee}").click()
    bank_a.get_by_role("button", name=f"Issue guarantee {guarantee}").click()
    expect(bank_a.locator(f"tr[data-guarantee='{guarantee}']")).to_contain_text("issued")
    shoot(bank_a, "guarantees")
    assert world.trade.api.get(c.exporter, f"/v1/guarantees/{guarantee}")["state"] == "ISSUED"


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
    tab(bank_a, "Reconciliation")
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


def _signed_out(world: World, page: Page) -> None:
    """Signing out ends the session on the service: its cookie no longer opens anything, a reload asks again."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    assert page.request.get(f"{world.target.base_url}/v1/me").status == 401
    page.reload()
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    page.close()


def _session_ended(world: World, page: Page) -> None:
    """A session ended elsewhere (here: signed out over the API with the same cookie) sends the open console back
    to the sign-in form at its next request, without a click."""
    assert page.request.delete(f"{world.target.base_url}/v1/sessions/current").status == 204
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    page.close()


def _tampered_file_caught(browser: Browser, world: World, statement: SavedStatement) -> Page:
    """The auditor drops the file and its manifest: verified; then a tampered copy: caught at the changed entry."""
    auditor = sign_in(browser, world, world.people["auditor"])
    verdict = _verify(auditor, statement.file, statement.manifest)
    expect(verdict).to_have_attribute("data-verdict", "verified")
    tampered, entry = _tampered(statement, world.out)
    verdict = _verify(auditor, tampered, statement.manifest)
    expect(verdict).to_have_attribute("data-verdict", "failed")
    expect(verdict.locator(".verdict")).to_contain_text("Tampered: 1 of")
    expect(verdict.locator(f"tr[data-entry='{entry}']")).to_contain_text("changed")
    expect(verdict.get_by_role("list", name="Problems found")).to_contain_text("file: ")
    shoot(auditor, "auditor")
    return auditor


def _record(world: World) -> str:
    """Bank A issues an electronic bill of lading to the exporter (over the API): its SHA-256 on chain only."""
    c = world.cast
    digest = "0x" + hashlib.sha256(f"bill of lading {world.trade.run}".encode()).hexdigest()
    issued = world.trade.api.post(c.issuing_bank, "/v1/records", {
        "kind": "bill_of_lading", "document_hash": digest, "holder": c.exporter.address,
    }, expect=201)  # fmt: skip
    return str(issued["record_id"])


def _record_read(auditor: Page, record: str) -> None:
    """The auditor reads who controls the record and its history of control."""
    tab(auditor, "Records")
    auditor.get_by_role("button", name=f"Details of record {record}").click()
    detail = auditor.get_by_label(f"Record {record}")
    expect(detail.locator(".timeline-list")).to_contain_text("issued")
    expect(auditor.locator(f"tr[data-record='{record}']")).to_contain_text("held")
    expect(detail.get_by_role("button")).to_have_count(0)  # an auditor reads only
    shoot(auditor, "records")


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


def test_open_account_through_the_console(browser: Browser, world: World) -> None:
    """Issue #17's screens: an order on open account delivered and invoiced short (over the API), the buyer's data
    match a mismatch. The importer's bank establishes its payment undertaking to the exporter's bank, chosen by
    name; reads the match report (every field compared, the mismatch marked); accepts the mismatch, which its
    four-eyes rule holds: the notice where it was clicked links to the request, and the checker approves it. The
    exporter's bank then discounts the undertaking, shown the discount before it submits, and the service charges
    exactly that. On a second order matched exactly, the importer approves a payable and that bank finances it."""
    c, trade = world.cast, world.trade
    order, invoice = _invoiced_short(world)
    trade.api.post(c.issuing_bank, "/v1/approval-policies", {
        "operation": "undertakings.accept_mismatch", "currency": "USD", "threshold": 0, "approvals": 1,
        "approver_roles": ["checker"],
    }, expect=201)  # fmt: skip
    due = trade.today + timedelta(days=45)
    undertaking = _established(browser, world, order, invoice, due)
    _mismatch_accepted(browser, world, undertaking, invoice)
    _discounted(browser, world, undertaking, due)
    _payable_financed(browser, world)


def _invoiced_short(world: World) -> tuple[str, str]:
    """The order (180 cartons at USD 20.00, 2 % quantity tolerance), accepted, shipped and delivered; the invoice
    for 170 cartons; the importer's data match against the delivery of 180: MISMATCHED."""
    c, trade = world.cast, world.trade
    lines = [{"item": "JASMINE-CARTON", "quantity": 180, "unit_price": 20_00}]
    order = trade.api.post(c.importer, "/v1/orders", {
        "seller": c.exporter.address, "amount": 3_600_00, "currency": "USD", "payment_terms": "open_account",
        "terms": {"goods": "180 cartons of jasmine tea", "run": trade.run, "lines": lines,
                  "tolerances": {"quantity_plus_bps": 200, "quantity_minus_bps": 200}},
        "latest_shipment": (trade.today + timedelta(days=10)).isoformat(),
        "due_date": (trade.today + timedelta(days=45)).isoformat(),
    }, expect=201)["order_id"]  # fmt: skip
    bill = "0x" + hashlib.sha256(f"sea waybill OA {trade.run}".encode()).hexdigest()
    trade.api.post(c.exporter, f"/v1/orders/{order}/accept")
    trade.api.post(c.exporter, f"/v1/orders/{order}/ship", {"transport_document_hash": bill})
    trade.api.post(c.importer, f"/v1/orders/{order}/deliver")
    invoice = trade.api.post(c.exporter, "/v1/invoices", {
        "order_id": int(order), "number": f"CI-{trade.run}-OA-SHORT", "issue_date": trade.today.isoformat(),
        "amount": 3_400_00, "lines": [{"item": "JASMINE-CARTON", "quantity": 170, "unit_price": 20_00}],
    }, expect=201)["invoice_id"]  # fmt: skip
    evidence = {"kind": "delivery_confirmation", "document_hash": bill, "event_date": trade.today.isoformat(),
                "quantities": {"JASMINE-CARTON": 180}}  # fmt: skip
    matched = trade.api.post(c.importer, f"/v1/invoices/{invoice}/match", {"evidence": evidence})
    assert matched["state"] == "MISMATCHED", matched
    return str(order), str(invoice)


def _established(browser: Browser, world: World, order: str, invoice: str, due: date) -> str:
    """The importer's bank (the obligor) establishes the undertaking from the order's row, the recipient bank
    chosen by its name; it then reads the invoice's match report."""
    c, trade = world.cast, world.trade
    bank_a = sign_in(browser, world, world.people["clerk"])
    tab(bank_a, "Open account")
    form = bank_a.get_by_role("form", name=f"Establish a payment undertaking for order {order}")
    form.get_by_role("button", name=f"Establish a payment undertaking for order {order}").click()  # no bank chosen
    expect(form.locator(".field-error")).to_have_text("Choose the seller's bank.")
    form.get_by_label("Recipient bank (the seller's)").select_option(label=c.advising_bank.member.name)
    form.get_by_label("Amount (USD)").fill("3,400.00")  # what was invoiced, not the order's USD 3,600.00
    form.get_by_label("Due date").fill(due.isoformat())
    form.get_by_label("Expiry (last day the data may match)").fill((due - timedelta(days=5)).isoformat())
    form.get_by_role("button", name=f"Establish a payment undertaking for order {order}").click()
    expect(form).to_have_count(0)
    (established,) = trade.api.get(c.issuing_bank, "/v1/payment-undertakings", {"order_id": order})["items"]
    undertaking = str(established["undertaking_id"])
    row = bank_a.locator(f"tr[data-undertaking='{undertaking}']")
    expect(row).to_contain_text("Mismatch: the obligor bank accepts it")
    expect(row).to_contain_text(c.advising_bank.member.name)  # the recipient bank by its name, not its address
    bank_a.get_by_role("button", name=f"Details of invoice {invoice}").click()
    detail = bank_a.get_by_label(f"Invoice {invoice}")
    expect(detail.locator(".match-report")).to_have_attribute("data-verdict", "mismatch")
    mismatch = detail.locator("tr.mismatch[data-field='line[JASMINE-CARTON].quantity']")
    expect(mismatch).to_contain_text("170")
    expect(detail.locator("tr[data-field]")).not_to_have_count(1)  # every field compared, not only the mismatch
    shoot(bank_a, "open-account-bank")
    assert (established["state"], established["recipient_bank"], established["amount"]) == (
        "ESTABLISHED",
        c.advising_bank.address,
        "340000",
    )
    bank_a.close()
    return undertaking


def _mismatch_accepted(browser: Browser, world: World, undertaking: str, invoice: str) -> None:
    """The clerk accepts the mismatch; the bank's rule holds it: the notice beside the button links to the request
    in the Approvals tab, where the checker approves it."""
    c, trade = world.cast, world.trade
    bank_a = sign_in(browser, world, world.people["clerk"])
    tab(bank_a, "Open account")
    bank_a.get_by_role("button", name=f"Details of undertaking {undertaking}").click()
    detail = bank_a.get_by_label(f"Payment undertaking {undertaking}")
    detail.get_by_role("button", name=f"Accept the mismatch of invoice {invoice}").click()
    notice = detail.get_by_role("status")
    expect(notice).to_contain_text("Held for approval: 1 approval(s) by checker needed.")
    notice.get_by_role("link", name="Open request undertakings.accept_mismatch in Approvals").click()
    focused = bank_a.locator("tr[data-request][aria-current='true']")
    expect(focused).to_contain_text(f"undertaking {undertaking}")
    approvals_tab = bank_a.get_by_role("navigation", name="Workspaces").get_by_role("button", name="Approvals")
    expect(approvals_tab).to_have_attribute("aria-current", "page")
    bank_a.close()
    checker = sign_in(browser, world, world.people["checker"])
    tab(checker, "Approvals")
    request = checker.get_by_role("form", name=f"Request undertakings.accept_mismatch of undertaking {undertaking}")
    request.get_by_role("button", name="Approve").click()
    expect(request).to_have_count(0)
    view = trade.api.get(c.importer, f"/v1/payment-undertakings/{undertaking}")
    assert view["mismatch_invoice_id"] == invoice, view
    checker.close()


def _discounted(browser: Browser, world: World, undertaking: str, due: date) -> None:
    """The exporter's bank registers the invoice (over the API) and discounts the undertaking in the console: the
    discount is shown before it submits (4.5 % ACT/360 to the due date), and the service charges exactly that."""
    c, trade = world.cast, world.trade
    fields = {"seller_id": "300300S39XTBSNH66F17", "buyer_id": "529900T8BM49AURSDO55",
              "invoice_number": f"CI-{trade.run}-OA-SHORT", "issue_date": trade.today.isoformat(),
              "amount": 3_400_00, "currency": "USD"}  # fmt: skip
    document = trade.api.post(c.advising_bank, "/v1/documents", {
        "kind": "invoice", "fields": fields, "owner": c.exporter.address, "currency": "USD", "face_value": 3_400_00,
    }, expect=201)["document_id"]  # fmt: skip
    expected = discount(3_400_00, 450, days_to_maturity(datetime.now(UTC).date(), due), DayCount.ACT_360)
    bank_b = sign_in(browser, world, world.people["adviser"])
    tab(bank_b, "Open account")
    bank_b.get_by_role("button", name=f"Details of undertaking {undertaking}").click()
    form = bank_b.get_by_role("form", name=f"Discount undertaking {undertaking}")
    form.get_by_label("Invoice registered by you").select_option(str(document))
    form.get_by_label("Annual rate (%)").fill("4.5")
    form.get_by_label("Reference").fill(f"DISC-{trade.run}-OA")
    preview = form.get_by_role("status", name="Computed discount")
    expect(preview).to_contain_text(f"Discount USD {expected.discount / 100:,.2f} for {expected.days} day(s)")
    expect(preview).to_contain_text(f"the seller receives USD {expected.advance / 100:,.2f}")
    shoot(bank_b, "open-account-discount")
    form.get_by_role("button", name=f"Discount undertaking {undertaking}").click()
    expect(form).to_have_count(0)
    view = trade.api.get(c.exporter, f"/v1/payment-undertakings/{undertaking}")
    assert (view["payee"], view["financed_document_id"]) == (c.advising_bank.address, str(document))
    financed = trade.api.get(c.exporter, f"/v1/documents/{document}")
    assert int(financed["financed_amount"]) == expected.advance
    bank_b.close()


def _payable_financed(browser: Browser, world: World) -> None:
    """Payables finance: an order invoiced and matched exactly (over the API); the importer approves a payable from
    the invoice's detail, and the exporter's bank finances it at the discount it was shown (6 % ACT/365)."""
    c, trade = world.cast, world.trade
    lines = [{"item": "OOLONG-TIN", "quantity": 50, "unit_price": 30_00}]
    order = trade.api.post(c.importer, "/v1/orders", {
        "seller": c.exporter.address, "amount": 1_500_00, "currency": "USD", "payment_terms": "open_account",
        "terms": {"goods": "50 tins of oolong", "run": trade.run, "lines": lines},
        "latest_shipment": (trade.today + timedelta(days=10)).isoformat(),
        "due_date": (trade.today + timedelta(days=30)).isoformat(),
    }, expect=201)["order_id"]  # fmt: skip
    bill = "0x" + hashlib.sha256(f"air waybill OA {trade.run}".encode()).hexdigest()
    trade.api.post(c.exporter, f"/v1/orders/{order}/accept")
    trade.api.post(c.exporter, f"/v1/orders/{order}/ship", {"transport_document_hash": bill})
    trade.api.post(c.importer, f"/v1/orders/{order}/deliver")
    number = f"CI-{trade.run}-OA-PAYABLE"
    invoice = trade.api.post(c.exporter, "/v1/invoices", {
        "order_id": int(order), "number": number, "issue_date": trade.today.isoformat(), "amount": 1_500_00,
        "lines": lines,
    }, expect=201)["invoice_id"]  # fmt: skip
    evidence = {"kind": "delivery_confirmation", "document_hash": bill, "event_date": trade.today.isoformat(),
                "quantities": {"OOLONG-TIN": 50}}  # fmt: skip
    assert trade.api.post(c.importer, f"/v1/invoices/{invoice}/match", {"evidence": evidence})["state"] == "MATCHED"

    importer = sign_in(browser, world, world.people["importer"])
    tab(importer, "Open account")
    importer.get_by_role("button", name=f"Details of invoice {invoice}").click()
    approval = importer.get_by_role("form", name=f"Approve a payable for invoice {invoice}")
    expect(approval.get_by_label("Amount (USD)")).to_have_value("1500.00")
    maturity = trade.today + timedelta(days=30)
    approval.get_by_label("Maturity").fill(maturity.isoformat())
    approval.get_by_role("button", name=f"Approve a payable for invoice {invoice}").click()
    expect(approval).to_have_count(0)
    (payable,) = [p for p in trade.api.get(c.importer, "/v1/payables", {"limit": "200"})["items"]
                  if p["invoice_id"] == str(invoice)]  # fmt: skip
    expect(importer.locator(f"tr[data-payable='{payable['payable_id']}']")).to_contain_text("approved")
    importer.close()

    fields = {"seller_id": "300300S39XTBSNH66F17", "buyer_id": "529900T8BM49AURSDO55", "invoice_number": number,
              "issue_date": trade.today.isoformat(), "amount": 1_500_00, "currency": "USD"}  # fmt: skip
    document = trade.api.post(c.advising_bank, "/v1/documents", {
        "kind": "invoice", "fields": fields, "owner": c.exporter.address, "currency": "USD", "face_value": 1_500_00,
    }, expect=201)["document_id"]  # fmt: skip
    expected = discount(1_500_00, 600, days_to_maturity(datetime.now(UTC).date(), maturity), DayCount.ACT_365)
    bank_b = sign_in(browser, world, world.people["adviser"])
    tab(bank_b, "Open account")
    bank_b.get_by_role("button", name=f"Details of payable {payable['payable_id']}").click()
    form = bank_b.get_by_role("form", name=f"Finance payable {payable['payable_id']}")
    form.get_by_label("Invoice registered by you").select_option(str(document))
    form.get_by_label("Annual rate (%)").fill("6")
    form.get_by_label("Day count").select_option("ACT/365")
    expect(form.get_by_role("status", name="Computed discount")).to_contain_text(
        f"Discount USD {expected.discount / 100:,.2f} for {expected.days} day(s)"
    )
    form.get_by_role("button", name=f"Finance payable {payable['payable_id']}").click()
    expect(form).to_have_count(0)
    financed = trade.api.get(c.exporter, f"/v1/payables/{payable['payable_id']}")
    assert financed["state"] == "FINANCED" and int(financed["discount"]["discount"]) == expected.discount, financed
    expect(bank_b.get_by_label(f"Payable {payable['payable_id']}")).to_contain_text("Financed by you")
    bank_b.close()


def test_undertakings_at_maturity_and_reduction_schedules_through_the_console(browser: Browser, world: World) -> None:
    """A deferred payment credit available with the advising bank, which honours a drawing by its undertaking (over
    the API): both banks read when it matures and what happens then, with nothing to click before. On the maturity
    day (the browser's clock moved there) the nominated bank is offered its payment, and the day after the issuing
    bank the honour of its default; the chain, whose day has not come, refuses both, and the refusal is shown where
    it was clicked. The service's scheduler makes the payment itself on the chain's maturity day (hosting every
    member here, it would pay a drawing that matured already before anyone could click). A guarantee's reduction
    schedule reads the same way: each step's date and what remains after it, and a step in effect offered for
    recording."""
    c, trade = world.cast, world.trade
    lc, presentation, maturity = _deferred_honour(world)
    name = f"{lc}/{presentation}"
    bank_b = sign_in(browser, world, world.people["adviser"])
    row = bank_b.locator(f"tr[data-deferred='{name}']")
    expect(row).to_contain_text(f"payable on {maturity.isoformat()}")
    expect(row.get_by_role("button")).to_have_count(0)
    _on_day(bank_b, maturity)
    row.get_by_role("button", name=f"Pay at maturity {name}").click()
    expect(row.get_by_role("alert")).to_contain_text("LetterOfCreditNotMatured")  # not by the chain's clock
    shoot(bank_b, "deferred-undertakings")
    bank_b.close()
    bank_a = sign_in(browser, world, world.people["clerk"])
    row = bank_a.locator(f"tr[data-deferred='{name}']")
    expect(row.get_by_role("button")).to_have_count(0)
    _on_day(bank_a, maturity + timedelta(days=1))
    expect(row).to_contain_text("the issuing bank honours it (Art 7a)")
    expect(row.get_by_role("button", name=f"Pay at maturity {name}")).to_have_count(0)  # not the issuer's to pay
    row.get_by_role("button", name=f"Honour the default {name}").click()
    expect(row.get_by_role("alert")).to_contain_text("LetterOfCreditNoDefault")  # not by the chain's clock
    deferred = trade.api.get(c.exporter, f"/v1/lcs/{lc}")["presentations"][-1]["deferred_payment"]
    assert deferred["state"] == "INCURRED"
    _reduction_schedule_read(world, bank_a)
    bank_a.close()


def _deferred_honour(world: World) -> tuple[str, str, date]:
    """A credit by deferred payment at 14 days after shipment, available with bank B; a drawing it honours (all over
    the API): the credit, the presentation and the undertaking's maturity day."""
    from tradeledger.demo.trade import _invoice as invoice

    c, trade = world.cast, world.trade
    terms = {**_terms(trade), "lc_number": f"LC-DEF-{trade.run}", "available_with": "BKBBCNSH",
             "available_by": "BY DEF PAYMENT", "tenor_days": 14, "tenor_basis": "AFTER SHIPMENT",
             "confirmation_instructions": "WITHOUT", "requested_confirmation_party": None}  # fmt: skip
    lc = trade.api.post(c.importer, "/v1/lcs", {
        "terms": terms, "beneficiary": c.exporter.address, "issuing_bank": c.issuing_bank.address,
        "advising_bank": c.advising_bank.address, "available_with_bank": c.advising_bank.address,
    }, expect=201)["lc_id"]  # fmt: skip
    trade.api.post(c.issuing_bank, f"/v1/lcs/{lc}/issue")
    presented = trade.api.post(c.exporter, f"/v1/lcs/{lc}/presentations", {
        "documents": [{"kind": "invoice", "fields": invoice(trade.run, "DEF", trade.today, 2_000_00)}],
        "amount": 2_000_00, "shipment_date": (trade.today - timedelta(days=1)).isoformat(),
    })  # fmt: skip
    presentation = presented["presentations"][-1]["presentation_id"]
    honoured = trade.api.post(c.advising_bank, f"/v1/lcs/{lc}/presentations/{presentation}/honour")
    deferred = honoured["presentations"][-1]["deferred_payment"]
    assert (deferred["state"], deferred["obligor"]) == ("INCURRED", c.advising_bank.address)
    return str(lc), str(presentation), date.fromisoformat(deferred["maturity_date"])


def _on_day(page: Page, day: date) -> None:
    """The browser's clock at noon UTC of `day` (the chain's stays where it is), the console reloaded."""
    page.clock.set_fixed_time(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    page.reload()


def _reduction_schedule_read(world: World, bank_a: Page) -> None:
    """A guarantee of USD 5,000.00 reduced by 1,000.00 in 30 days and 1,500.00 in 60, issued: the clerk reads both
    steps to come; with the browser a day past the first, it is offered for recording, which the chain refuses."""
    c, trade = world.cast, world.trade
    first, second = trade.today + timedelta(days=30), trade.today + timedelta(days=60)
    guarantee = trade.api.post(c.importer, "/v1/guarantees", {
        "rules": "urdg758", "beneficiary": c.exporter.address, "guarantor": c.issuing_bank.address,
        "currency": "USD", "amount": 5_000_00, "terms": {"kind": "performance", "run": trade.run},
        "reduction_schedule": [{"date": first.isoformat(), "amount": 1_000_00},
                               {"date": second.isoformat(), "amount": 1_500_00}],
    }, expect=201)["guarantee_id"]  # fmt: skip
    trade.api.post(c.issuing_bank, f"/v1/guarantees/{guarantee}/issue")
    _on_day(bank_a, trade.today)
    tab(bank_a, "Guarantees")
    bank_a.get_by_role("button", name=f"Details of guarantee {guarantee}").click()
    schedule = bank_a.get_by_label(f"Reduction schedule of guarantee {guarantee}")
    expect(schedule.locator("tr[data-status='upcoming']")).to_have_count(2)
    expect(schedule.locator("tr[data-step='1']")).to_contain_text(first.isoformat())
    expect(schedule.locator("tr[data-step='2']")).to_contain_text("USD 2,500.00")  # what remains after both
    expect(schedule.get_by_role("button")).to_have_count(0)
    _on_day(bank_a, first + timedelta(days=1))
    tab(bank_a, "Guarantees")
    bank_a.get_by_role("button", name=f"Details of guarantee {guarantee}").click()
    expect(schedule.locator("tr[data-step='1']")).to_contain_text("in effect, not recorded yet")
    schedule.get_by_role("button", name=f"Record the reductions in effect of guarantee {guarantee}").click()
    expect(schedule.get_by_role("alert")).to_contain_text("UndertakingsReductionNotDue")  # not by the chain's clock
    shoot(bank_a, "guarantee-reductions")
