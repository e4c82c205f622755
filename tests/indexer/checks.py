"""Checks of the indexed database against the chain: raw events vs eth_getLogs, projections vs the contracts'
getters (read with eth_call), and full table dumps for before/after comparisons.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from eth_utils import keccak
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.contracts.helpers import World
from tradeledger.anchors.models import StatementAnchor
from tradeledger.documents.models import (
    Document,
    DocumentFinancing,
    DocumentFingerprint,
    DocumentRepayment,
    DocumentReuseFlag,
    DocumentState,
    PresentedFingerprint,
)
from tradeledger.guarantees.models import (
    Undertaking,
    UndertakingAmendment,
    UndertakingClaim,
    UndertakingDemand,
    UndertakingDemandDocument,
    UndertakingDiscrepancy,
    UndertakingReductionStep,
)
from tradeledger.invoices.models import Invoice
from tradeledger.lcs.models import (
    BankHoliday,
    LcAmendment,
    LcDeferredPayment,
    LcDiscrepancy,
    LcInterbankClaim,
    LcPresentation,
    LcPresentationDocument,
    LcProceedsLeg,
    LcReimbursementClaim,
    LcTransfer,
    LcTransferredDocument,
    LcTransferredPresentation,
    LetterOfCredit,
    ProceedsLegKind,
)
from tradeledger.members.models import (
    Consortium,
    ContractAdminRules,
    ContractRoleGrant,
    GovernanceProposal,
    GovernanceVote,
    Member,
)
from tradeledger.orders.models import PurchaseOrder
from tradeledger.payables.models import Payable
from tradeledger.records.models import RecordControlChange, TransferableRecord
from tradeledger.settlements.models import AccountBalance, CurrencySupply, ExternalPayment, LedgerPosting
from tradeledger.store.base import Base
from tradeledger.store.models import ChainEvent
from tradeledger.undertakings.models import PaymentUndertaking

ZERO = "0x" + "00" * 20
ZERO32 = b"\0" * 32


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _code(value: bytes) -> str:
    return value.decode("ascii")


def _address(value: str | None) -> str:
    return value or ZERO


def chain_logs(world: World) -> list[dict[str, Any]]:
    """Every log of the platform's contracts from the deploy block to head, as the node returns them."""
    logs: list[dict[str, Any]] = world.chain.rpc(
        "eth_getLogs",
        {
            "fromBlock": hex(world.deploy_block),
            "toBlock": "latest",
            "address": [c.address for c in world.contracts.values()],
        },
    )
    return logs


def assert_raw_events_equal_logs(world: World, sessions: sessionmaker[Session], through: int | None = None) -> int:
    """The raw event table is exactly eth_getLogs (up to block `through`): same (block hash, tx hash, log index)."""
    expected: Counter[tuple[str, str, int]] = Counter(
        (log["blockHash"], log["transactionHash"], int(log["logIndex"], 16))
        for log in chain_logs(world)
        if through is None or int(log["blockNumber"], 16) <= through
    )
    with sessions() as db:
        rows = db.execute(select(ChainEvent.block_hash, ChainEvent.tx_hash, ChainEvent.log_index)).all()
    actual: Counter[tuple[str, str, int]] = Counter((row[0], row[1], row[2]) for row in rows)
    assert max(actual.values(), default=1) == 1, "duplicate raw events"
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, f"raw events differ from eth_getLogs: {len(missing)} missing, {len(extra)} extra"
    return len(rows)


def dump_tables(sessions: sessionmaker[Session], *, skip: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
    """Every row of every table, ordered by primary key (columns in `skip` as (table, column) left out)."""
    dump: dict[str, Any] = {}
    with sessions() as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in skip]
            rows = db.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            dump[table.name] = [tuple(row) for row in rows]
    return dump


