"""The trade of DESIGN.md §7, walked through the HTTP API with one API key per party.

Every step is a real request to a running platform (or to a `TestClient` of one: both are `httpx.Client`s); a
step that does not answer as the rules say stops the walk with `DemoStepError` naming the step and the answer.
Each run uses its own references (order terms, LC number, invoice numbers, idempotency keys), so the walk can
run again on the same ledger.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tradeledger.demo.consortium import DemoMember
from tradeledger.errors import TradeLedgerError

JsonObject = dict[str, Any]


class DemoStepError(TradeLedgerError):
    """A step of the demo trade did not answer as expected."""

    code = "demo_step_failed"


@dataclass(frozen=True)
class Party:
    """A demo member and its HTTP client (its own API key)."""

    member: DemoMember
    client: httpx.Client

    @property
    def address(self) -> str:
        return self.member.address


@dataclass
class Check:
    """One line of the final summary."""

    name: str
    passed: bool
    detail: str


@dataclass
class TradeOutcome:
    """What the trade left behind, for the later steps (statements, reconciliation, audit) and the summary."""

    run: str
    checks: list[Check] = field(default_factory=list)
    lc_id: str = ""
    order_id: str = ""
    drawn: int = 0
    undertaking_id: str = ""
    undertaking_due: date | None = None

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))


@dataclass(frozen=True)
class Cast:
    """Who plays which part: the roster of `tradeledger.demo.consortium`."""

    agent: Party
    issuing_bank: Party  # Bank A: the importer's bank
    advising_bank: Party  # Bank B: the exporter's bank, also confirms and finances
    other_bank: Party  # Bank C: tries to finance the same invoice again
    auditor: Party
    importer: Party  # Trader 1, client of Bank A
    exporter: Party  # Trader 2, client of Bank B

    @classmethod
    def of(cls, members: list[DemoMember], client: Callable[[str], httpx.Client]) -> Cast:
        party = {member.handle: Party(member, client(member.api_key)) for member in members}
        try:
            return cls(
                agent=party["AGENT"],
                issuing_bank=party["BANK_A"],
                advising_bank=party["BANK_B"],
                other_bank=party["BANK_C"],
                auditor=party["AUDITOR"],
                importer=party["IMPORTER"],
                exporter=party["EXPORTER"],
            )
        except KeyError as missing:
            raise DemoStepError(f"the demo consortium has no member {missing}: restart `make run`") from None

    def account_holders(self) -> list[Party]:
        """Every member with an account on the Settlement ledger (auditors hold none and write nothing)."""
        return [self.agent, self.issuing_bank, self.advising_bank, self.other_bank, self.importer, self.exporter]


class Api:
    """Requests with a fresh Idempotency-Key each, checked against the status the step expects."""

    def __init__(self, run: str) -> None:
        self.run = run
        self._count = 0
        self.step = "start"

    def _key(self) -> str:
        self._count += 1
        return f"demo-{self.run}-{self._count}"

    def post(self, party: Party, path: str, body: JsonObject | None = None, *, expect: int = 200) -> JsonObject:
        response = party.client.post(path, json=body, headers={"Idempotency-Key": self._key()})
        return self._checked(response, expect, f"POST {path}")

    def post_file(
        self, party: Party, path: str, files: dict[str, tuple[str, bytes, str]], data: dict[str, str]
    ) -> JsonObject:
        response = party.client.post(path, files=files, data=data, headers={"Idempotency-Key": self._key()})
        return self._checked(response, 201, f"POST {path}")

    def get(self, party: Party, path: str, params: dict[str, str] | None = None) -> JsonObject:
        return self._checked(party.client.get(path, params=params), 200, f"GET {path}")

    def download(self, party: Party, path: str) -> bytes:
        response = party.client.get(path)
        self._checked(response, 200, f"GET {path}", body=False)
        return response.content

    def _checked(self, response: httpx.Response, expect: int, what: str, *, body: bool = True) -> JsonObject:
        if response.status_code != expect and not (expect == 200 and response.status_code == 201):
            raise DemoStepError(f"{self.step}: {what} answered {response.status_code}: {response.text[:500]}")
        return response.json() if body else {}


def chain_today(api: Api, party: Party) -> date:
    """The chain's UTC day (its latest block's): the day the contracts judge dates by, and the walk's today. A dev
    chain whose clock an earlier walk moved forward is ahead of the wall clock."""
    return datetime.fromtimestamp(api.get(party, "/v1/health")["chain_time"], UTC).date()


def _usd_balance(api: Api, party: Party) -> int:
    balances = api.get(party, f"/v1/accounts/{party.address}/balances")["balances"]
    return sum(int(b["amount"]) for b in balances if b["currency"] == "USD")


def _lc_terms(run: str, today: date, amount: str) -> JsonObject:
    """MT700-like terms of the demo credit: they stay off chain, their hash goes on chain."""
    return {
        "form_of_credit": "IRREVOCABLE",
        "lc_number": f"LC-DEMO-{run}",
        "expiry_date": (today + timedelta(days=60)).isoformat(),
        "expiry_place": "HAMBURG",
        "applicant": {"name": "Acme Imports GmbH", "party_id": "529900T8BM49AURSDO55"},
        "beneficiary": {"name": "青岛海运贸易有限公司", "party_id": "300300S39XTBSNH66F17"},
        "currency": "USD",
        "amount": amount,
        "tolerance_plus_pct": 5,
        "available_with": "BKAADEFF",  # Bank A, the issuing bank
        "available_by": "BY PAYMENT",
        "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
        "description_of_goods": "1,000 CARTONS GREEN TEA, CIF HAMBURG",
        "documents_required": [
            {"document_type": "COMMERCIAL INVOICE", "originals": 3},
            {"document_type": "BILL OF LADING", "originals": 3},
        ],
        "confirmation_instructions": "CONFIRM",
        "requested_confirmation_party": "BKBBCNSH",  # Bank B, the advising bank
    }


def _invoice(run: str, number: str, today: date, amount: int) -> JsonObject:
    return {
        "seller_id": "300300S39XTBSNH66F17",
        "buyer_id": "529900T8BM49AURSDO55",
        "invoice_number": f"CI-{run}-{number}",
        "issue_date": today.isoformat(),
        "amount": amount,
        "currency": "USD",
    }


class Trade:
    """Purchase order → LC (issue, advise, confirm, amendment) → discrepant presentation → waiver → honour →
    a second drawing honoured by the confirming bank and reimbursed by the issuer → a performance guarantee for the
    trade (demand rejected, demand paid) → invoice financing with a duplicate refused → a second trade on open
    account: invoice matched, Bank A's payment undertaking, Bank B's receivables discount."""

    LC_AMOUNT = 25_000_00  # USD 25,000.00 in minor units
    AMENDED_AMOUNT = 27_500_00
    DRAWING = 26_000_00
    COMMISSION = 137_50  # advising and confirmation commission, USD 137.50
    CONFIRMED_DRAWING = 2_000_00  # a second drawing, honoured by the confirming bank (Art 8)
    GUARANTEE_AMOUNT = 2_500_00  # the exporter's performance guarantee: 10% of the contract
    GUARANTEE_DEMAND = 1_000_00
    UNIT_PRICE = 10_00  # the second trade, on open account: cartons of green tea at USD 10.00
    DISCOUNT_RATE_BPS = 450  # Bank B discounts the undertaking at 4.5 % a year, ACT/360
    UNDERTAKING_DAYS = 1  # due tomorrow: the earliest day a discount has days to run, and one the demo can reach
    SETTLEMENT_WAIT_S = 120.0  # the scheduler's pass, the settlement's block and its indexing, on a busy machine

    def __init__(self, cast: Cast, *, run: str | None = None, today: date | None = None) -> None:
        self.cast = cast
        self.run = run or uuid.uuid4().hex[:8].upper()
        self.api = Api(self.run)
        self.today = today or chain_today(self.api, cast.auditor)
        self.outcome = TradeOutcome(self.run)
        # every run finances another invoice: the same parties, day and amount would be caught as a duplicate
        self.invoice_face_value = 18_000_00 + int(hashlib.sha256(self.run.encode()).hexdigest(), 16) % 10_000 * 100
        self.financed = self.invoice_face_value * 8 // 10
        self.cartons = 1_200 + int(hashlib.sha256(self.run.encode()).hexdigest(), 16) % 1_000  # the same reason
        self.open_account_amount = self.cartons * self.UNIT_PRICE

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.api.step = name
        yield

    def purchase_order(self) -> None:
        c = self.cast
        with self.step("purchase order"):
            order = self.api.post(c.importer, "/v1/orders", {
                "seller": c.exporter.address, "amount": self.LC_AMOUNT, "currency": "USD",
                "terms": {"goods": "1,000 cartons of green tea", "incoterms": "CIF Hamburg", "run": self.run},
                "latest_shipment": (self.today + timedelta(days=30)).isoformat(), "payment_terms": "letter_of_credit",
            }, expect=201)  # fmt: skip
            self.outcome.order_id = order["order_id"]
            self.api.post(c.exporter, f"/v1/orders/{order['order_id']}/accept")

    def letter_of_credit(self) -> None:
        c = self.cast
        with self.step("LC application"):
            lc = self.api.post(c.importer, "/v1/lcs", {
                "terms": _lc_terms(self.run, self.today, f"{self.LC_AMOUNT // 100}.00"),
                "beneficiary": c.exporter.address, "issuing_bank": c.issuing_bank.address,
                "advising_bank": c.advising_bank.address, "confirming_bank": c.advising_bank.address,
                "available_with_bank": c.issuing_bank.address,
            }, expect=201)  # fmt: skip
            self.outcome.lc_id = lc["lc_id"]
        path = self.lc_path
        for name, party, action, state in (
            ("issue", c.issuing_bank, "issue", "ISSUED"),
            ("advise", c.advising_bank, "advise", "ADVISED"),
            ("confirm", c.advising_bank, "confirm", "CONFIRMED"),
        ):
            with self.step(name):
                answered = self.api.post(party, f"{path}/{action}")["state"]
                if answered != state:
                    raise DemoStepError(f"{name}: the credit is {answered}, expected {state}")
        with self.step("amendment"):
            amended = self.api.post(c.issuing_bank, f"{path}/amendments", {"changes": {"amount": self.AMENDED_AMOUNT}})
            amendment = amended["amendments"][-1]["amendment_id"]
            accepted = self.api.post(c.exporter, f"{path}/amendments/{amendment}/accept", {})
            if int(accepted["amount"]) != self.AMENDED_AMOUNT:
                raise DemoStepError(f"amendment: the amount is {accepted['amount']} after acceptance")
        with self.step("commission"):  # the advising and confirming bank's charges, paid by the issuer (Art 37)
            self.api.post(c.issuing_bank, "/v1/settlements/transfers", {
                "to": c.advising_bank.address, "currency": "USD", "amount": self.COMMISSION,
                "reference": f"COMM-LC-DEMO-{self.run}",
            })  # fmt: skip

    @property
    def lc_path(self) -> str:
        return f"/v1/lcs/{self.outcome.lc_id}"

    def bill_of_lading(self) -> str:
        """Bank C, acting for the carrier, issues the electronic bill of lading of the shipment to the exporter."""
        c = self.cast
        with self.step("electronic bill of lading"):
            bill = f"eBL MSCU{self.run}: 1,000 cartons of green tea, Qingdao to Hamburg, shipped {self.today}"
            record = self.api.post(c.other_bank, "/v1/records", {
                "kind": "bill_of_lading", "document_hash": "0x" + hashlib.sha256(bill.encode()).hexdigest(),
                "holder": c.exporter.address, "to_order": False,
            }, expect=201)  # fmt: skip
        return str(record["record_id"])

    def presentation(self) -> None:
        """The exporter presents the invoice with the eBL (its control passes to the bank); refused, waived and
        honoured: the payment and the title to the goods pass in one transaction (title against payment)."""
        c = self.cast
        record_id = self.bill_of_lading()
        with self.step("presentation"):
            documents = [{"kind": "invoice", "fields": _invoice(self.run, "LC", self.today, self.DRAWING)}]
            presented = self.api.post(c.exporter, f"{self.lc_path}/presentations", {
                "documents": documents, "amount": self.DRAWING, "shipment_date": self.today.isoformat(),
                "record_id": int(record_id),
            })  # fmt: skip
            presentation = f"{self.lc_path}/presentations/{presented['presentations'][-1]['presentation_id']}"
        with self.step("refusal with a discrepancy"):
            self.api.post(c.issuing_bank, f"{presentation}/refuse", {
                "discrepancies": ["INVOICE_DESCRIPTION_DIFFERS"], "disposition": "hold_pending_waiver",
            })  # fmt: skip
        with self.step("waiver"):
            self.api.post(c.importer, f"{presentation}/waive")
        with self.step("honour"):
            before = _usd_balance(self.api, c.exporter)
            honoured = self.api.post(c.issuing_bank, f"{presentation}/honour")
            paid = _usd_balance(self.api, c.exporter) - before
        state = honoured["presentations"][-1]["state"]
        self.outcome.drawn = int(honoured["drawn"])
        self.outcome.check(
            "LC honoured and settled",
            state == "HONOURED" and paid == self.DRAWING,
            f"LC {self.outcome.lc_id}: presentation {state}, beneficiary paid USD {paid / 100:,.2f} on chain",
        )
        record = self.api.get(c.importer, f"/v1/records/{record_id}")
        self.outcome.check(
            "title passed with payment",
            record["holder"] == c.importer.address,
            f"eBL {record_id}: {record['state']}, held by the importer (controlled by "
            f"{'the importer' if record['controller'] == c.importer.address else 'Bank A, as security'})",
        )

    def confirmed_honour(self) -> None:
        """Art 8a, 7c: the confirming bank honours a second drawing from its own account and forwards the documents;
        the issuing bank reimburses it (its own interbank statement reference) and then debits the applicant."""
        c = self.cast
        with self.step("presentation to the confirming bank"):
            documents = [{"kind": "invoice", "fields": _invoice(self.run, "CB", self.today, self.CONFIRMED_DRAWING)}]
            presented = self.api.post(c.exporter, f"{self.lc_path}/presentations", {
                "documents": documents, "amount": self.CONFIRMED_DRAWING, "shipment_date": self.today.isoformat(),
            })  # fmt: skip
            presentation = f"{self.lc_path}/presentations/{presented['presentations'][-1]['presentation_id']}"
        with self.step("honour by the confirming bank"):
            confirmer_before = _usd_balance(self.api, c.advising_bank)
            honoured = self.api.post(c.advising_bank, f"{presentation}/honour")
            claim = honoured["presentations"][-1]["interbank_claim"] or {}
        with self.step("reimbursement of the confirming bank"):
            reimbursed = self.api.post(c.issuing_bank, f"{presentation}/reimburse-nominated-bank")
            state = (reimbursed["presentations"][-1]["interbank_claim"] or {}).get("state")
            confirmer_after = _usd_balance(self.api, c.advising_bank)
        self.outcome.drawn = int(reimbursed["drawn"])
        self.outcome.check(
            "confirmed credit honoured by the confirming bank, reimbursed by the issuer",
            claim.get("state") == "OPEN" and state == "REIMBURSED" and confirmer_after == confirmer_before,
            f"LC {self.outcome.lc_id}: Bank B paid USD {self.CONFIRMED_DRAWING / 100:,.2f}, Bank A reimbursed it "
            f"(claim {state})",
        )

    def performance_guarantee(self) -> None:
        """URDG 758: the exporter's bank (Bank B) issues a performance guarantee for the trade to the importer,
        advised by the importer's bank (Bank A); a demand without the statement of breach is rejected with one notice
        (URDG 15(a), 24(d)); a complying one is paid through the ledger and the exporter reimburses its bank."""
        c = self.cast
        with self.step("performance guarantee"):
            applied = self.api.post(c.exporter, "/v1/guarantees", {
                "rules": "urdg758", "beneficiary": c.importer.address, "guarantor": c.advising_bank.address,
                "advising_party": c.issuing_bank.address, "currency": "USD", "amount": self.GUARANTEE_AMOUNT,
                "expiry_date": (self.today + timedelta(days=180)).isoformat(),
                "terms": {"kind": "performance guarantee", "underlying": f"order {self.outcome.order_id}",
                          "rules": "URDG 758", "run": self.run},
            }, expect=201)  # fmt: skip
            path = f"/v1/guarantees/{applied['guarantee_id']}"
            self.api.post(c.advising_bank, f"{path}/issue")
            self.api.post(c.issuing_bank, f"{path}/advise")
        with self.step("guarantee demand rejected"):
            demand = {"amount": self.GUARANTEE_DEMAND, "documents": [{"kind": "inspection report", "run": self.run}]}
            first = self.api.post(c.importer, f"{path}/demands", {**demand, "statement": {"breach": "?"}})
            first_id = first["demands"][-1]["demand_id"]
            self.api.post(c.advising_bank, f"{path}/demands/{first_id}/reject", {
                "discrepancies": ["STATEMENT_DOES_NOT_STATE_BREACH"],
            })  # fmt: skip
        with self.step("guarantee demand paid"):
            statement = {"breach": "200 cartons short-shipped against the order", "signed_by": "importer"}
            second = self.api.post(c.importer, f"{path}/demands", {**demand, "statement": statement})
            second_id = second["demands"][-1]["demand_id"]
            before = _usd_balance(self.api, c.importer)
            paid = self.api.post(c.advising_bank, f"{path}/demands/{second_id}/pay")
            received = _usd_balance(self.api, c.importer) - before
        states = [d["state"] for d in paid["demands"]]
        references = paid["demands"][-1]["statement_references"]
        self.outcome.check(
            "guarantee demand examined and paid",
            states == ["REJECTED", "PAID"] and received == self.GUARANTEE_DEMAND,
            f"guarantee {applied['guarantee_id']}: one demand rejected, one paid USD "
            f"{self.GUARANTEE_DEMAND / 100:,.2f} by Bank B ({', '.join(references)})",
        )

    def financing(self) -> None:
        c = self.cast
        invoice = _invoice(self.run, "FIN", self.today, self.invoice_face_value)
        with self.step("invoice financing"):
            document = self.api.post(c.advising_bank, "/v1/documents", {
                "kind": "invoice", "fields": invoice, "owner": c.exporter.address, "currency": "USD",
                "face_value": self.invoice_face_value,
            }, expect=201)  # fmt: skip
            financed = self.api.post(c.advising_bank, f"/v1/documents/{document['document_id']}/financings", {
                "amount": self.financed, "reference": f"FIN-{self.run}-1",
            })  # fmt: skip
            if financed["state"] != "FINANCED":
                raise DemoStepError(f"invoice financing: the document is {financed['state']}")
        with self.step("duplicate financing"):
            altered = {**invoice, "invoice_number": invoice["invoice_number"].lower().replace("-", " ")}
            copy = self.api.post(c.other_bank, "/v1/documents", {
                "kind": "invoice", "fields": altered, "owner": c.exporter.address, "currency": "USD",
                "face_value": self.invoice_face_value,
            }, expect=201)  # fmt: skip
            refusal = self.api.post(
                c.other_bank,
                f"/v1/documents/{copy['document_id']}/financings",
                {"amount": self.financed, "reference": f"FIN-{self.run}-2"},
                expect=409,
            )
        self.outcome.check(
            "duplicate financing refused",
            refusal.get("code") == "document_registry_already_financed",
            f"Bank C's financing of an altered copy of invoice {invoice['invoice_number']}: {refusal.get('code')}",
        )

    def open_account(self) -> None:
        """The second trade, on open account: order, shipment and delivery, the invoice matched against the order's
        lines, Bank A's payment undertaking to Bank B (URBPO 750), the buyer's direct payment refused while it
        stands, and Bank B's receivables discount of it to the exporter."""
        c = self.cast
        lines = [{"item": "GREEN-TEA-CARTON", "quantity": self.cartons, "unit_price": self.UNIT_PRICE}]
        tolerances = {"quantity_plus_bps": 200, "quantity_minus_bps": 200}
        with self.step("open-account order"):
            order = self.api.post(c.importer, "/v1/orders", {
                "seller": c.exporter.address, "amount": self.open_account_amount, "currency": "USD",
                "terms": {"goods": f"{self.cartons:,} cartons of green tea", "incoterms": "FOB Qingdao",
                          "run": self.run, "lines": lines, "tolerances": tolerances},
                "latest_shipment": (self.today + timedelta(days=20)).isoformat(), "payment_terms": "open_account",
                "due_date": (self.today + timedelta(days=60)).isoformat(),
            }, expect=201)  # fmt: skip
            path = f"/v1/orders/{order['order_id']}"
            self.api.post(c.exporter, f"{path}/accept")
            transport = "0x" + hashlib.sha256(f"BL OA-{self.run}".encode()).hexdigest()
            self.api.post(c.exporter, f"{path}/ship", {"transport_document_hash": transport})
            self.api.post(c.importer, f"{path}/deliver")
        with self.step("invoice and data match"):
            invoice = self.api.post(c.exporter, "/v1/invoices", {
                "order_id": order["order_id"], "number": f"CI-{self.run}-OA", "issue_date": self.today.isoformat(),
                "amount": self.open_account_amount, "lines": lines,
            }, expect=201)  # fmt: skip
            delivered = {"GREEN-TEA-CARTON": self.cartons}
            evidence = {"kind": "delivery_confirmation", "document_hash": transport,
                        "event_date": self.today.isoformat(), "quantities": delivered}  # fmt: skip
            matched = self.api.post(c.importer, f"/v1/invoices/{invoice['invoice_id']}/match", {"evidence": evidence})
        self.outcome.check("open account: data matched", matched["state"] == "MATCHED",
                           f"invoice {invoice['invoice_id']} against order {order['order_id']} and the delivery: "
                           f"{len(matched['match_report']['comparisons'])} comparisons, "
                           f"{len(matched['match_report']['mismatches'])} mismatches")  # fmt: skip
        due = self.today + timedelta(days=self.UNDERTAKING_DAYS)
        with self.step("bank payment undertaking"):
            undertaking = self.api.post(c.issuing_bank, "/v1/payment-undertakings", {
                "order_id": order["order_id"], "recipient_bank": c.advising_bank.address,
                "amount": self.open_account_amount, "due_date": due.isoformat(), "expiry": due.isoformat(),
                "terms": {"rules": "URBPO 750", "run": self.run},
            }, expect=201)  # fmt: skip
            refused = self.api.post(c.importer, f"{path}/pay", expect=409)
        self.outcome.undertaking_id, self.outcome.undertaking_due = undertaking["undertaking_id"], due
        self.outcome.check("open account: undertaking established, direct payment refused",
                           undertaking["state"] == "ESTABLISHED"
                           and refused.get("code") == "trade_orders_covered_by_undertaking",
                           f"Bank A undertakes to pay Bank B USD {self.open_account_amount / 100:,.2f} on {due}; "
                           f"the importer's own payment: {refused.get('code')}")  # fmt: skip
        self._discount(undertaking["undertaking_id"])

    def _discount(self, undertaking_id: str) -> None:
        c = self.cast
        with self.step("receivables discounting"):
            fields = _invoice(self.run, "OA", self.today, self.open_account_amount)
            document = self.api.post(c.advising_bank, "/v1/documents", {
                "kind": "invoice", "fields": fields, "owner": c.exporter.address, "currency": "USD",
                "face_value": self.open_account_amount,
            }, expect=201)  # fmt: skip
            before = _usd_balance(self.api, c.exporter)
            discounted = self.api.post(c.advising_bank, f"/v1/payment-undertakings/{undertaking_id}/discounts", {
                "document_id": document["document_id"], "rate_bps": self.DISCOUNT_RATE_BPS, "day_count": "ACT/360",
                "reference": f"DISC-{self.run}",
            })  # fmt: skip
            received = _usd_balance(self.api, c.exporter) - before
        days = int(discounted["days"])
        numerator, denominator = self.open_account_amount * self.DISCOUNT_RATE_BPS * days, 10_000 * 360
        expected = (2 * numerator + denominator) // (2 * denominator)  # face x rate x days / 360, half up
        self.outcome.check("open account: receivables discount",
                           int(discounted["discount"]) == expected and received == int(discounted["advance"])
                           and discounted["undertaking"]["payee"] == c.advising_bank.address,
                           f"Bank B paid the exporter USD {received / 100:,.2f} now: USD "
                           f"{self.open_account_amount / 100:,.2f} less {int(discounted['discount']) / 100:,.2f} "
                           f"(4.5 % ACT/360, {days} days); the undertaking now pays Bank B")  # fmt: skip

    def settlement_on_due_date(self, advance_clock: Callable[[date], None]) -> JsonObject:
        """The chain's clock passes the undertaking's due date (`advance_clock` moves a dev chain's clock past the
        day), and nobody presses a button: the service's scheduler settles the undertaking through the transaction
        manager, Bank A paying Bank B (which discounted it, so the proceeds stay with it). Returns the settled
        undertaking once the read model shows it."""
        c, due = self.cast, self.outcome.undertaking_due
        if due is None:
            raise DemoStepError("settlement on the due date: the open-account trade has not run")
        path = f"/v1/payment-undertakings/{self.outcome.undertaking_id}"
        with self.step("settlement on the due date"):
            advance_clock(due)
            deadline = time.monotonic() + self.SETTLEMENT_WAIT_S
            while (settled := self.api.get(c.issuing_bank, path))["state"] != "SETTLED":
                if time.monotonic() > deadline:
                    raise DemoStepError(f"settlement on the due date: undertaking {settled['undertaking_id']} is "
                                        f"{settled['state']} {self.SETTLEMENT_WAIT_S:.0f} s after {due}")  # fmt: skip
                time.sleep(0.5)
        return settled

    def walk(self) -> TradeOutcome:
        self.purchase_order()
        self.letter_of_credit()
        self.presentation()
        self.confirmed_honour()
        self.performance_guarantee()
        self.financing()
        self.open_account()
        return self.outcome
