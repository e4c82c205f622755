// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILetterOfCredit} from "./interfaces/ILetterOfCredit.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {ITransferableRecords} from "./interfaces/ITransferableRecords.sol";
import {ILetterOfCreditTransfers} from "./interfaces/ILetterOfCreditTransfers.sol";

/**
 * @title LetterOfCreditDrawings
 * @notice The drawings under a LetterOfCredit: presentation, examination, refusal, waiver, honour, return of
 * documents and the reimbursement legs (UCP 600 Art 7, 8, 12-16), and the title to the goods that moves with them
 * when a presentation carries a transferable record (title against payment). See {ILetterOfCredit} for the rules,
 * the state machines, the events and the errors.
 * @dev An external library, split out of LetterOfCredit so that both stay well under EIP-170's 24,576 bytes.
 * LetterOfCredit delegate-calls its external functions: they run on the credit contract's storage (its `Book`),
 * at its address (events, Settlement legs and DocumentRegistry calls come from LetterOfCredit, so the indexer and
 * the role grants see one contract) and with the credit's caller as `msg.sender`. Calling the library directly
 * does nothing useful: its functions take the storage of the caller. The internal functions are the rules both
 * halves share (authorization, the one LC `_transition`, dates and amounts), written once here.
 */
library LetterOfCreditDrawings {
    /// @notice Most document hashes in one presentation.
    uint256 internal constant MAX_DOCUMENTS = 32;
    /// @notice Most discrepancy codes in one refusal notice.
    uint256 internal constant MAX_DISCREPANCIES = 32;
    /// @notice 100 % in basis points.
    uint256 internal constant BPS = 10_000;
    /// @notice The shortfall Art 30c allows when partial drawings are prohibited and no tolerance is stated.
    uint256 internal constant ART_30C_ALLOWANCE_BPS = 500;

    uint64 private constant _DAY = 86_400;

    /// @notice Everything LetterOfCredit stores; the library works on the credit contract's one `Book`.
    struct Book {
        uint256 creditCount;
        uint256 claimCount;
        mapping(uint256 lcId => ILetterOfCredit.Credit) credits;
        mapping(uint256 lcId => mapping(uint256 amendmentId => ILetterOfCredit.Amendment)) amendments;
        mapping(uint256 lcId => mapping(uint256 presentationId => ILetterOfCredit.Presentation)) presentations;
        mapping(uint256 claimId => ILetterOfCredit.ReimbursementClaim) claims;
        mapping(uint256 lcId => mapping(uint256 presentationId => ILetterOfCredit.InterbankClaim)) interbank;
        mapping(uint256 lcId => bool) confirmed;
        mapping(uint256 lcId => mapping(uint256 presentationId => uint256 recordId)) records;
        mapping(uint256 lcId => mapping(uint256 presentationId => ILetterOfCredit.DeferredPayment)) deferred;
        mapping(uint256 lcId => TransferBook) transfers;
    }

    /// @notice A credit's transfers, second beneficiaries' presentations and assignment of proceeds (Art 38, 39),
    /// kept by {LetterOfCreditTransfers}; the honour here pays the shares they set.
    struct TransferBook {
        uint256 transferCount;
        uint256 liveTransfers;
        uint256 transferredAmount;
        uint256 presentationCount;
        ILetterOfCreditTransfers.ProceedsAssignment assignment;
        mapping(uint256 transferId => ILetterOfCreditTransfers.Transfer) transfers;
        mapping(uint256 id => ILetterOfCreditTransfers.TransferredPresentation) presentations;
        mapping(uint256 presentationId => ILetterOfCreditTransfers.TransferredShare) shares;
    }

    /// @notice The contracts a credit works with (LetterOfCredit's immutables).
    struct Services {
        IMembership membership;
        ISettlement settlement;
        IDocumentRegistry documents;
        IBankingCalendar calendar;
        ITransferableRecords records;
    }

    // ================================================================== presentations (Art 14-16)

    /**
     * @notice Checks that a drawing of `amount` shipped on `shipmentDate` may be presented under the credit as it
     * stands (dates, Art 6d, 14c, 29a; amounts, Art 30, 31), without presenting it.
     */
    function checkDrawing(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 amount,
        uint64 shipmentDate
    ) external view {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        _checkPresentationDates(s, lcId, lc, shipmentDate);
        _checkDrawing(lcId, lc, amount);
    }

    /// @notice {ILetterOfCredit-present} on the credit's storage; with a `recordId` other than 0,
    /// {ILetterOfCredit-presentWithRecord}.
    function present(
        Book storage book,
        Services memory s,
        uint256 lcId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) external returns (uint256 presentationId) {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.terms.beneficiary, ILetterOfCredit.Party.BENEFICIARY, IMembership.MemberKind.TRADER);
        return lodgePresentation(book, s, lcId, documentHashes, amount, shipmentDate, recordId);
    }

    /// @notice A presentation under the credit once the caller's right to present is checked: by the beneficiary
    /// ({present}), or from a transferred credit by the first beneficiary or the transferring bank (Art 38h, 38i).
    function lodgePresentation(
        Book storage book,
        Services memory s,
        uint256 lcId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) internal returns (uint256 presentationId) {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireOperative(lcId, lc);
        requireHashes(documentHashes, MAX_DOCUMENTS, true);
        uint64 presentationDay = _checkPresentationDates(s, lcId, lc, shipmentDate);
        _checkDrawing(lcId, lc, amount);

        lc.reserved += amount;
        ++lc.openPresentationCount;
        presentationId = ++lc.presentationCount;
        ILetterOfCredit.Presentation storage p = book.presentations[lcId][presentationId];
        p.amount = amount;
        p.shipmentDate = shipmentDate;
        p.presentedAt = uint64(block.timestamp);
        p.presentationDay = presentationDay;
        p.deadline = s.calendar.examinationDeadline(lc.terms.issuingBank, presentationDay);
        p.documentCount = uint16(documentHashes.length);
        p.documentsHash = keccak256(abi.encodePacked(documentHashes));
        _transitionPresentation(book, lcId, presentationId, ILetterOfCredit.PresentationState.PRESENTED);

        if (recordId != 0) book.records[lcId][presentationId] = recordId;

        uint256 reused = s.documents.recordPresentation(bytes32(lcId), documentHashes);
        _emitPresented(lcId, presentationId, p, documentHashes, reused);
        if (recordId != 0) _lodge(s, lcId, presentationId, recordId, lc.terms.availableWithBank);
    }

    /// @dev The presented record's control passes to the examining bank, escrowed under the drawing's reference.
    function _lodge(Services memory s, uint256 lcId, uint256 presentationId, uint256 recordId, address bank) private {
        ITransferableRecords.Record memory held = s.records.record(recordId);
        if (held.state != ITransferableRecords.RecordState.HELD || held.controller != msg.sender) {
            revert ILetterOfCredit.LetterOfCreditRecordNotPresentable(lcId, recordId, held.controller);
        }
        s.records.lodge(recordId, msg.sender, bank, paymentReference(lcId, presentationId));
        emit ILetterOfCredit.TransferableRecordPresented(lcId, presentationId, recordId, bank);
    }

    function _emitPresented(
        uint256 lcId,
        uint256 presentationId,
        ILetterOfCredit.Presentation storage p,
        bytes32[] calldata documentHashes,
        uint256 reused
    ) private {
        emit ILetterOfCredit.DocumentsPresented(
            lcId,
            presentationId,
            msg.sender,
            p.amount,
            p.shipmentDate,
            p.presentationDay,
            p.deadline,
            documentHashes,
            reused
        );
    }

    /// @notice {ILetterOfCredit-refuse} on the credit's storage.
    function refuse(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        bytes32[] calldata discrepancies,
        ILetterOfCredit.Disposition disposition
    ) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.terms.issuingBank, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        ILetterOfCredit.Presentation storage p = _presentationIn(
            book,
            lcId,
            presentationId,
            ILetterOfCredit.PresentationState.PRESENTED
        );
        if (block.timestamp > p.deadline) {
            revert ILetterOfCredit.LetterOfCreditPrecluded(lcId, presentationId, p.deadline, uint64(block.timestamp));
        }
        requireHashes(discrepancies, MAX_DISCREPANCIES, false);
        if (disposition == ILetterOfCredit.Disposition.NONE) {
            revert ILetterOfCredit.LetterOfCreditInvalidDisposition(disposition);
        }

        p.disposition = disposition;
        p.discrepancyCount = uint16(discrepancies.length);
        p.discrepanciesHash = keccak256(abi.encodePacked(discrepancies));
        _transitionPresentation(book, lcId, presentationId, ILetterOfCredit.PresentationState.REFUSED);
        emit ILetterOfCredit.PresentationRefused(lcId, presentationId, msg.sender, discrepancies, disposition);
    }

    /// @notice {ILetterOfCredit-waiveDiscrepancies} on the credit's storage.
    function waiveDiscrepancies(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.applicant, ILetterOfCredit.Party.APPLICANT, IMembership.MemberKind.TRADER);
        ILetterOfCredit.Presentation storage p = _presentationIn(
            book,
            lcId,
            presentationId,
            ILetterOfCredit.PresentationState.REFUSED
        );
        ILetterOfCredit.Disposition disposition = p.disposition;
        if (
            disposition != ILetterOfCredit.Disposition.HOLD_PENDING_WAIVER &&
            disposition != ILetterOfCredit.Disposition.HOLD_PENDING_INSTRUCTIONS
        ) {
            revert ILetterOfCredit.LetterOfCreditWaiverNotPossible(lcId, presentationId, disposition);
        }
        _transitionPresentation(book, lcId, presentationId, ILetterOfCredit.PresentationState.WAIVED);
        emit ILetterOfCredit.DiscrepanciesWaived(lcId, presentationId, msg.sender);
    }

    /// @notice {ILetterOfCredit-honour} on the credit's storage.
    function honour(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        address issuingBank = lc.terms.issuingBank;
        address caller = msg.sender;
        bool nominated = caller != issuingBank &&
            (caller == lc.terms.availableWithBank || (caller == lc.terms.confirmingBank && book.confirmed[lcId]));
        requireParty(
            s,
            lcId,
            nominated ? caller : issuingBank,
            ILetterOfCredit.Party.ISSUING_BANK,
            IMembership.MemberKind.BANK
        );
        ILetterOfCredit.Presentation storage p = _presentation(book, lcId, presentationId);
        if (
            p.state != ILetterOfCredit.PresentationState.PRESENTED &&
            p.state != ILetterOfCredit.PresentationState.WAIVED
        ) {
            revert ILetterOfCredit.LetterOfCreditInvalidPresentationState(
                lcId,
                presentationId,
                p.state,
                ILetterOfCredit.PresentationState.PRESENTED
            );
        }
        _honour(book, s, lcId, presentationId, false, caller);
    }

    /// @notice {ILetterOfCredit-enforcePreclusion} on the credit's storage.
    function enforcePreclusion(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.terms.beneficiary, ILetterOfCredit.Party.BENEFICIARY, IMembership.MemberKind.TRADER);
        ILetterOfCredit.Presentation storage p = _presentationIn(
            book,
            lcId,
            presentationId,
            ILetterOfCredit.PresentationState.PRESENTED
        );
        if (block.timestamp <= p.deadline) {
            revert ILetterOfCredit.LetterOfCreditDeadlineNotPassed(
                lcId,
                presentationId,
                p.deadline,
                uint64(block.timestamp)
            );
        }
        _honour(book, s, lcId, presentationId, true, lc.terms.issuingBank);
    }

    /// @notice {ILetterOfCredit-returnDocuments} on the credit's storage.
    function returnDocuments(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.terms.issuingBank, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        ILetterOfCredit.Presentation storage p = _presentation(book, lcId, presentationId);
        if (
            p.state != ILetterOfCredit.PresentationState.REFUSED &&
            p.state != ILetterOfCredit.PresentationState.WAIVED
        ) {
            revert ILetterOfCredit.LetterOfCreditInvalidPresentationState(
                lcId,
                presentationId,
                p.state,
                ILetterOfCredit.PresentationState.REFUSED
            );
        }
        lc.reserved -= p.amount;
        --lc.openPresentationCount;
        _transitionPresentation(book, lcId, presentationId, ILetterOfCredit.PresentationState.RETURNED);
        emit ILetterOfCredit.DocumentsReturned(lcId, presentationId, msg.sender);
        // Returned documents: the record goes back to the beneficiary that presented it.
        uint256 recordId = book.records[lcId][presentationId];
        if (recordId != 0) s.records.returnToPresenter(recordId, paymentReference(lcId, presentationId));
    }

    // ================================================================== reimbursement (Art 7)

    /// @notice {ILetterOfCredit-settleReimbursementClaim} on the credit's storage.
    function settleReimbursementClaim(Book storage book, Services memory s, uint256 claimId) external {
        ILetterOfCredit.ReimbursementClaim storage claim = book.claims[claimId];
        if (claim.state == ILetterOfCredit.ClaimState.NONE) revert ILetterOfCredit.LetterOfCreditUnknownClaim(claimId);
        if (msg.sender != claim.applicant) revert ILetterOfCredit.LetterOfCreditNotClaimDebtor(claimId, msg.sender);
        requireMember(s, msg.sender, IMembership.MemberKind.TRADER);
        if (claim.state != ILetterOfCredit.ClaimState.OPEN) {
            revert ILetterOfCredit.LetterOfCreditInvalidClaimState(
                claimId,
                claim.state,
                ILetterOfCredit.ClaimState.OPEN
            );
        }
        _transitionClaim(book, claimId, ILetterOfCredit.ClaimState.SETTLED);
        uint256 entryId = s.settlement.settleLeg(
            claim.applicant,
            claim.issuingBank,
            claim.currency,
            claim.amount,
            ISettlement.PostingKind.LC_REIMBURSEMENT,
            paymentReference(claim.lcId, claim.presentationId)
        );
        emit ILetterOfCredit.ReimbursementClaimSettled(
            claimId,
            claim.lcId,
            claim.applicant,
            claim.issuingBank,
            claim.amount,
            entryId
        );
        _releaseSecurity(book, s, claim.lcId, claim.presentationId);
    }

    /// @dev The applicant reimbursed the issuing bank: the bank's security over the record ends, the applicant
    /// controls it. Nothing happens when the bank already released or enforced its pledge itself.
    function _releaseSecurity(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) private {
        uint256 recordId = book.records[lcId][presentationId];
        if (recordId == 0) return;
        bool released = s.records.releaseSecurity(recordId, paymentReference(lcId, presentationId));
        if (!released) return; // the pledge ended earlier, by the bank's own release or enforcement
    }

    /// @notice {ILetterOfCredit-reimburseNominatedBank} on the credit's storage.
    function reimburseNominatedBank(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId
    ) external {
        credit(book, lcId);
        ILetterOfCredit.InterbankClaim storage claim = _openInterbankClaim(book, lcId, presentationId);
        bool precluded = msg.sender == claim.nominatedBank;
        if (precluded) {
            // Art 16f: the issuing bank neither reimbursed nor refused in time; the nominated bank collects.
            requireMember(s, msg.sender, IMembership.MemberKind.BANK);
            if (block.timestamp <= claim.deadline) {
                revert ILetterOfCredit.LetterOfCreditDeadlineNotPassed(
                    lcId,
                    presentationId,
                    claim.deadline,
                    uint64(block.timestamp)
                );
            }
        } else {
            requireParty(s, lcId, claim.issuingBank, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        }
        // Art 7c, 8c: reimbursement for a deferred payment or acceptance is due at maturity, prepaid or not, and only
        // to a nominated bank that paid the beneficiary (one that did not is in default, Art 7a).
        _requireMatured(book, lcId, presentationId);
        ILetterOfCredit.DeferredState deferred = book.deferred[lcId][presentationId].state;
        if (deferred == ILetterOfCredit.DeferredState.INCURRED) {
            revert ILetterOfCredit.LetterOfCreditInvalidDeferredState(
                lcId,
                presentationId,
                deferred,
                ILetterOfCredit.DeferredState.PAID
            );
        }
        _transitionInterbank(book, lcId, presentationId, ILetterOfCredit.InterbankClaimState.REIMBURSED);
        uint256 amount = claim.amount;
        uint256 entryId = s.settlement.settleLeg(
            claim.issuingBank,
            claim.nominatedBank,
            claim.currency,
            amount,
            ISettlement.PostingKind.LC_REIMBURSEMENT,
            interbankReference(lcId, presentationId)
        );
        claim.entryId = entryId;
        emit ILetterOfCredit.NominatedBankReimbursed(
            lcId,
            presentationId,
            claim.nominatedBank,
            claim.issuingBank,
            amount,
            entryId,
            precluded
        );
        _reimburse(book, s, lcId, presentationId);
    }

    /// @notice {ILetterOfCredit-refuseReimbursement} on the credit's storage.
    function refuseReimbursement(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        bytes32[] calldata discrepancies
    ) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        requireParty(s, lcId, lc.terms.issuingBank, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        ILetterOfCredit.InterbankClaim storage claim = _openInterbankClaim(book, lcId, presentationId);
        if (block.timestamp > claim.deadline) {
            revert ILetterOfCredit.LetterOfCreditPrecluded(
                lcId,
                presentationId,
                claim.deadline,
                uint64(block.timestamp)
            );
        }
        requireHashes(discrepancies, MAX_DISCREPANCIES, false);
        _transitionInterbank(book, lcId, presentationId, ILetterOfCredit.InterbankClaimState.REFUSED);
        emit ILetterOfCredit.InterbankReimbursementRefused(lcId, presentationId, msg.sender, discrepancies);
        // The issuing bank refused the forwarded documents: the nominated bank that paid for them holds the record.
        uint256 recordId = book.records[lcId][presentationId];
        if (recordId != 0) s.records.returnToPresenter(recordId, paymentReference(lcId, presentationId));
    }

    // ================================================================== internal: honour and settlement

    function _honour(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        bool precluded,
        address payer
    ) private {
        // No LC state check: only operative, FULLY_DRAWN and EXPIRED credits can hold open presentations
        // (cancel and close require none), and an open presentation must stay honourable (Art 15, 16f).
        ILetterOfCredit.Credit storage lc = book.credits[lcId];
        ILetterOfCredit.Presentation storage p = book.presentations[lcId][presentationId];
        uint256 amount = p.amount;
        address issuingBank = lc.terms.issuingBank;
        bytes3 currency = lc.terms.currency;

        // Effects first: the drawing moves from reserved to drawn and the presentation is final.
        lc.reserved -= amount;
        lc.drawn += amount;
        --lc.openPresentationCount;
        ++lc.honouredCount;
        p.precluded = precluded;
        _transitionPresentation(book, lcId, presentationId, ILetterOfCredit.PresentationState.HONOURED);
        bool fullyDrawn = isOperative(lc.state) && (lc.drawn >= maximumOf(lc) || !lc.terms.partialDrawingsAllowed);
        if (fullyDrawn) {
            transition(book, lcId, ILetterOfCredit.LcState.FULLY_DRAWN);
            emit ILetterOfCredit.LetterOfCreditFullyDrawn(lcId, lc.drawn);
        }

        if (payer != issuingBank) _openInterbank(book, s, lcId, presentationId, payer, issuingBank, currency, amount);

        bool usance = lc.terms.tenorDays != 0;
        if (usance) {
            // Art 2 honour (b), (c), negotiation: the honouring bank incurs the undertaking (or agrees to advance the
            // funds) now; the money moves at maturity, or earlier on a prepayment (Art 12b).
            _incurDeferred(book, s, lcId, presentationId, payer, precluded);
        } else {
            // Art 7a / 8a / 12a: the honouring bank pays; if this leg fails the whole honour reverts.
            _payBeneficiary(book, s, lcId, presentationId, payer, precluded);
        }

        if (payer != issuingBank) {
            _emitForwarded(book, lcId, presentationId);
            _forwardTitle(book, s, lcId, presentationId, payer, issuingBank);
        } else if (!usance) {
            // Art 7: the applicant's reimbursement never blocks the honour.
            _reimburse(book, s, lcId, presentationId);
        }
    }

    /// @dev A sight honour pays the drawing; `entryId` in PresentationHonoured is the beneficiary's leg, 0 when the
    /// second beneficiary and the assignee took all of it.
    function _payBeneficiary(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address payer,
        bool precluded
    ) private {
        uint256 amount = book.presentations[lcId][presentationId].amount;
        uint256 entryId = _payProceeds(book, s, lcId, presentationId, payer, amount);
        address beneficiary = book.credits[lcId].terms.beneficiary;
        emit ILetterOfCredit.PresentationHonoured(lcId, presentationId, beneficiary, amount, entryId, precluded);
    }

    /// @dev Pays `proceeds` of a drawing from `payer`: the second beneficiary's share first (Art 38h, 38i), then of
    /// the rest the assigned share to the assignee (Art 39) and what remains to the beneficiary, each leg under its
    /// own reference. Every payment of a drawing goes through here: sight honour, maturity, prepayment (Art 12b) and
    /// the issuing bank's honour of a defaulted undertaking (Art 7a). Returns the beneficiary's leg (0: none).
    function _payProceeds(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address payer,
        uint256 proceeds
    ) private returns (uint256 entryId) {
        uint256 rest = proceeds - _payShares(book, s, lcId, presentationId, payer, proceeds);
        if (rest != 0) {
            address beneficiary = book.credits[lcId].terms.beneficiary;
            entryId = _leg(book, s, lcId, payer, beneficiary, rest, paymentReference(lcId, presentationId));
        }
    }

    /// @dev The legs to the second beneficiary and the assignee; returns what they took of `proceeds`. When a
    /// prepayment's discount makes `proceeds` less than the drawing, the second beneficiary's share shrinks pro rata.
    function _payShares(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address payer,
        uint256 proceeds
    ) private returns (uint256 paid) {
        TransferBook storage tb = book.transfers[lcId];
        ILetterOfCreditTransfers.TransferredShare storage share = tb.shares[presentationId];
        paid = (share.amount * proceeds) / book.presentations[lcId][presentationId].amount;
        if (paid != 0) {
            bytes32 ref = transferReference(lcId, presentationId);
            uint256 entryId = _leg(book, s, lcId, payer, share.payee, paid, ref);
            emit ILetterOfCreditTransfers.TransferredProceedsPaid(lcId, presentationId, share.payee, paid, entryId);
        }
        address assignee = tb.assignment.assignee;
        uint256 assigned = ((proceeds - paid) * tb.assignment.shareBps) / BPS;
        if (assignee != address(0) && assigned != 0) {
            bytes32 ref = assignmentReference(lcId, presentationId);
            uint256 entryId = _leg(book, s, lcId, payer, assignee, assigned, ref);
            emit ILetterOfCreditTransfers.AssignedProceedsPaid(lcId, presentationId, assignee, assigned, entryId);
            paid += assigned;
        }
    }

    /// @dev One honour leg in the credit's currency; if it fails the whole honour reverts. A share assigned to the
    /// honouring bank itself (Art 39) moves nothing: the bank keeps it, and the leg's entry is 0.
    function _leg(
        Book storage book,
        Services memory s,
        uint256 lcId,
        address payer,
        address payee,
        uint256 amount,
        bytes32 ref
    ) private returns (uint256 entryId) {
        if (payee == payer) return 0;
        bytes3 currency = book.credits[lcId].terms.currency;
        return s.settlement.settleLeg(payer, payee, currency, amount, ISettlement.PostingKind.LC_HONOUR, ref);
    }

    /// @dev Art 7c, 15c: the nominated bank pays and forwards; the issuing bank owes it reimbursement, which it may
    /// refuse only within its own examination (Art 14b, 16d), counted from today.
    function _openInterbank(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address nominatedBank,
        address issuingBank,
        bytes3 currency,
        uint256 amount
    ) private {
        ILetterOfCredit.InterbankClaim storage claim = book.interbank[lcId][presentationId];
        claim.nominatedBank = nominatedBank;
        claim.issuingBank = issuingBank;
        claim.currency = currency;
        claim.amount = amount;
        claim.deadline = s.calendar.examinationDeadline(issuingBank, today());
        _transitionInterbank(book, lcId, presentationId, ILetterOfCredit.InterbankClaimState.OPEN);
    }

    /// @dev The nominated bank paid: the title passes to it with its payment, and it forwards the record to the
    /// issuing bank with the documents (escrowed again under the same reference until reimbursement).
    function _forwardTitle(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address nominatedBank,
        address issuingBank
    ) private {
        uint256 recordId = book.records[lcId][presentationId];
        if (recordId == 0) return;
        bytes32 key = paymentReference(lcId, presentationId);
        s.records.passTitle(recordId, key, nominatedBank, address(0));
        s.records.lodge(recordId, nominatedBank, issuingBank, key);
    }

    function _emitForwarded(Book storage book, uint256 lcId, uint256 presentationId) private {
        ILetterOfCredit.InterbankClaim storage claim = book.interbank[lcId][presentationId];
        emit ILetterOfCredit.DocumentsForwarded(
            lcId,
            presentationId,
            claim.nominatedBank,
            claim.issuingBank,
            claim.amount,
            claim.deadline
        );
    }

    function _reimburse(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) private {
        ILetterOfCredit.Credit storage lc = book.credits[lcId];
        ILetterOfCredit.Presentation storage p = book.presentations[lcId][presentationId];
        address issuingBank = lc.terms.issuingBank;
        address applicant = lc.applicant;
        bytes3 currency = lc.terms.currency;
        uint256 amount = p.amount;
        bytes32 ref = paymentReference(lcId, presentationId);
        if (s.settlement.balanceOf(applicant, currency) >= amount) {
            try
                s.settlement.settleLeg(
                    applicant,
                    issuingBank,
                    currency,
                    amount,
                    ISettlement.PostingKind.LC_REIMBURSEMENT,
                    ref
                )
            returns (uint256 entryId) {
                emit ILetterOfCredit.ReimbursementSettled(lcId, presentationId, applicant, issuingBank, amount, entryId);
                _passTitle(book, s, lcId, presentationId, false);
                return;
            } catch {
                // fall through: the applicant's account could not be debited, so the bank holds a claim
            }
        }
        uint256 claimId = ++book.claimCount;
        ILetterOfCredit.ReimbursementClaim storage claim = book.claims[claimId];
        claim.lcId = lcId;
        claim.presentationId = presentationId;
        claim.issuingBank = issuingBank;
        claim.applicant = applicant;
        claim.currency = currency;
        claim.amount = amount;
        p.claimId = claimId;
        _transitionClaim(book, claimId, ILetterOfCredit.ClaimState.OPEN);
        emit ILetterOfCredit.ReimbursementClaimOpened(
            claimId,
            lcId,
            applicant,
            presentationId,
            issuingBank,
            currency,
            amount
        );
        _passTitle(book, s, lcId, presentationId, true);
    }

    /// @dev Title against payment: the issuing bank paid (or reimbursed the nominated bank that did), so the title
    /// passes to the applicant; while the applicant owes the bank (`secured`), the bank keeps control as security.
    /// An applicant that is no longer an active trader cannot hold the record: the issuing bank then holds it.
    function _passTitle(Book storage book, Services memory s, uint256 lcId, uint256 presentationId, bool secured)
        private
    {
        uint256 recordId = book.records[lcId][presentationId];
        if (recordId == 0) return;
        ILetterOfCredit.Credit storage lc = book.credits[lcId];
        address issuingBank = lc.terms.issuingBank;
        address holder = lc.applicant;
        address securedBy = secured ? issuingBank : address(0);
        if (!s.membership.isActiveMember(holder, IMembership.MemberKind.TRADER)) {
            (holder, securedBy) = (issuingBank, address(0));
        }
        s.records.passTitle(recordId, paymentReference(lcId, presentationId), holder, securedBy);
    }

    // ================================================================== deferred payment and acceptance (Art 7a, 12b)

    /// @notice {ILetterOfCredit-payAtMaturity} on the credit's storage.
    function payAtMaturity(Book storage book, Services memory s, uint256 lcId, uint256 presentationId) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        ILetterOfCredit.DeferredPayment storage d = _incurred(book, lcId, presentationId);
        address beneficiary = lc.terms.beneficiary;
        if (msg.sender == beneficiary) requireMember(s, msg.sender, IMembership.MemberKind.TRADER);
        else requireParty(s, lcId, d.obligor, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        _requireMatured(book, lcId, presentationId);
        _transitionDeferred(book, lcId, presentationId, ILetterOfCredit.DeferredState.PAID);
        uint256 entryId = _payProceeds(book, s, lcId, presentationId, d.obligor, d.amount);
        d.entryId = entryId;
        emit ILetterOfCredit.DeferredPaymentPaid(lcId, presentationId, d.obligor, beneficiary, d.amount, entryId);
        // The issuing bank paid its own undertaking: now it seeks the applicant's reimbursement (Art 7).
        if (d.obligor == lc.terms.issuingBank) _reimburse(book, s, lcId, presentationId);
    }

    /// @notice {ILetterOfCredit-prepayDeferredPayment} on the credit's storage.
    function prepayDeferredPayment(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        uint256 discount
    ) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        ILetterOfCredit.DeferredPayment storage d = _incurred(book, lcId, presentationId);
        // Art 12b authorises the nominated bank to prepay the undertaking it incurred itself, not the issuer's.
        address nominatedBank = d.obligor;
        if (nominatedBank == lc.terms.issuingBank) {
            revert ILetterOfCredit.LetterOfCreditUnauthorizedParty(
                lcId,
                msg.sender,
                ILetterOfCredit.Party.AVAILABLE_WITH_BANK
            );
        }
        requireParty(s, lcId, nominatedBank, ILetterOfCredit.Party.AVAILABLE_WITH_BANK, IMembership.MemberKind.BANK);
        uint64 day = today();
        if (day >= d.maturityDay) {
            revert ILetterOfCredit.LetterOfCreditMatured(lcId, presentationId, d.maturityDay, day);
        }
        if (discount >= d.amount) revert ILetterOfCredit.LetterOfCreditInvalidDiscount(discount, d.amount);
        d.discount = discount;
        _transitionDeferred(book, lcId, presentationId, ILetterOfCredit.DeferredState.PREPAID);
        // The nominated bank pays the undertaking less its discount now, split as any payment of the drawing.
        d.entryId = _payProceeds(book, s, lcId, presentationId, nominatedBank, d.amount - discount);
        emit ILetterOfCredit.DeferredPaymentPrepaid(
            lcId,
            presentationId,
            nominatedBank,
            lc.terms.beneficiary,
            d.amount,
            discount,
            d.entryId
        );
    }

    /// @notice {ILetterOfCredit-honourDefaultedUndertaking} on the credit's storage.
    function honourDefaultedUndertaking(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId
    ) external {
        ILetterOfCredit.Credit storage lc = credit(book, lcId);
        address issuingBank = lc.terms.issuingBank;
        if (msg.sender == lc.terms.beneficiary) requireMember(s, msg.sender, IMembership.MemberKind.TRADER);
        else requireParty(s, lcId, issuingBank, ILetterOfCredit.Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        ILetterOfCredit.DeferredPayment storage d = _incurred(book, lcId, presentationId);
        address nominatedBank = d.obligor;
        uint64 day = today();
        // Art 7a (iii), (iv): the nominated bank's undertaking, not paid by the end of its maturity day.
        if (nominatedBank == issuingBank || day <= d.maturityDay) {
            revert ILetterOfCredit.LetterOfCreditNoDefault(lcId, presentationId, nominatedBank, d.maturityDay, day);
        }
        // A complying presentation in the issuing bank's eyes: it has not refused the forwarded documents.
        _openInterbankClaim(book, lcId, presentationId);
        _transitionInterbank(book, lcId, presentationId, ILetterOfCredit.InterbankClaimState.LAPSED);
        _transitionDeferred(book, lcId, presentationId, ILetterOfCredit.DeferredState.DEFAULTED);
        d.entryId = _payProceeds(book, s, lcId, presentationId, issuingBank, d.amount);
        emit ILetterOfCredit.DeferredPaymentDefaulted(
            lcId,
            presentationId,
            nominatedBank,
            issuingBank,
            lc.terms.beneficiary,
            d.amount,
            d.entryId
        );
        // The issuing bank paid: it seeks the applicant's reimbursement and the title moves on, as after its honour.
        _reimburse(book, s, lcId, presentationId);
    }

    /// @dev Honour by deferred payment or acceptance: the maturity is fixed now, `tenorDays` after the presentation
    /// day or the shipment date, rolled forward to the obligor's next banking day when it falls on a closed day
    /// (the undertaking is paid by that bank, which cannot pay on a day it is closed).
    function _incurDeferred(
        Book storage book,
        Services memory s,
        uint256 lcId,
        uint256 presentationId,
        address obligor,
        bool precluded
    ) private {
        ILetterOfCredit.CreditTerms storage t = book.credits[lcId].terms;
        ILetterOfCredit.Presentation storage p = book.presentations[lcId][presentationId];
        uint64 basisDay = t.tenorBasis == ILetterOfCredit.TenorBasis.SHIPMENT
            ? p.shipmentDate / _DAY
            : p.presentationDay;
        ILetterOfCredit.DeferredPayment storage d = book.deferred[lcId][presentationId];
        d.obligor = obligor;
        d.amount = p.amount;
        d.maturityDay = s.calendar.nextBankingDay(obligor, basisDay + t.tenorDays);
        _transitionDeferred(book, lcId, presentationId, ILetterOfCredit.DeferredState.INCURRED);
        emit ILetterOfCredit.DeferredPaymentIncurred(
            lcId,
            presentationId,
            obligor,
            t.beneficiary,
            p.amount,
            d.maturityDay,
            precluded
        );
    }

    /// @dev Reverts while a deferred undertaking of the presentation has not matured; sight drawings pass.
    function _requireMatured(Book storage book, uint256 lcId, uint256 presentationId) private view {
        ILetterOfCredit.DeferredPayment storage d = book.deferred[lcId][presentationId];
        uint64 day = today();
        if (d.state != ILetterOfCredit.DeferredState.NONE && day < d.maturityDay) {
            revert ILetterOfCredit.LetterOfCreditNotMatured(lcId, presentationId, d.maturityDay, day);
        }
    }

    /// @dev The presentation's undertaking, which must be incurred and not yet paid, prepaid or defaulted.
    function _incurred(
        Book storage book,
        uint256 lcId,
        uint256 presentationId
    ) private view returns (ILetterOfCredit.DeferredPayment storage d) {
        d = book.deferred[lcId][presentationId];
        ILetterOfCredit.DeferredState incurred = ILetterOfCredit.DeferredState.INCURRED;
        if (d.state != incurred) {
            revert ILetterOfCredit.LetterOfCreditInvalidDeferredState(lcId, presentationId, d.state, incurred);
        }
    }

    /// @dev The one deferred-undertaking transition: NONE -> INCURRED -> PAID | PREPAID | DEFAULTED.
    function _transitionDeferred(
        Book storage book,
        uint256 lcId,
        uint256 presentationId,
        ILetterOfCredit.DeferredState to
    ) private {
        ILetterOfCredit.DeferredPayment storage d = book.deferred[lcId][presentationId];
        ILetterOfCredit.DeferredState from = d.state;
        bool ok = (from == ILetterOfCredit.DeferredState.NONE && to == ILetterOfCredit.DeferredState.INCURRED) ||
            (from == ILetterOfCredit.DeferredState.INCURRED &&
                to != ILetterOfCredit.DeferredState.NONE &&
                to != ILetterOfCredit.DeferredState.INCURRED);
        if (!ok) revert ILetterOfCredit.LetterOfCreditInvalidDeferredState(lcId, presentationId, from, to);
        d.state = to;
    }

    /// @notice Whether honour under `availability` incurs an undertaking paid at maturity (Art 2 honour b, c).
    function isDeferred(ILetterOfCredit.Availability availability) internal pure returns (bool) {
        return
            availability == ILetterOfCredit.Availability.DEFERRED_PAYMENT ||
            availability == ILetterOfCredit.Availability.ACCEPTANCE;
    }

    // ================================================================== internal: state machines

    /// @dev The one LC transition: checks the edge against the graph, then records and announces it.
    function transition(Book storage book, uint256 lcId, ILetterOfCredit.LcState to) internal {
        ILetterOfCredit.Credit storage lc = book.credits[lcId];
        ILetterOfCredit.LcState from = lc.state;
        if (!_isEdge(from, to)) revert ILetterOfCredit.LetterOfCreditInvalidTransition(lcId, from, to);
        lc.state = to;
        emit ILetterOfCredit.LetterOfCreditStateChanged(lcId, from, to);
    }

    function _isEdge(ILetterOfCredit.LcState from, ILetterOfCredit.LcState to) private pure returns (bool) {
        if (from == ILetterOfCredit.LcState.NONE) return to == ILetterOfCredit.LcState.APPLIED;
        if (from == ILetterOfCredit.LcState.APPLIED) {
            return
                to == ILetterOfCredit.LcState.ISSUED ||
                to == ILetterOfCredit.LcState.DECLINED ||
                to == ILetterOfCredit.LcState.WITHDRAWN;
        }
        if (isOperative(from)) {
            if (
                to == ILetterOfCredit.LcState.FULLY_DRAWN ||
                to == ILetterOfCredit.LcState.EXPIRED ||
                to == ILetterOfCredit.LcState.CANCELLED
            ) return true;
            if (from == ILetterOfCredit.LcState.ISSUED) return to == ILetterOfCredit.LcState.ADVISED;
            if (from == ILetterOfCredit.LcState.ADVISED) return to == ILetterOfCredit.LcState.CONFIRMED;
            return false;
        }
        if (from == ILetterOfCredit.LcState.FULLY_DRAWN || from == ILetterOfCredit.LcState.EXPIRED) {
            return to == ILetterOfCredit.LcState.CLOSED;
        }
        return false; // CANCELLED, DECLINED, WITHDRAWN, CLOSED are terminal
    }

    /// @dev The one presentation transition (see the graph in {ILetterOfCredit}).
    function _transitionPresentation(
        Book storage book,
        uint256 lcId,
        uint256 presentationId,
        ILetterOfCredit.PresentationState to
    ) private {
        ILetterOfCredit.Presentation storage p = book.presentations[lcId][presentationId];
        ILetterOfCredit.PresentationState from = p.state;
        bool ok = false;
        if (from == ILetterOfCredit.PresentationState.NONE) ok = to == ILetterOfCredit.PresentationState.PRESENTED;
        else if (from == ILetterOfCredit.PresentationState.PRESENTED) {
            ok = to == ILetterOfCredit.PresentationState.HONOURED || to == ILetterOfCredit.PresentationState.REFUSED;
        } else if (from == ILetterOfCredit.PresentationState.REFUSED) {
            ok = to == ILetterOfCredit.PresentationState.WAIVED || to == ILetterOfCredit.PresentationState.RETURNED;
        } else if (from == ILetterOfCredit.PresentationState.WAIVED) {
            ok = to == ILetterOfCredit.PresentationState.HONOURED || to == ILetterOfCredit.PresentationState.RETURNED;
        }
        if (!ok) revert ILetterOfCredit.LetterOfCreditInvalidPresentationState(lcId, presentationId, from, to);
        p.state = to;
    }

    /// @dev The one claim transition: NONE -> OPEN -> SETTLED.
    function _transitionClaim(Book storage book, uint256 claimId, ILetterOfCredit.ClaimState to) private {
        ILetterOfCredit.ReimbursementClaim storage claim = book.claims[claimId];
        ILetterOfCredit.ClaimState from = claim.state;
        bool ok = (from == ILetterOfCredit.ClaimState.NONE && to == ILetterOfCredit.ClaimState.OPEN) ||
            (from == ILetterOfCredit.ClaimState.OPEN && to == ILetterOfCredit.ClaimState.SETTLED);
        if (!ok) revert ILetterOfCredit.LetterOfCreditInvalidClaimState(claimId, from, to);
        claim.state = to;
    }

    /// @dev The one interbank-claim transition: NONE -> OPEN -> REIMBURSED | REFUSED | LAPSED.
    function _transitionInterbank(
        Book storage book,
        uint256 lcId,
        uint256 presentationId,
        ILetterOfCredit.InterbankClaimState to
    ) private {
        ILetterOfCredit.InterbankClaim storage claim = book.interbank[lcId][presentationId];
        ILetterOfCredit.InterbankClaimState from = claim.state;
        bool ok = (from == ILetterOfCredit.InterbankClaimState.NONE && to == ILetterOfCredit.InterbankClaimState.OPEN) ||
            (from == ILetterOfCredit.InterbankClaimState.OPEN &&
                to != ILetterOfCredit.InterbankClaimState.NONE &&
                to != ILetterOfCredit.InterbankClaimState.OPEN);
        if (!ok) revert ILetterOfCredit.LetterOfCreditInvalidInterbankClaimState(lcId, presentationId, from, to);
        claim.state = to;
    }

    // ================================================================== internal: checks

    function _checkPresentationDates(
        Services memory s,
        uint256 lcId,
        ILetterOfCredit.Credit storage lc,
        uint64 shipmentDate
    ) private view returns (uint64 presentationDay) {
        uint64 day = today();
        if (shipmentDate > block.timestamp) {
            revert ILetterOfCredit.LetterOfCreditShipmentDateInFuture(lcId, shipmentDate, uint64(block.timestamp));
        }
        uint64 lastDay = lastPresentationDay(s, lc);
        if (day > lastDay) revert ILetterOfCredit.LetterOfCreditPresentationAfterExpiry(lcId, day, lastDay);
        uint64 periodEnd = s.calendar.nextBankingDay(
            lc.terms.issuingBank,
            shipmentDate / _DAY + uint64(lc.terms.presentationPeriodDays)
        );
        if (day > periodEnd) {
            revert ILetterOfCredit.LetterOfCreditPresentationPeriodElapsed(lcId, shipmentDate, day, periodEnd);
        }
        // Art 33: a presentation on a day the bank is closed counts from the next banking day.
        presentationDay = s.calendar.nextBankingDay(lc.terms.issuingBank, day);
    }

    function _checkDrawing(uint256 lcId, ILetterOfCredit.Credit storage lc, uint256 amount) private view {
        if (amount == 0) revert ILetterOfCredit.LetterOfCreditInvalidAmount(amount);
        if (!lc.terms.partialDrawingsAllowed) {
            uint256 shortfallBps = lc.terms.toleranceMinusBps;
            // Art 30c: with no tolerance stated (nor "about", Art 30a, which the terms state as 10 %), 5 % less.
            if (shortfallBps == 0 && lc.terms.tolerancePlusBps == 0) shortfallBps = ART_30C_ALLOWANCE_BPS;
            uint256 minimum = (lc.terms.amount * (BPS - shortfallBps)) / BPS;
            if (lc.drawn != 0 || lc.openPresentationCount != 0 || amount < minimum) {
                revert ILetterOfCredit.LetterOfCreditPartialDrawingProhibited(lcId, amount, minimum);
            }
        }
        uint256 available = maximumOf(lc) - lc.drawn - lc.reserved;
        if (amount > available) revert ILetterOfCredit.LetterOfCreditDrawingExceedsAvailable(lcId, amount, available);
    }

    function requireHashes(bytes32[] calldata hashes, uint256 most, bool documents) internal pure {
        uint256 count = hashes.length;
        if (count == 0 || count > most) {
            if (documents) revert ILetterOfCredit.LetterOfCreditInvalidDocumentCount(count, most);
            revert ILetterOfCredit.LetterOfCreditInvalidDiscrepancyCount(count, most);
        }
        for (uint256 i = 0; i < count; ++i) {
            if (hashes[i] == bytes32(0)) revert ILetterOfCredit.LetterOfCreditZeroHash(i);
        }
    }

    function requireMember(Services memory s, address account, IMembership.MemberKind kind) internal view {
        if (!s.membership.isActiveMember(account, kind)) {
            revert ILetterOfCredit.LetterOfCreditNotActiveMember(account, uint8(kind));
        }
    }

    function requireParty(
        Services memory s,
        uint256 lcId,
        address expected,
        ILetterOfCredit.Party party,
        IMembership.MemberKind kind
    ) internal view {
        if (msg.sender != expected) revert ILetterOfCredit.LetterOfCreditUnauthorizedParty(lcId, msg.sender, party);
        requireMember(s, msg.sender, kind);
    }

    function requireOperative(uint256 lcId, ILetterOfCredit.Credit storage lc) internal view {
        if (!isOperative(lc.state)) revert ILetterOfCredit.LetterOfCreditNotOperative(lcId, lc.state);
    }

    function _openInterbankClaim(
        Book storage book,
        uint256 lcId,
        uint256 presentationId
    ) private view returns (ILetterOfCredit.InterbankClaim storage c) {
        c = book.interbank[lcId][presentationId];
        if (c.state != ILetterOfCredit.InterbankClaimState.OPEN) {
            revert ILetterOfCredit.LetterOfCreditInvalidInterbankClaimState(
                lcId,
                presentationId,
                c.state,
                ILetterOfCredit.InterbankClaimState.OPEN
            );
        }
    }

    function credit(Book storage book, uint256 lcId) internal view returns (ILetterOfCredit.Credit storage lc) {
        lc = book.credits[lcId];
        if (lc.state == ILetterOfCredit.LcState.NONE) revert ILetterOfCredit.LetterOfCreditUnknown(lcId);
    }

    function _presentation(
        Book storage book,
        uint256 lcId,
        uint256 presentationId
    ) private view returns (ILetterOfCredit.Presentation storage p) {
        p = book.presentations[lcId][presentationId];
        if (p.state == ILetterOfCredit.PresentationState.NONE) {
            revert ILetterOfCredit.LetterOfCreditUnknownPresentation(lcId, presentationId);
        }
    }

    function _presentationIn(
        Book storage book,
        uint256 lcId,
        uint256 presentationId,
        ILetterOfCredit.PresentationState expected
    ) private view returns (ILetterOfCredit.Presentation storage p) {
        p = _presentation(book, lcId, presentationId);
        if (p.state != expected) {
            revert ILetterOfCredit.LetterOfCreditInvalidPresentationState(lcId, presentationId, p.state, expected);
        }
    }

    // ================================================================== internal: dates and amounts

    function isOperative(ILetterOfCredit.LcState state) internal pure returns (bool) {
        return
            state == ILetterOfCredit.LcState.ISSUED ||
            state == ILetterOfCredit.LcState.ADVISED ||
            state == ILetterOfCredit.LcState.CONFIRMED;
    }

    function maximum(uint256 amount, uint16 plusBps) internal pure returns (uint256) {
        return (amount * (BPS + plusBps)) / BPS;
    }

    function maximumOf(ILetterOfCredit.Credit storage lc) internal view returns (uint256) {
        return maximum(lc.terms.amount, lc.terms.tolerancePlusBps);
    }

    function today() internal view returns (uint64) {
        return uint64(block.timestamp / _DAY);
    }

    function lastPresentationDay(Services memory s, ILetterOfCredit.Credit storage lc) internal view returns (uint64) {
        return s.calendar.nextBankingDay(lc.terms.issuingBank, lc.terms.expiry / _DAY);
    }

    function paymentReference(uint256 lcId, uint256 presentationId) internal pure returns (bytes32) {
        return bytes32((lcId << 128) | presentationId);
    }

    function interbankReference(uint256 lcId, uint256 presentationId) internal pure returns (bytes32) {
        return bytes32((uint256(1) << 248) | (lcId << 128) | presentationId);
    }

    function transferReference(uint256 lcId, uint256 presentationId) internal pure returns (bytes32) {
        return bytes32((uint256(2) << 248) | (lcId << 128) | presentationId);
    }

    function assignmentReference(uint256 lcId, uint256 presentationId) internal pure returns (bytes32) {
        return bytes32((uint256(3) << 248) | (lcId << 128) | presentationId);
    }
}