class GetterCheck:
    """Compares every projected row with the contracts' getters."""

    def __init__(self, world: World, db: Session) -> None:
        self.world = world
        self.db = db
        self.events = world.logs()

    def call(self, contract: str, function: str, *args: Any) -> Any:
        return self.world.call(contract, function, *args)

    def count(self, model: type[Base]) -> int:
        return int(self.db.scalar(select(func.count()).select_from(model)) or 0)

    def run(self) -> None:
        self.members()
        self.access()
        self.orders()
        self.settlement()
        self.documents()
        self.letters_of_credit()
        self.undertakings()
        self.anchors()
        self.records()
        self.open_account()
        self.payables()

    # ------------------------------------------------------------------------------------------------ members

    def members(self) -> None:
        members = {m.address: m for m in self.db.scalars(select(Member))}
        accounts = {e.args["account"] for e in self.events if e.name == "MemberStatusChanged"}
        assert set(members) == accounts
        for address, member in members.items():
            onchain = self.call("Membership", "memberOf", address)
            assert (member.kind.value, member.status.value, _address(member.sponsor)) == (
                onchain["kind"],
                onchain["status"],
                onchain["sponsor"],
            ), address
        consortium = self.db.scalars(select(Consortium)).one()
        assert consortium.membership_address == self.world["Membership"].address
        assert consortium.active_bank_count == self.call("Membership", "activeBankCount")
        assert consortium.bank_set_epoch == self.call("Membership", "bankSetEpoch")
        assert _address(consortium.founding_bank) == self.call("Membership", "foundingBank")
        count = self.call("Membership", "proposalCount")
        assert consortium.proposal_count == count == self.count(GovernanceProposal)
        votes = Counter(v.proposal_id for v in self.db.scalars(select(GovernanceVote)))
        for proposal in self.db.scalars(select(GovernanceProposal)):
            onchain = self.call("Membership", "proposal", proposal.proposal_id)
            assert (
                proposal.action.value,
                proposal.state.value,
                proposal.subject,
                proposal.proposer,
                proposal.epoch,
                proposal.votes,
            ) == (
                onchain["action"],
                onchain["state"],
                onchain["subject"],
                onchain["proposer"],
                onchain["epoch"],
                onchain["votes"],
            ), proposal.proposal_id
            assert votes[proposal.proposal_id] == proposal.votes
        for vote in self.db.scalars(select(GovernanceVote)):
            assert self.call("Membership", "hasVoted", vote.proposal_id, vote.voter)

    def access(self) -> None:
        by_address: dict[str, str] = {c.address: name for name, c in self.world.contracts.items()}
        grants = list(self.db.scalars(select(ContractRoleGrant)))
        granted_events = {
            (e.contract, _hex(e.args["role"]), e.args["account"]) for e in self.events if e.name == "RoleGranted"
        }
        assert {(g.contract, g.role, g.account) for g in grants} == granted_events
        for grant in grants:
            assert by_address[grant.contract_address] == grant.contract
            has_role = self.call(grant.contract, "hasRole", bytes.fromhex(grant.role[2:]), grant.account)
            assert has_role is grant.granted, (grant.contract, grant.role, grant.account)
        for rules in self.db.scalars(select(ContractAdminRules)):
            admin, admin_schedule = self.call(rules.contract, "pendingDefaultAdmin")
            delay, delay_schedule = self.call(rules.contract, "pendingDefaultAdminDelay")
            assert (_address(rules.pending_admin), rules.pending_admin_schedule or 0) == (admin, admin_schedule)
            assert (rules.pending_delay or 0, rules.pending_delay_schedule or 0) == (delay, delay_schedule)

    # ------------------------------------------------------------------------------------------------ orders

    def orders(self) -> None:
        assert self.count(PurchaseOrder) == self.call("TradeOrders", "orderCount")
        for order in self.db.scalars(select(PurchaseOrder)):
            onchain = self.call("TradeOrders", "order", order.order_id)
            assert {
                "buyer": order.buyer,
                "seller": order.seller,
                "currency": order.currency,
                "paymentTerms": order.payment_terms.value,
                "state": order.state.value,
                "buyerConsentsToCancel": order.buyer_consents_to_cancel,
                "sellerConsentsToCancel": order.seller_consents_to_cancel,
                "latestShipment": order.latest_shipment,
                "dueDate": order.due_date,
                "shippedAt": order.shipped_at or 0,
                "deliveredAt": order.delivered_at or 0,
                "amount": order.amount,
                "termsHash": order.terms_hash,
                "transportDocumentHash": order.transport_document_hash or _hex(ZERO32),
            } == {
                **onchain,
                "currency": _code(onchain["currency"]),
                "termsHash": _hex(onchain["termsHash"]),
                "transportDocumentHash": _hex(onchain["transportDocumentHash"]),
            }, order.order_id
            covering = self.call("TradeOrders", "coveringUndertakingOf", order.order_id)
            assert (order.covering_undertaking_id or 0) == covering, order.order_id

    # ------------------------------------------------------------------------------------------------ settlement

    def settlement(self) -> None:
        postings = list(
            self.db.scalars(select(LedgerPosting).order_by(LedgerPosting.block_number, LedgerPosting.log_index))
        )
        last = self.call("Settlement", "lastEntryId")
        assert [p.entry_id for p in postings] == list(range(1, last + 1)), "postings are not the gapless ledger"
        posted = [e.args for e in self.events if e.name == "Posted"]
        assert [
            (
                p.entry_id,
                _address(p.debit_account),
                _address(p.credit_account),
                p.currency,
                p.amount,
                p.kind.value,
                p.reference,
            )
            for p in postings
        ] == [
            (
                a["entryId"],
                a["debitAccount"],
                a["creditAccount"],
                _code(a["currency"]),
                a["amount"],
                a["kind"],
                _hex(a["ref"]),
            )
            for a in posted
        ]
        accounts = {(a, p.currency) for p in postings for a in (p.debit_account, p.credit_account) if a}
        balances = {(b.account, b.currency): b for b in self.db.scalars(select(AccountBalance))}
        assert set(balances) == accounts
        per_currency: dict[str, int] = defaultdict(int)
        for (account, code), row in balances.items():
            assert row.balance == self.call("Settlement", "balanceOf", account, code.encode()), (account, code)
            per_currency[code] += row.balance
        supplies = {s.currency: s for s in self.db.scalars(select(CurrencySupply))}
        assert set(supplies) == set(per_currency)
        for code, supply in supplies.items():
            issued = self.call("Settlement", "totalIssued", code.encode())
            redeemed = self.call("Settlement", "totalRedeemed", code.encode())
            assert (supply.total_issued, supply.total_redeemed) == (issued, redeemed), code
            assert per_currency[code] == issued - redeemed, f"Σ balances != Σ issued - Σ redeemed in {code}"
        debits: dict[str, int] = defaultdict(int)
        credited: dict[str, int] = defaultdict(int)
        for p in postings:
            debits[p.currency] += p.amount if p.debit_account else 0
            credited[p.currency] += p.amount if p.credit_account else 0
        for code in supplies:
            assert credited[code] - debits[code] == per_currency[code]
        assert self.count(ExternalPayment) == self.call("Settlement", "externalPaymentCount")
        for payment in self.db.scalars(select(ExternalPayment)):
            onchain = self.call("Settlement", "externalPayment", payment.payment_id)
            assert (
                payment.payer,
                payment.payee,
                payment.currency,
                payment.rail.value,
                payment.state.value,
                payment.amount,
                payment.rail_reference,
                payment.reference,
            ) == (
                onchain["payer"],
                onchain["payee"],
                _code(onchain["currency"]),
                onchain["rail"],
                onchain["state"],
                onchain["amount"],
                _hex(onchain["railReference"]),
                _hex(onchain["ref"]),
            ), payment.payment_id

    # ------------------------------------------------------------------------------------------------ documents

    def documents(self) -> None:
        assert self.count(Document) == self.call("DocumentRegistry", "documentCount")
        fingerprints: dict[int, list[str]] = defaultdict(list)
        for row in self.db.scalars(select(DocumentFingerprint).order_by(DocumentFingerprint.position)):
            fingerprints[row.document_id].append(row.fingerprint)
        documents = {d.document_id: d for d in self.db.scalars(select(Document))}
        for document in documents.values():
            onchain = self.call("DocumentRegistry", "document", document.document_id)
            assert (
                document.owner,
                document.registrar,
                document.kind.value,
                document.state.value,
                document.currency,
                _address(document.financier),
                document.face_value,
                document.financed_amount,
                document.outstanding,
            ) == (
                onchain["owner"],
                onchain["registrar"],
                onchain["kind"],
                onchain["state"],
                _code(onchain["currency"]),
                onchain["financier"],
                onchain["faceValue"],
                onchain["financedAmount"],
                onchain["outstanding"],
            ), document.document_id
            assert (document.record_id or 0) == self.call("DocumentRegistry", "recordOf", document.document_id)
            onchain_prints = self.call("DocumentRegistry", "fingerprintsOf", document.document_id)
            assert fingerprints[document.document_id] == [_hex(f) for f in onchain_prints]
        repaid: dict[int, int] = defaultdict(int)
        for repayment in self.db.scalars(select(DocumentRepayment)):
            repaid[repayment.document_id] += repayment.amount
        for financing in self.db.scalars(select(DocumentFinancing)):
            document = documents[financing.document_id]
            assert (financing.financier, financing.amount) == (document.financier, document.financed_amount)
            assert financing.outstanding == document.outstanding == financing.amount - repaid[financing.document_id]
        # a financing's record pledge and its release, as DocumentRegistry announced them
        pledges = {e.args["documentId"]: e.args["recordId"] for e in self.events if e.name == "DocumentRecordPledged"}
        releases = {e.args["documentId"] for e in self.events if e.name == "DocumentRecordReleased"}
        for financing in self.db.scalars(select(DocumentFinancing)):
            assert financing.pledged_record_id == pledges.get(financing.document_id), financing.document_id
            assert (financing.record_released_at is not None) == (financing.document_id in releases)
        reused = {
            (_hex(e.args["fingerprint"]), e.args["documentId"], e.args["priorDocumentId"])
            for e in self.events
            if e.name == "FingerprintReused"
        }
        assert reused == {
            (row.fingerprint, row.document_id, row.reuses_document_id)
            for row in self.db.scalars(
                select(DocumentFingerprint).where(DocumentFingerprint.reuses_document_id.is_not(None))
            )
        }
        flags = [(_hex(e.args["fingerprint"]), _hex(e.args["lcKey"]), _hex(e.args["priorLcKey"]))
                 for e in self.events if e.name == "DocumentReuseFlagged"]  # fmt: skip
        rows = self.db.scalars(
            select(DocumentReuseFlag).order_by(DocumentReuseFlag.block_number, DocumentReuseFlag.log_index)
        )
        assert flags == [(f.fingerprint, f.lc_key, f.prior_lc_key) for f in rows]
        assert len(flags) == sum(p.reused_document_count for p in self.db.scalars(select(LcPresentation)))
        presented = {p.fingerprint: p.lc_key for p in self.db.scalars(select(PresentedFingerprint))}
        every = {f for prints in fingerprints.values() for f in prints} | set(presented)
        for fingerprint in every:
            holders = [d for d, prints in fingerprints.items() if fingerprint in prints]
            financed = [d for d in holders if documents[d].state is DocumentState.FINANCED]
            raw = bytes.fromhex(fingerprint[2:])
            assert self.call("DocumentRegistry", "latestDocumentOf", raw) == max(holders, default=0)
            assert self.call("DocumentRegistry", "financedDocumentOf", raw) == (financed[0] if financed else 0)
            assert _hex(self.call("DocumentRegistry", "presentedUnder", raw)) == presented.get(
                fingerprint, _hex(ZERO32)
            )

    # ------------------------------------------------------------------------------------------------ LCs

    def letters_of_credit(self) -> None:
        lc = "LetterOfCredit"
        assert self.count(LetterOfCredit) == self.call(lc, "creditCount")
        for credit in self.db.scalars(select(LetterOfCredit)):
            onchain = self.call(lc, "getCredit", credit.lc_id)
            terms = onchain["terms"]
            assert (
                credit.applicant,
                credit.beneficiary,
                credit.issuing_bank,
                credit.terms_hash,
                credit.currency,
                credit.amount,
                credit.expiry,
                credit.state.value,
                credit.cancellation_consents,
                credit.presentation_count,
                credit.amendment_count,
                credit.open_presentation_count,
                credit.honoured_count,
                credit.applied_at,
                credit.drawn,
                credit.reserved,
            ) == (
                onchain["applicant"],
                terms["beneficiary"],
                terms["issuingBank"],
                _hex(terms["termsHash"]),
                _code(terms["currency"]),
                terms["amount"],
                terms["expiry"],
                onchain["state"],
                onchain["cancellationConsents"],
                onchain["presentationCount"],
                onchain["amendmentCount"],
                onchain["openPresentationCount"],
                onchain["honouredCount"],
                onchain["appliedAt"],
                onchain["drawn"],
                onchain["reserved"],
            ), credit.lc_id
            assert {
                "advisingBank": credit.advising_bank,
                "confirmingBank": _address(credit.confirming_bank),
                "availableWithBank": credit.available_with_bank,
                "latestShipment": credit.latest_shipment or 0,
                "tolerancePlusBps": credit.tolerance_plus_bps,
                "toleranceMinusBps": credit.tolerance_minus_bps,
                "presentationPeriodDays": credit.presentation_period_days,
                "partialDrawingsAllowed": credit.partial_drawings_allowed,
                "availability": credit.availability.value,
                "tenorDays": credit.tenor_days,
                "tenorBasis": credit.tenor_basis.value,
            } == {name: terms[name] for name in (
                "advisingBank", "confirmingBank", "availableWithBank", "latestShipment", "tolerancePlusBps",
                "toleranceMinusBps", "presentationPeriodDays", "partialDrawingsAllowed", "availability", "tenorDays",
                "tenorBasis",
            )}, credit.lc_id  # fmt: skip
            if credit.last_presentation_day is not None:
                assert credit.last_presentation_day == self.call(lc, "lastPresentationDay", credit.lc_id)
        self._amendments()
        self._presentations()
        self._transfers()
        assert self.count(LcReimbursementClaim) == self.call(lc, "claimCount")
        for claim in self.db.scalars(select(LcReimbursementClaim)):
            onchain = self.call(lc, "getReimbursementClaim", claim.claim_id)
            assert (
                claim.lc_id,
                claim.presentation_id,
                claim.issuing_bank,
                claim.applicant,
                claim.currency,
                claim.state.value,
                claim.amount,
            ) == (
                onchain["lcId"],
                onchain["presentationId"],
                onchain["issuingBank"],
                onchain["applicant"],
                _code(onchain["currency"]),
                onchain["state"],
                onchain["amount"],
            ), claim.claim_id
        interbank = list(self.db.scalars(select(LcInterbankClaim)))
        for ib in interbank:
            onchain = self.call("LetterOfCredit", "getInterbankClaim", ib.lc_id, ib.presentation_id)
            assert (ib.nominated_bank, ib.issuing_bank, ib.state.value, ib.deadline, ib.amount) == (
                onchain["nominatedBank"],
                onchain["issuingBank"],
                onchain["state"],
                onchain["deadline"],
                onchain["amount"],
            ), (ib.lc_id, ib.presentation_id)
            assert (ib.settlement_entry_id or 0) == onchain["entryId"]
        for holiday in self.db.scalars(select(BankHoliday)):
            assert self.call("BankingCalendar", "isHoliday", holiday.bank, holiday.day) is holiday.closed

    def _amendments(self) -> None:
        total = sum(c.amendment_count for c in self.db.scalars(select(LetterOfCredit)))
        assert self.count(LcAmendment) == total
        for amendment in self.db.scalars(select(LcAmendment)):
            onchain = self.call("LetterOfCredit", "getAmendment", amendment.lc_id, amendment.amendment_id)
            assert {
                "fields": amendment.fields,
                "tolerancePlusBps": amendment.tolerance_plus_bps,
                "toleranceMinusBps": amendment.tolerance_minus_bps,
                "presentationPeriodDays": amendment.presentation_period_days,
                "partialDrawingsAllowed": amendment.partial_drawings_allowed,
                "expiry": amendment.expiry,
                "latestShipment": amendment.latest_shipment,
                "amount": amendment.amount,
            } == onchain["changes"]
            assert (
                amendment.amendment_hash,
                amendment.state.value,
                amendment.issued_at,
                amendment.decided_at or 0,
                amendment.advised,
                amendment.confirmation.value,
            ) == (
                _hex(onchain["amendmentHash"]),
                onchain["state"],
                onchain["issuedAt"],
                onchain["decidedAt"],
                onchain["advised"],
                onchain["confirmation"],
            ), (amendment.lc_id, amendment.amendment_id)

    def _presentations(self) -> None:
        total = sum(c.presentation_count for c in self.db.scalars(select(LetterOfCredit)))
        assert self.count(LcPresentation) == total
        documents: dict[tuple[int, int], list[str]] = defaultdict(list)
        for row in self.db.scalars(select(LcPresentationDocument).order_by(LcPresentationDocument.position)):
            documents[row.lc_id, row.presentation_id].append(row.document_hash)
        discrepancies: dict[tuple[int, int], list[str]] = defaultdict(list)
        for code in self.db.scalars(select(LcDiscrepancy).order_by(LcDiscrepancy.position)):
            discrepancies[code.lc_id, code.presentation_id].append(code.code)
        for p in self.db.scalars(select(LcPresentation)):
            key = (p.lc_id, p.presentation_id)
            onchain = self.call("LetterOfCredit", "getPresentation", *key)
            codes = discrepancies[key]
            projected = {
                "state": p.state.value,
                "disposition": p.disposition.value,
                "precluded": p.precluded,
                "documentCount": p.document_count,
                "reusedDocumentCount": p.reused_document_count,
                "discrepancyCount": p.discrepancy_count,
                "presentedAt": p.presented_at,
                "presentationDay": p.presentation_day,
                "shipmentDate": p.shipment_date,
                "deadline": p.deadline,
                "amount": p.amount,
                "documentsHash": keccak(b"".join(bytes.fromhex(d[2:]) for d in documents[key])),
                "discrepanciesHash": keccak(b"".join(bytes.fromhex(c[2:]) for c in codes)) if codes else ZERO32,
                "claimId": p.claim_id or 0,
            }
            assert set(onchain) <= set(projected), (
                f"getPresentation fields not projected: {set(onchain) - set(projected)}"
            )
            assert {name: projected[name] for name in onchain} == onchain, key
            assert len(documents[key]) == p.document_count and len(codes) == p.discrepancy_count
            assert (p.record_id or 0) == self.call("LetterOfCredit", "presentedRecord", *key), key
            deferred = self.db.get(LcDeferredPayment, key)
            if deferred is None:
                assert self.world.error("trader", "LetterOfCredit", "getDeferredPayment", *key) is not None, key
            else:
                assert {
                    "obligor": deferred.obligor,
                    "state": deferred.state.value,
                    "maturityDay": deferred.maturity_day,
                    "amount": deferred.amount,
                    "discount": deferred.discount,
                    "entryId": deferred.entry_id or 0,
                } == self.call("LetterOfCredit", "getDeferredPayment", *key), key

    def _transfers(self) -> None:
        """Transfers, second beneficiaries' presentations, assignments and extra honour legs (Art 38, 39)."""
        lc = "LetterOfCredit"
        for credit in self.db.scalars(select(LetterOfCredit)):
            assignment = self.call(lc, "proceedsAssignment", credit.lc_id)
            assert (_address(credit.assignee), credit.assigned_share_bps or 0) == (
                assignment["assignee"],
                assignment["shareBps"],
            ), credit.lc_id
            assert credit.transferable is self.call(lc, "getCredit", credit.lc_id)["terms"]["transferable"]
        for t in self.db.scalars(select(LcTransfer)):
            onchain = self.call(lc, "getTransfer", t.lc_id, t.transfer_id)
            assert (
                t.second_beneficiary,
                t.terms_hash,
                t.amount,
                t.expiry,
                t.latest_shipment,
                t.presentation_period_days,
                t.state.value,
                t.transferring_bank,
                t.presented,
            ) == (
                onchain["terms"]["secondBeneficiary"],
                _hex(onchain["terms"]["termsHash"]),
                onchain["terms"]["amount"],
                onchain["terms"]["expiry"],
                onchain["terms"]["latestShipment"],
                onchain["terms"]["presentationPeriodDays"],
                onchain["state"],
                onchain["transferringBank"],
                onchain["presented"],
            ), (t.lc_id, t.transfer_id)
        documents: dict[tuple[int, int], list[str]] = defaultdict(list)
        for row in self.db.scalars(select(LcTransferredDocument).order_by(LcTransferredDocument.position)):
            documents[row.lc_id, row.transferred_presentation_id].append(row.document_hash)
        for tp in self.db.scalars(select(LcTransferredPresentation)):
            key = (tp.lc_id, tp.transferred_presentation_id)
            onchain = self.call(lc, "getTransferredPresentation", *key)
            assert {
                "transferId": tp.transfer_id,
                "state": tp.state.value,
                "shipmentDate": tp.shipment_date,
                "presentedAt": tp.presented_at,
                "substitutionDeadline": tp.substitution_deadline or 0,
                "amount": tp.amount,
                "documentsHash": keccak(b"".join(bytes.fromhex(d[2:]) for d in documents[key])),
                "presentationId": tp.presentation_id or 0,
            } == onchain, key
            if tp.presentation_id is not None:
                share = self.call(lc, "transferredShare", tp.lc_id, tp.presentation_id)
                assert (share["payee"], share["amount"]) == (tp.second_beneficiary, tp.amount), key
        for leg in self.db.scalars(select(LcProceedsLeg).where(LcProceedsLeg.entry_id.is_not(None))):
            posting = self.db.get(LedgerPosting, leg.entry_id)
            assert posting is not None, leg.entry_id
            reference = "transferReference" if leg.kind is ProceedsLegKind.SECOND_BENEFICIARY else "assignmentReference"
            assert (posting.credit_account, posting.amount, posting.reference) == (
                leg.payee,
                leg.amount,
                _hex(self.call(lc, reference, leg.lc_id, leg.presentation_id)),
            ), (leg.lc_id, leg.presentation_id, leg.kind)

    # ------------------------------------------------------------------------------------------------ anchors

    def undertakings(self) -> None:
        _undertakings(self)

    def anchors(self) -> None:
        contract = "ReconciliationAnchor"
        assert self.count(StatementAnchor) == self.call(contract, "anchorCount")
        for anchor in self.db.scalars(select(StatementAnchor)):
            onchain = self.call(contract, "anchorOf", anchor.anchor_id)
            assert {
                "statement": {
                    "periodStart": anchor.period_start,
                    "periodEnd": anchor.period_end,
                    "account": anchor.account,
                    "counterparty": _address(anchor.counterparty),
                    "currency": anchor.currency.encode(),
                    "merkleRoot": bytes.fromhex(anchor.merkle_root[2:]),
                    "entryCount": anchor.entry_count,
                    "totalDebits": anchor.total_debits,
                    "totalCredits": anchor.total_credits,
                    "manifestHash": bytes.fromhex(anchor.manifest_hash[2:]),
                },
                "anchoredAt": anchor.anchored_at,
                "mirrorAnchorId": anchor.mirror_anchor_id or 0,
            } == onchain, anchor.anchor_id
            assert anchor.status.value == self.call(contract, "reconciliationStatus", anchor.anchor_id)

    def records(self) -> None:
        contract = "TransferableRecords"
        assert self.count(TransferableRecord) == self.call(contract, "recordCount")
        for record in self.db.scalars(select(TransferableRecord)):
            onchain = self.call(contract, "record", record.record_id)
            assert {
                "issuer": record.issuer,
                "kind": record.kind.value,
                "state": record.state.value,
                "toOrder": record.to_order,
                "blankEndorsed": record.blank_endorsed,
                "holder": record.holder,
                "controller": record.controller,
                "issuedAt": int(record.issued_at.timestamp()),
                "endorsements": record.endorsements,
                "documentHash": bytes.fromhex(record.document_hash[2:]),
                "escrowKey": bytes.fromhex(record.escrow_key[2:]) if record.escrow_key else b"\0" * 32,
            } == onchain, record.record_id
            assert self.call(contract, "recordOfDocument", onchain["documentHash"]) == record.record_id
        # a pledge by a title agent under a security key is a financing's, and the history says so
        by_financing = {
            (e.block, e.log_index) for e in self.events if e.name == "RecordPledged" and any(e.args["escrowKey"])
        }
        pledges = self.db.scalars(select(RecordControlChange).where(RecordControlChange.action.like("pledged%")))
        assert {(c.block_number, c.log_index) for c in pledges if c.action == "pledged_by_financing"} == by_financing
        # one history row per record event, and its last row is where the record stands
        record_events = [e for e in self.events if e.contract == contract and "recordId" in e.args]
        assert self.count(RecordControlChange) == len(record_events)
        for record in self.db.scalars(select(TransferableRecord)):
            last = self.db.scalars(
                select(RecordControlChange)
                .where(RecordControlChange.record_id == record.record_id)
                .order_by(RecordControlChange.block_number.desc(), RecordControlChange.log_index.desc())
            ).first()
            assert last is not None
            assert (last.controller, last.holder, last.state) == (record.controller, record.holder, record.state)

    # ------------------------------------------------------------------------------------------------ open account

    def open_account(self) -> None:
        assert self.count(Invoice) == self.call("Invoices", "invoiceCount")
        for invoice in self.db.scalars(select(Invoice)):
            onchain = self.call("Invoices", "invoice", invoice.invoice_id)
            assert {
                "orderId": invoice.order_id,
                "seller": invoice.seller,
                "buyer": invoice.buyer,
                "currency": invoice.currency,
                "state": invoice.state.value,
                "version": invoice.version,
                "issueDate": invoice.issue_date,
                "matchedAt": invoice.matched_at or 0,
                "amount": invoice.amount,
                "quantityTotal": invoice.quantity_total,
                "invoiceHash": invoice.invoice_hash,
                "linesHash": invoice.lines_hash,
                "matchReportHash": invoice.match_report_hash or _hex(ZERO32),
                "supersedes": invoice.supersedes or 0,
            } == {
                **onchain,
                "currency": _code(onchain["currency"]),
                "invoiceHash": _hex(onchain["invoiceHash"]),
                "linesHash": _hex(onchain["linesHash"]),
                "matchReportHash": _hex(onchain["matchReportHash"]),
            }, invoice.invoice_id
        contract = "PaymentUndertakings"
        assert self.count(PaymentUndertaking) == self.call(contract, "undertakingCount")
        for row in self.db.scalars(select(PaymentUndertaking)):
            onchain = self.call(contract, "undertaking", row.undertaking_id)
            assert {
                "orderId": row.order_id,
                "obligorBank": row.obligor_bank,
                "recipientBank": row.recipient_bank,
                "buyer": row.buyer,
                "seller": row.seller,
                "payee": row.payee,
                "currency": row.currency,
                "state": row.state.value,
                "amendmentCount": row.amendment_count,
                "dueDate": row.due_date,
                "expiry": row.expiry,
                "settledAt": row.settled_at or 0,
                "amount": row.amount,
                "termsHash": row.terms_hash,
                "financedDocumentId": row.financed_document_id or 0,
            } == {**onchain, "currency": _code(onchain["currency"]), "termsHash": _hex(onchain["termsHash"])}
            pending = self.call(contract, "pendingAmendment", row.undertaking_id)
            assert {
                "proposer": row.pending_proposer or "0x" + "00" * 20,
                "dueDate": row.pending_due_date or 0,
                "expiry": row.pending_expiry or 0,
                "amount": row.pending_amount or 0,
            } == pending, row.undertaking_id
            acceptance = self.call(contract, "mismatchAcceptance", row.undertaking_id)
            assert {"invoiceId": row.mismatch_invoice_id or 0, "acceptedAt": row.mismatch_accepted_at or 0} == (
                acceptance
            ), row.undertaking_id
            if row.state.name == "SETTLED":  # its settlement paid the order, by the payment leg's entry
                order = self.db.get(PurchaseOrder, row.order_id)
                assert order is not None and order.state.name == "PAID", row.undertaking_id
                assert order.payment_entry_id == row.payment_entry_id, row.undertaking_id

    def payables(self) -> None:
        contract = "PayablesFinance"
        assert self.count(Payable) == self.call(contract, "payableCount")
        for row in self.db.scalars(select(Payable)):
            onchain = self.call(contract, "getPayable", row.payable_id)
            assert {
                "invoiceId": row.invoice_id,
                "buyer": row.buyer,
                "supplier": row.supplier,
                "financier": _address(row.financier),
                "currency": row.currency,
                "state": row.state.value,
                "dayCount": 0 if row.day_count is None else row.day_count.value,
                "rateBps": row.rate_bps or 0,
                "maturity": row.maturity,
                "financedAt": row.financed_at or 0,
                "paidAt": row.paid_at or 0,
                "amount": row.amount,
                "advance": row.advance or 0,
                "documentId": row.document_id or 0,
                "termsHash": row.terms_hash,
            } == {**onchain, "currency": _code(onchain["currency"]), "termsHash": _hex(onchain["termsHash"])}
            assert self.call(contract, "payableOf", row.invoice_id) == row.payable_id
            if row.state.name == "PAID" and row.document_id is not None:  # the collection closed the financing
                document = self.db.get(Document, row.document_id)
                assert document is not None and document.state.name == "REPAID", row.payable_id


