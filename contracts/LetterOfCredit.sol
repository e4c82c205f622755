// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ILetterOfCredit} from "./interfaces/ILetterOfCredit.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {ITransferableRecords} from "./interfaces/ITransferableRecords.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";
import {LetterOfCreditDrawings} from "./LetterOfCreditDrawings.sol";
import {ILetterOfCreditTransfers} from "./interfaces/ILetterOfCreditTransfers.sol";
import {LetterOfCreditTransfers} from "./LetterOfCreditTransfers.sol";

/**
 * @title LetterOfCredit
 * @notice Documentary credits under UCP 600; see {ILetterOfCredit} for the state machines and the rules.
 * @dev Authorization has two layers, as in TradeOrders: consortium membership (IMembership.isActiveMember,
 * checked on every call, so a suspension takes effect on the next call) and the caller's role in the credit
 * (object level). The contract has no admin: nothing about a credit can be changed but by its parties.
 * Honour and reimbursement move money through Settlement, which must have granted this contract SETTLER_ROLE;
 * presentations register their documents in the DocumentRegistry, which must have granted PRESENTER_ROLE; records
 * presented move through TransferableRecords, which must have granted TITLE_AGENT_ROLE.
 *
 * Dates: `day = timestamp / 86400` (UTC). Banking days, the Art 29a roll-forward and the Art 14b deadline come
 * from the BankingCalendar.
 *
 * Split by concern to stay well under EIP-170: this contract holds the credit's life cycle, its amendments and the
 * views; the drawings (presentation, examination, honour, reimbursement) run in the external library
 * {LetterOfCreditDrawings}, delegate-called on this contract's storage, so every event still comes from here.
 * Transfers and assignment of proceeds (Art 38, 39) run the same way in {LetterOfCreditTransfers}.
 */
contract LetterOfCredit is ILetterOfCredit, ILetterOfCreditTransfers, ReentrancyGuard {
    /// @notice Presentation period when the credit states none (Art 14c).
    uint16 internal constant DEFAULT_PRESENTATION_PERIOD_DAYS = 21;
    /// @notice Longest presentation period a credit may state.
    uint16 internal constant MAX_PRESENTATION_PERIOD_DAYS = 366;
    /// @notice Amendment flag: the amount changes (MT707 32B/33B).
    uint8 internal constant AMEND_AMOUNT = 1;
    /// @notice Amendment flag: the expiry changes (MT707 31E).
    uint8 internal constant AMEND_EXPIRY = 2;
    /// @notice Amendment flag: the latest shipment date changes (MT707 44C).
    uint8 internal constant AMEND_LATEST_SHIPMENT = 4;
    /// @notice Amendment flag: both tolerances change (MT707 39A).
    uint8 internal constant AMEND_TOLERANCE = 8;
    /// @notice Amendment flag: the presentation period changes (MT707 48).
    uint8 internal constant AMEND_PRESENTATION_PERIOD = 16;
    /// @notice Amendment flag: whether partial drawings are allowed changes (MT707 43P).
    uint8 internal constant AMEND_PARTIAL_DRAWINGS = 32;
    uint8 private constant _AMEND_ALL = 63;
    /// @notice Longest deferred payment or acceptance tenor a credit may state (days).
    uint16 internal constant MAX_TENOR_DAYS = 720;

    uint8 private constant _CONSENT_ISSUER = 1;
    uint8 private constant _CONSENT_CONFIRMER = 2;
    uint8 private constant _CONSENT_BENEFICIARY = 4;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    IDocumentRegistry private immutable _documents;
    IBankingCalendar private immutable _calendar;
    ITransferableRecords private immutable _records;

    LetterOfCreditDrawings.Book private _book;

    /**
     * @param membership_ The consortium registry.
     * @param settlement_ The cash ledger (must grant this contract SETTLER_ROLE).
     * @param documents_ The document registry (must grant this contract PRESENTER_ROLE).
     * @param calendar_ The banks' banking days.
     * @param records_ The transferable records (must grant this contract TITLE_AGENT_ROLE).
     */
    constructor(
        IMembership membership_,
        ISettlement settlement_,
        IDocumentRegistry documents_,
        IBankingCalendar calendar_,
        ITransferableRecords records_
    ) {
        _membership = membership_;
        _settlement = settlement_;
        _documents = documents_;
        _calendar = calendar_;
        _records = records_;
    }

    // ================================================================== credit life cycle

    /// @inheritdoc ILetterOfCredit
    function applyForCredit(CreditTerms calldata terms) external returns (uint256 lcId) {
        _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        _validateApplication(terms);
        lcId = ++_book.creditCount;
        Credit storage lc = _book.credits[lcId];
        lc.terms = terms;
        if (terms.presentationPeriodDays == 0) {
            lc.terms.presentationPeriodDays = DEFAULT_PRESENTATION_PERIOD_DAYS;
        }
        lc.applicant = msg.sender;
        lc.appliedAt = uint64(block.timestamp);
        _transition(lcId, LcState.APPLIED);
        emit LetterOfCreditApplied(lcId, msg.sender, terms.issuingBank, lc.terms);
    }

    /// @inheritdoc ILetterOfCredit
    function issue(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        _requireState(lcId, lc, LcState.APPLIED);
        if (lc.terms.expiry <= block.timestamp) {
            revert LetterOfCreditInvalidExpiry(lc.terms.expiry, uint64(block.timestamp));
        }
        _transition(lcId, LcState.ISSUED);
        emit LetterOfCreditIssued(lcId, msg.sender, lc.terms.beneficiary);
    }

    /// @inheritdoc ILetterOfCredit
    function declineApplication(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        _requireState(lcId, lc, LcState.APPLIED);
        _transition(lcId, LcState.DECLINED);
        emit LetterOfCreditApplicationDeclined(lcId, msg.sender);
    }

    /// @inheritdoc ILetterOfCredit
    function withdrawApplication(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.applicant, Party.APPLICANT, IMembership.MemberKind.TRADER);
        _requireState(lcId, lc, LcState.APPLIED);
        _transition(lcId, LcState.WITHDRAWN);
        emit LetterOfCreditApplicationWithdrawn(lcId, msg.sender);
    }

    /// @inheritdoc ILetterOfCredit
    function advise(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.advisingBank, Party.ADVISING_BANK, IMembership.MemberKind.BANK);
        _requireState(lcId, lc, LcState.ISSUED);
        _transition(lcId, LcState.ADVISED);
        emit LetterOfCreditAdvised(lcId, msg.sender, lc.terms.beneficiary);
    }

    /// @inheritdoc ILetterOfCredit
    function confirm(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        address confirmer = lc.terms.confirmingBank;
        if (confirmer == address(0) || msg.sender != confirmer) {
            revert LetterOfCreditUnauthorizedParty(lcId, msg.sender, Party.CONFIRMING_BANK);
        }
        _requireMember(msg.sender, IMembership.MemberKind.BANK);
        _requireState(lcId, lc, LcState.ADVISED);
        _book.confirmed[lcId] = true;
        _transition(lcId, LcState.CONFIRMED);
        emit LetterOfCreditConfirmed(lcId, msg.sender, lc.terms.beneficiary);
    }

    /// @inheritdoc ILetterOfCredit
    function consentToCancellation(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireOperative(lcId, lc);
        Party role = Party.APPLICANT;
        uint8 flag = 0;
        if (msg.sender == lc.terms.issuingBank) {
            (role, flag) = (Party.ISSUING_BANK, _CONSENT_ISSUER);
            _requireMember(msg.sender, IMembership.MemberKind.BANK);
        } else if (msg.sender == lc.terms.confirmingBank && lc.state == LcState.CONFIRMED) {
            (role, flag) = (Party.CONFIRMING_BANK, _CONSENT_CONFIRMER);
            _requireMember(msg.sender, IMembership.MemberKind.BANK);
        } else if (msg.sender == lc.terms.beneficiary) {
            (role, flag) = (Party.BENEFICIARY, _CONSENT_BENEFICIARY);
            _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        } else {
            revert LetterOfCreditNotAParty(lcId, msg.sender);
        }
        if (lc.cancellationConsents & flag != 0) revert LetterOfCreditConsentAlreadyGiven(lcId, role);
        lc.cancellationConsents |= flag;
        emit LetterOfCreditCancellationConsented(lcId, msg.sender, role);

        uint8 required = _CONSENT_ISSUER | _CONSENT_BENEFICIARY;
        if (lc.state == LcState.CONFIRMED) required |= _CONSENT_CONFIRMER;
        if (lc.cancellationConsents & required == required) {
            if (lc.openPresentationCount != 0) {
                revert LetterOfCreditOpenPresentations(lcId, lc.openPresentationCount);
            }
            _transition(lcId, LcState.CANCELLED);
            emit LetterOfCreditCancelled(lcId);
        }
    }

    /// @inheritdoc ILetterOfCredit
    function expire(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireAnyParty(lcId, lc);
        _requireOperative(lcId, lc);
        uint64 lastDay = LetterOfCreditDrawings.lastPresentationDay(_services(), lc);
        uint64 today = LetterOfCreditDrawings.today();
        if (today <= lastDay) revert LetterOfCreditNotExpired(lcId, lastDay, today);
        _transition(lcId, LcState.EXPIRED);
        emit LetterOfCreditExpired(lcId, lastDay);
    }

    /// @inheritdoc ILetterOfCredit
    function close(uint256 lcId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        if (lc.state != LcState.EXPIRED && lc.state != LcState.FULLY_DRAWN) {
            revert LetterOfCreditInvalidState(lcId, lc.state, LcState.EXPIRED);
        }
        if (lc.openPresentationCount != 0) revert LetterOfCreditOpenPresentations(lcId, lc.openPresentationCount);
        _transition(lcId, LcState.CLOSED);
        emit LetterOfCreditClosed(lcId, msg.sender, lc.drawn);
    }

    // ================================================================== amendments (Art 10)

    /// @inheritdoc ILetterOfCredit
    function issueAmendment(uint256 lcId, bytes32 amendmentHash, AmendmentTerms calldata changes)
        external
        returns (uint256 amendmentId)
    {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        _requireOperative(lcId, lc);
        if (amendmentHash == bytes32(0)) revert LetterOfCreditEmptyTermsHash();
        if (changes.fields & ~_AMEND_ALL != 0) revert LetterOfCreditInvalidAmendmentFields(changes.fields);
        _checkAmended(lcId, lc, changes);

        amendmentId = ++lc.amendmentCount;
        Amendment storage amendment = _book.amendments[lcId][amendmentId];
        amendment.changes = changes;
        amendment.amendmentHash = amendmentHash;
        amendment.issuedAt = uint64(block.timestamp);
        _transitionAmendment(lcId, amendmentId, AmendmentState.ISSUED);
        emit AmendmentIssued(lcId, amendmentId, msg.sender, amendmentHash, changes);
    }

    /// @inheritdoc ILetterOfCredit
    function acceptAmendment(uint256 lcId, uint256 amendmentId, uint8 acceptedFields) external {
        Credit storage lc = _credit(lcId);
        Amendment storage amendment = _pendingAmendment(lcId, lc, amendmentId);
        if (acceptedFields != amendment.changes.fields) {
            // Art 10e: partial acceptance is a rejection; the credit keeps its terms.
            _transitionAmendment(lcId, amendmentId, AmendmentState.REJECTED);
            emit AmendmentRejected(lcId, amendmentId, msg.sender, true);
            return;
        }
        _acceptAmendment(lcId, lc, amendmentId, amendment);
    }

    /// @inheritdoc ILetterOfCredit
    function adviseAmendment(uint256 lcId, uint256 amendmentId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.advisingBank, Party.ADVISING_BANK, IMembership.MemberKind.BANK);
        Amendment storage amendment = _issuedAmendment(lcId, amendmentId);
        if (amendment.advised) revert LetterOfCreditAmendmentAlreadyAdvised(lcId, amendmentId);
        amendment.advised = true;
        emit AmendmentAdvised(lcId, amendmentId, msg.sender);
    }

    /// @inheritdoc ILetterOfCredit
    function decideAmendmentConfirmation(uint256 lcId, uint256 amendmentId, bool extend) external {
        Credit storage lc = _credit(lcId);
        if (!_book.confirmed[lcId]) revert LetterOfCreditInvalidState(lcId, lc.state, LcState.CONFIRMED);
        _requireParty(lcId, lc.terms.confirmingBank, Party.CONFIRMING_BANK, IMembership.MemberKind.BANK);
        Amendment storage amendment = _issuedAmendment(lcId, amendmentId);
        if (amendment.confirmation != AmendmentConfirmation.NONE) {
            revert LetterOfCreditAmendmentConfirmationDecided(lcId, amendmentId, amendment.confirmation);
        }
        amendment.confirmation = extend ? AmendmentConfirmation.EXTENDED : AmendmentConfirmation.DECLINED;
        emit AmendmentConfirmationDecided(lcId, amendmentId, msg.sender, extend);
    }

    /// @inheritdoc ILetterOfCredit
    function rejectAmendment(uint256 lcId, uint256 amendmentId) external {
        Credit storage lc = _credit(lcId);
        _pendingAmendment(lcId, lc, amendmentId);
        _transitionAmendment(lcId, amendmentId, AmendmentState.REJECTED);
        emit AmendmentRejected(lcId, amendmentId, msg.sender, false);
    }

    // ================================================================== presentations (Art 14-16)

    /// @inheritdoc ILetterOfCredit
    function present(uint256 lcId, bytes32[] calldata documentHashes, uint256 amount, uint64 shipmentDate)
        external
        nonReentrant
        returns (uint256 presentationId)
    {
        return LetterOfCreditDrawings.present(_book, _services(), lcId, documentHashes, amount, shipmentDate, 0);
    }

    /// @inheritdoc ILetterOfCredit
    function presentWithRecord(
        uint256 lcId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) external nonReentrant returns (uint256 presentationId) {
        if (recordId == 0) revert LetterOfCreditRecordNotPresentable(lcId, recordId, address(0));
        return LetterOfCreditDrawings.present(_book, _services(), lcId, documentHashes, amount, shipmentDate, recordId);
    }

    /// @inheritdoc ILetterOfCredit
    function presentUnderAmendment(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external nonReentrant returns (uint256 presentationId) {
        return _presentUnderAmendment(lcId, amendmentId, documentHashes, amount, shipmentDate, 0);
    }

    /// @inheritdoc ILetterOfCredit
    function presentUnderAmendmentWithRecord(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) external nonReentrant returns (uint256 presentationId) {
        if (recordId == 0) revert LetterOfCreditRecordNotPresentable(lcId, recordId, address(0));
        return _presentUnderAmendment(lcId, amendmentId, documentHashes, amount, shipmentDate, recordId);
    }

    /// @dev `presentUnderAmendment`, carrying the record `recordId` when it is not 0.
    function _presentUnderAmendment(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) private returns (uint256 presentationId) {
        Credit storage lc = _credit(lcId);
        Amendment storage amendment = _pendingAmendment(lcId, lc, amendmentId);
        LetterOfCreditDrawings.Services memory services = _services();
        // Art 10c: the presentation complies with the credit as it stands ...
        LetterOfCreditDrawings.checkDrawing(_book, services, lcId, amount, shipmentDate);
        // ... is the beneficiary's acceptance, which amends the credit at this moment ...
        _acceptAmendment(lcId, lc, amendmentId, amendment);
        // ... and complies with the amended credit (checked again by the presentation).
        return LetterOfCreditDrawings.present(_book, services, lcId, documentHashes, amount, shipmentDate, recordId);
    }

    /// @inheritdoc ILetterOfCredit
    function refuse(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies, Disposition disposition)
        external
    {
        LetterOfCreditDrawings.refuse(_book, _services(), lcId, presentationId, discrepancies, disposition);
    }

    /// @inheritdoc ILetterOfCredit
    function waiveDiscrepancies(uint256 lcId, uint256 presentationId) external {
        LetterOfCreditDrawings.waiveDiscrepancies(_book, _services(), lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function honour(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.honour(_book, _services(), lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function enforcePreclusion(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.enforcePreclusion(_book, _services(), lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function returnDocuments(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.returnDocuments(_book, _services(), lcId, presentationId);
    }

    // ================================================================== deferred payment and acceptance (Art 7a, 12b)

    /// @inheritdoc ILetterOfCredit
    function payAtMaturity(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.payAtMaturity(_book, _services(), lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function prepayDeferredPayment(uint256 lcId, uint256 presentationId, uint256 discount) external nonReentrant {
        LetterOfCreditDrawings.prepayDeferredPayment(_book, _services(), lcId, presentationId, discount);
    }

    /// @inheritdoc ILetterOfCredit
    function honourDefaultedUndertaking(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.honourDefaultedUndertaking(_book, _services(), lcId, presentationId);
    }

    // ================================================================== reimbursement (Art 7)

    /// @inheritdoc ILetterOfCredit
    function settleReimbursementClaim(uint256 claimId) external nonReentrant {
        LetterOfCreditDrawings.settleReimbursementClaim(_book, _services(), claimId);
    }

    /// @inheritdoc ILetterOfCredit
    function reimburseNominatedBank(uint256 lcId, uint256 presentationId) external nonReentrant {
        LetterOfCreditDrawings.reimburseNominatedBank(_book, _services(), lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function refuseReimbursement(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies)
        external
        nonReentrant
    {
        LetterOfCreditDrawings.refuseReimbursement(_book, _services(), lcId, presentationId, discrepancies);
    }

    // ================================================================== transfer and assignment (Art 38, 39)

    /// @inheritdoc ILetterOfCreditTransfers
    function requestTransfer(uint256 lcId, TransferTerms calldata terms) external returns (uint256 transferId) {
        return LetterOfCreditTransfers.requestTransfer(_book, _services(), lcId, terms);
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function decideTransfer(uint256 lcId, uint256 transferId, bool consent) external {
        LetterOfCreditTransfers.decideTransfer(_book, _services(), lcId, transferId, consent);
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function presentTransferred(
        uint256 lcId,
        uint256 transferId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external returns (uint256 transferredPresentationId) {
        return
            LetterOfCreditTransfers.presentTransferred(
                _book,
                _services(),
                lcId,
                transferId,
                documentHashes,
                amount,
                shipmentDate
            );
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function demandSubstitution(uint256 lcId, uint256 transferredPresentationId) external {
        LetterOfCreditTransfers.demandSubstitution(_book, _services(), lcId, transferredPresentationId);
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function substituteInvoice(
        uint256 lcId,
        uint256 transferredPresentationId,
        bytes32[] calldata documentHashes,
        uint256 amount
    ) external nonReentrant returns (uint256 presentationId) {
        return
            LetterOfCreditTransfers.substituteInvoice(
                _book,
                _services(),
                lcId,
                transferredPresentationId,
                documentHashes,
                amount
            );
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function forwardAsPresented(
        uint256 lcId,
        uint256 transferredPresentationId,
        bytes32[] calldata documentHashes
    ) external nonReentrant returns (uint256 presentationId) {
        return
            LetterOfCreditTransfers.forwardAsPresented(
                _book,
                _services(),
                lcId,
                transferredPresentationId,
                documentHashes
            );
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function assignProceeds(uint256 lcId, address assignee, uint16 shareBps) external {
        LetterOfCreditTransfers.assignProceeds(_book, _services(), lcId, assignee, shareBps);
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function getTransfer(uint256 lcId, uint256 transferId) external view returns (Transfer memory) {
        Transfer storage t = _book.transfers[lcId].transfers[transferId];
        if (t.state == TransferState.NONE) revert LetterOfCreditUnknownTransfer(lcId, transferId);
        return t;
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function getTransferredPresentation(
        uint256 lcId,
        uint256 transferredPresentationId
    ) external view returns (TransferredPresentation memory) {
        TransferredPresentation storage tp = _book.transfers[lcId].presentations[transferredPresentationId];
        if (tp.state == TransferredPresentationState.NONE) {
            revert LetterOfCreditUnknownTransferredPresentation(lcId, transferredPresentationId);
        }
        return tp;
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function proceedsAssignment(uint256 lcId) external view returns (ProceedsAssignment memory) {
        return _book.transfers[lcId].assignment;
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function transferredShare(uint256 lcId, uint256 presentationId) external view returns (TransferredShare memory) {
        return _book.transfers[lcId].shares[presentationId];
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function transferReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return LetterOfCreditDrawings.transferReference(lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCreditTransfers
    function assignmentReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return LetterOfCreditDrawings.assignmentReference(lcId, presentationId);
    }

    // ================================================================== views

    /// @inheritdoc ILetterOfCredit
    function getCredit(uint256 lcId) external view returns (Credit memory) {
        return _credit(lcId);
    }

    /// @inheritdoc ILetterOfCredit
    function getAmendment(uint256 lcId, uint256 amendmentId) external view returns (Amendment memory) {
        Amendment storage amendment = _book.amendments[lcId][amendmentId];
        if (amendment.state == AmendmentState.NONE) revert LetterOfCreditUnknownAmendment(lcId, amendmentId);
        return amendment;
    }

    /// @inheritdoc ILetterOfCredit
    function getPresentation(uint256 lcId, uint256 presentationId) external view returns (Presentation memory) {
        Presentation storage p = _book.presentations[lcId][presentationId];
        if (p.state == PresentationState.NONE) revert LetterOfCreditUnknownPresentation(lcId, presentationId);
        return p;
    }

    /// @inheritdoc ILetterOfCredit
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory) {
        ReimbursementClaim storage claim = _book.claims[claimId];
        if (claim.state == ClaimState.NONE) revert LetterOfCreditUnknownClaim(claimId);
        return claim;
    }

    /// @inheritdoc ILetterOfCredit
    function getInterbankClaim(uint256 lcId, uint256 presentationId) external view returns (InterbankClaim memory) {
        InterbankClaim storage claim = _book.interbank[lcId][presentationId];
        if (claim.state == InterbankClaimState.NONE) {
            revert LetterOfCreditInvalidInterbankClaimState(lcId, presentationId, claim.state, InterbankClaimState.OPEN);
        }
        return claim;
    }

    /// @inheritdoc ILetterOfCredit
    function getDeferredPayment(uint256 lcId, uint256 presentationId) external view returns (DeferredPayment memory) {
        DeferredPayment storage d = _book.deferred[lcId][presentationId];
        if (d.state == DeferredState.NONE) {
            revert LetterOfCreditInvalidDeferredState(lcId, presentationId, d.state, DeferredState.INCURRED);
        }
        return d;
    }

    /// @inheritdoc ILetterOfCredit
    function creditCount() external view returns (uint256) {
        return _book.creditCount;
    }

    /// @inheritdoc ILetterOfCredit
    function claimCount() external view returns (uint256) {
        return _book.claimCount;
    }

    /// @inheritdoc ILetterOfCredit
    function presentedRecord(uint256 lcId, uint256 presentationId) external view returns (uint256) {
        return _book.records[lcId][presentationId];
    }

    /// @notice The TransferableRecords whose records presentations carry.
    function transferableRecords() external view returns (ITransferableRecords) {
        return _records;
    }

    /// @notice The BankingCalendar deadlines and last days are counted on.
    function calendar() external view returns (IBankingCalendar) {
        return _calendar;
    }

    /// @inheritdoc ILetterOfCredit
    function maximumDrawable(uint256 lcId) external view returns (uint256) {
        return LetterOfCreditDrawings.maximumOf(_credit(lcId));
    }

    /// @inheritdoc ILetterOfCredit
    function availableAmount(uint256 lcId) external view returns (uint256) {
        Credit storage lc = _credit(lcId);
        return LetterOfCreditDrawings.maximumOf(lc) - lc.drawn - lc.reserved;
    }

    /// @inheritdoc ILetterOfCredit
    function lastPresentationDay(uint256 lcId) external view returns (uint64) {
        return LetterOfCreditDrawings.lastPresentationDay(_services(), _credit(lcId));
    }

    /// @inheritdoc ILetterOfCredit
    function paymentReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return LetterOfCreditDrawings.paymentReference(lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function interbankReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return LetterOfCreditDrawings.interbankReference(lcId, presentationId);
    }

    // ================================================================== internal: state machines

    /// @dev The one LC transition (shared with the drawings: {LetterOfCreditDrawings-transition}).
    function _transition(uint256 lcId, LcState to) private {
        LetterOfCreditDrawings.transition(_book, lcId, to);
    }

    /// @dev The one amendment transition: NONE -> ISSUED -> ACCEPTED | REJECTED.
    function _transitionAmendment(uint256 lcId, uint256 amendmentId, AmendmentState to) private {
        Amendment storage amendment = _book.amendments[lcId][amendmentId];
        AmendmentState from = amendment.state;
        bool ok = (from == AmendmentState.NONE && to == AmendmentState.ISSUED) ||
            (from == AmendmentState.ISSUED && (to == AmendmentState.ACCEPTED || to == AmendmentState.REJECTED));
        if (!ok) revert LetterOfCreditInvalidAmendmentState(lcId, amendmentId, from, to);
        amendment.state = to;
        if (to != AmendmentState.ISSUED) amendment.decidedAt = uint64(block.timestamp);
    }

    // ================================================================== internal: checks

    function _validateApplication(CreditTerms calldata terms) private view {
        if (terms.termsHash == bytes32(0)) revert LetterOfCreditEmptyTermsHash();
        if (!CurrencyCode.isValid(terms.currency)) revert LetterOfCreditInvalidCurrency(terms.currency);
        _validateEconomics(terms.amount, terms.tolerancePlusBps, terms.toleranceMinusBps);
        _validateDates(terms.expiry, terms.latestShipment, terms.presentationPeriodDays);
        _validateTenor(terms.availability, terms.tenorDays, terms.tenorBasis);
        if (terms.beneficiary == msg.sender) revert LetterOfCreditInvalidParty(Party.BENEFICIARY, terms.beneficiary);
        _requireMember(terms.beneficiary, IMembership.MemberKind.TRADER);
        _requireMember(terms.issuingBank, IMembership.MemberKind.BANK);
        _requireMember(terms.advisingBank, IMembership.MemberKind.BANK);
        _requireMember(terms.availableWithBank, IMembership.MemberKind.BANK);
        if (terms.confirmingBank != address(0)) {
            if (terms.confirmingBank == terms.issuingBank) {
                revert LetterOfCreditInvalidParty(Party.CONFIRMING_BANK, terms.confirmingBank);
            }
            _requireMember(terms.confirmingBank, IMembership.MemberKind.BANK);
        }
    }

    function _validateEconomics(uint256 amount, uint16 plusBps, uint16 minusBps) private pure {
        if (amount == 0) revert LetterOfCreditInvalidAmount(amount);
        uint256 bps = LetterOfCreditDrawings.BPS;
        if (plusBps > bps || minusBps > bps) revert LetterOfCreditInvalidTolerance(plusBps, minusBps);
    }

    function _validateDates(uint64 expiry, uint64 latestShipment, uint16 presentationPeriodDays) private view {
        if (expiry <= block.timestamp) revert LetterOfCreditInvalidExpiry(expiry, uint64(block.timestamp));
        if (latestShipment > expiry) revert LetterOfCreditInvalidLatestShipment(latestShipment, expiry);
        if (presentationPeriodDays > MAX_PRESENTATION_PERIOD_DAYS) {
            revert LetterOfCreditInvalidPresentationPeriod(presentationPeriodDays, MAX_PRESENTATION_PERIOD_DAYS);
        }
    }

    /// @dev Art 6b: a deferred payment or acceptance credit states its tenor, sight payment takes none, negotiation
    /// either (sight or usance drafts).
    function _validateTenor(Availability availability, uint16 tenorDays, TenorBasis basis) private pure {
        bool ok = tenorDays != 0
            ? tenorDays <= MAX_TENOR_DAYS && availability != Availability.SIGHT_PAYMENT
            : !LetterOfCreditDrawings.isDeferred(availability) && basis == TenorBasis.PRESENTATION;
        if (!ok) revert LetterOfCreditInvalidTenor(availability, tenorDays, MAX_TENOR_DAYS);
    }

    /// @dev Validates the terms the credit would have with `changes` applied, without applying them.
    function _checkAmended(uint256 lcId, Credit storage lc, AmendmentTerms memory changes) private view {
        uint8 fields = changes.fields;
        CreditTerms storage t = lc.terms;
        uint256 amount = fields & AMEND_AMOUNT != 0 ? changes.amount : t.amount;
        uint16 plusBps = t.tolerancePlusBps;
        uint16 minusBps = t.toleranceMinusBps;
        if (fields & AMEND_TOLERANCE != 0) (plusBps, minusBps) = (changes.tolerancePlusBps, changes.toleranceMinusBps);
        _validateEconomics(amount, plusBps, minusBps);
        _validateDates(
            fields & AMEND_EXPIRY != 0 ? changes.expiry : t.expiry,
            fields & AMEND_LATEST_SHIPMENT != 0 ? changes.latestShipment : t.latestShipment,
            fields & AMEND_PRESENTATION_PERIOD != 0 ? changes.presentationPeriodDays : t.presentationPeriodDays
        );
        uint256 newMaximum = LetterOfCreditDrawings.maximum(amount, plusBps);
        uint256 utilised = lc.drawn + lc.reserved;
        if (newMaximum < utilised) revert LetterOfCreditAmendmentBelowUtilisation(lcId, newMaximum, utilised);
    }

    /// @dev Writes the flagged fields of `changes` into the credit's terms (Art 10: only on acceptance).
    function _acceptAmendment(uint256 lcId, Credit storage lc, uint256 amendmentId, Amendment storage amendment)
        private
    {
        AmendmentTerms memory changes = amendment.changes;
        _checkAmended(lcId, lc, changes);
        _applyAmendment(lc.terms, changes);
        _transitionAmendment(lcId, amendmentId, AmendmentState.ACCEPTED);
        emit AmendmentAccepted(lcId, amendmentId, msg.sender);
    }

    function _applyAmendment(CreditTerms storage t, AmendmentTerms memory changes) private {
        uint8 fields = changes.fields;
        if (fields & AMEND_AMOUNT != 0) t.amount = changes.amount;
        if (fields & AMEND_EXPIRY != 0) t.expiry = changes.expiry;
        if (fields & AMEND_LATEST_SHIPMENT != 0) t.latestShipment = changes.latestShipment;
        if (fields & AMEND_TOLERANCE != 0) {
            t.tolerancePlusBps = changes.tolerancePlusBps;
            t.toleranceMinusBps = changes.toleranceMinusBps;
        }
        if (fields & AMEND_PRESENTATION_PERIOD != 0) {
            t.presentationPeriodDays = changes.presentationPeriodDays == 0
                ? DEFAULT_PRESENTATION_PERIOD_DAYS
                : changes.presentationPeriodDays;
        }
        if (fields & AMEND_PARTIAL_DRAWINGS != 0) t.partialDrawingsAllowed = changes.partialDrawingsAllowed;
    }

    /// @dev The contracts a credit works with, for the drawings library and the shared checks.
    function _services() private view returns (LetterOfCreditDrawings.Services memory) {
        return LetterOfCreditDrawings.Services(_membership, _settlement, _documents, _calendar, _records);
    }

    function _requireMember(address account, IMembership.MemberKind kind) private view {
        LetterOfCreditDrawings.requireMember(_services(), account, kind);
    }

    function _requireParty(uint256 lcId, address expected, Party party, IMembership.MemberKind kind) private view {
        LetterOfCreditDrawings.requireParty(_services(), lcId, expected, party, kind);
    }

    function _requireAnyParty(uint256 lcId, Credit storage lc) private view {
        address caller = msg.sender;
        if (caller == lc.applicant || caller == lc.terms.beneficiary) {
            _requireMember(caller, IMembership.MemberKind.TRADER);
        } else if (
            caller == lc.terms.issuingBank ||
            caller == lc.terms.advisingBank ||
            caller == lc.terms.availableWithBank ||
            (caller == lc.terms.confirmingBank && caller != address(0))
        ) {
            _requireMember(caller, IMembership.MemberKind.BANK);
        } else {
            revert LetterOfCreditNotAParty(lcId, caller);
        }
    }

    function _requireState(uint256 lcId, Credit storage lc, LcState expected) private view {
        if (lc.state != expected) revert LetterOfCreditInvalidState(lcId, lc.state, expected);
    }

    function _requireOperative(uint256 lcId, Credit storage lc) private view {
        LetterOfCreditDrawings.requireOperative(lcId, lc);
    }

    function _pendingAmendment(uint256 lcId, Credit storage lc, uint256 amendmentId)
        private
        view
        returns (Amendment storage amendment)
    {
        _requireParty(lcId, lc.terms.beneficiary, Party.BENEFICIARY, IMembership.MemberKind.TRADER);
        _requireOperative(lcId, lc);
        amendment = _issuedAmendment(lcId, amendmentId);
    }

    function _issuedAmendment(uint256 lcId, uint256 amendmentId) private view returns (Amendment storage amendment) {
        amendment = _book.amendments[lcId][amendmentId];
        if (amendment.state == AmendmentState.NONE) revert LetterOfCreditUnknownAmendment(lcId, amendmentId);
        if (amendment.state != AmendmentState.ISSUED) {
            revert LetterOfCreditInvalidAmendmentState(lcId, amendmentId, amendment.state, AmendmentState.ISSUED);
        }
    }

    function _credit(uint256 lcId) private view returns (Credit storage lc) {
        return LetterOfCreditDrawings.credit(_book, lcId);
    }
}