def _optional_hex(value: bytes) -> str | None:
    return None if value == b"\0" * 32 else _hex(value)


def _undertakings(check: GetterCheck) -> None:
    """Undertakings: every guarantee, amendment, demand (with documents and discrepancies) and claim."""
    ut = "Undertakings"
    assert check.count(Undertaking) == check.call(ut, "undertakingCount")
    for row in check.db.scalars(select(Undertaking)):
        onchain = check.call(ut, "getUndertaking", row.undertaking_id)
        terms = onchain["terms"]
        steps = check.db.scalars(
            select(UndertakingReductionStep)
            .where(UndertakingReductionStep.undertaking_id == row.undertaking_id)
            .order_by(UndertakingReductionStep.step)
        ).all()
        assert {
            "termsHash": row.terms_hash, "rules": row.rules.value, "beneficiary": row.beneficiary,
            "guarantor": row.guarantor, "advisingParty": _address(row.advising_party), "currency": row.currency,
            "amount": row.amount, "expiry": row.expiry, "expiryEvent": row.expiry_event,
            "examinationDays": row.examination_days, "statementExcluded": row.statement_excluded,
            "reducible": row.reducible, "counterGuaranteeOf": row.counter_guarantee_of or 0,
            "extensionDays": row.extension_days, "nonExtensionNoticeDays": row.non_extension_notice_days,
            "finalExpiry": row.final_expiry or 0,
            "reductionSchedule": [{"day": s.day, "amount": s.amount} for s in steps],
        } == {
            **terms, "termsHash": _hex(terms["termsHash"]), "currency": _code(terms["currency"]),
            "expiryEvent": _optional_hex(terms["expiryEvent"]),
            "reductionSchedule": [dict(step) for step in terms["reductionSchedule"]],
        }, row.undertaking_id  # fmt: skip
        recorded = [s.recorded_at is not None for s in steps]
        assert recorded == [i < onchain["reductionsRecorded"] for i in range(len(steps))], row.undertaking_id
        assert (
            row.applicant, row.state.value, row.issued_at or 0, row.paid, row.reduced, row.reserved,
            row.counter_guarantee_id or 0, row.amendment_count, row.demand_count, row.open_demand_count,
            row.expiry_event_document, row.non_extension_noticed, row.reductions_recorded,
        ) == (
            onchain["applicant"], onchain["state"], onchain["issuedAt"], onchain["paid"], onchain["reduced"],
            onchain["reserved"], onchain["counterGuaranteeId"], onchain["amendmentCount"], onchain["demandCount"],
            onchain["openDemandCount"], _optional_hex(onchain["expiryEventDocument"]), onchain["nonExtensionNoticed"],
            onchain["reductionsRecorded"],
        ), row.undertaking_id  # fmt: skip
    amendments = check.db.scalars(select(UndertakingAmendment)).all()
    assert len(amendments) == sum(u.amendment_count for u in check.db.scalars(select(Undertaking)))
    for amendment in amendments:
        onchain = check.call(ut, "getAmendment", amendment.undertaking_id, amendment.amendment_id)
        assert (
            amendment.amendment_hash, amendment.fields, amendment.amount, amendment.expiry,
            amendment.state.value, amendment.issued_at, amendment.decided_at or 0,
        ) == (
            _hex(onchain["amendmentHash"]), *onchain["changes"].values(), onchain["state"],
            onchain["issuedAt"], onchain["decidedAt"],
        )  # fmt: skip
    demands = check.db.scalars(select(UndertakingDemand)).all()
    assert len(demands) == sum(u.demand_count for u in check.db.scalars(select(Undertaking)))
    for demand in demands:
        key = (demand.undertaking_id, demand.demand_id)
        onchain = check.call(ut, "getDemand", *key)
        documents = check.db.scalars(
            select(UndertakingDemandDocument.document_hash)
            .where(UndertakingDemandDocument.undertaking_id == key[0], UndertakingDemandDocument.demand_id == key[1])
            .order_by(UndertakingDemandDocument.position)
        ).all()
        codes = check.db.scalars(
            select(UndertakingDiscrepancy.code)
            .where(UndertakingDiscrepancy.undertaking_id == key[0], UndertakingDiscrepancy.demand_id == key[1])
            .order_by(UndertakingDiscrepancy.position)
        ).all()
        assert _hex(keccak(b"".join(bytes.fromhex(d[2:]) for d in documents))) == _hex(onchain["documentsHash"])
        if codes:
            assert _hex(keccak(b"".join(bytes.fromhex(c[2:]) for c in codes))) == _hex(onchain["discrepanciesHash"])
        assert (
            demand.amount, demand.statement_hash, demand.document_count, demand.state.value, demand.presented_at,
            demand.presentation_day, demand.deadline, demand.extend_to or 0, demand.suspended_until or 0,
            demand.discrepancy_count, demand.precluded, demand.relayed, demand.under_demand_id or 0,
            demand.claim_id or 0,
        ) == (
            onchain["amount"], _optional_hex(onchain["statementHash"]), onchain["documentCount"], onchain["state"],
            onchain["presentedAt"], onchain["presentationDay"], onchain["deadline"], onchain["extendTo"],
            onchain["suspendedUntil"], onchain["discrepancyCount"], onchain["precluded"], onchain["relayed"],
            onchain["underDemandId"], onchain["claimId"],
        ), key  # fmt: skip
    assert check.count(UndertakingClaim) == check.call(ut, "claimCount")
    for claim in check.db.scalars(select(UndertakingClaim)):
        onchain = check.call(ut, "getReimbursementClaim", claim.claim_id)
        assert (
            claim.undertaking_id, claim.demand_id, claim.guarantor, claim.applicant, claim.currency,
            claim.state.value, claim.amount,
        ) == (
            onchain["undertakingId"], onchain["demandId"], onchain["guarantor"], onchain["applicant"],
            _code(onchain["currency"]), onchain["state"], onchain["amount"],
        ), claim.claim_id  # fmt: skip


def assert_projections_equal_getters(world: World, sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        GetterCheck(world, db).run()
