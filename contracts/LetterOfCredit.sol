// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ILetterOfCredit} from "./interfaces/ILetterOfCredit.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/**
 * @title LetterOfCredit
 * @notice Documentary credits under UCP 600; see {ILetterOfCredit} for the state machines and the rules.
 * @dev Authorization has two layers, as in TradeOrders: consortium membership (IMembership.isActiveMember,
 * checked on every call, so a suspension takes effect on the next call) and the caller's role in the credit
 * (object level). The contract has no admin: nothing about a credit can be changed but by its parties.
 * Honour and reimbursement move money through Settlement, which must have granted this contract SETTLER_ROLE;
 * presentations register their documents in the DocumentRegistry, which must have granted PRESENTER_ROLE.
 *
 * Dates: `day = timestamp / 86400` (UTC). Banking days, the Art 29a roll-forward and the Art 14b deadline come
 * from the BankingCalendar.
 */
contract LetterOfCredit is ILetterOfCredit, ReentrancyGuard {
    /// @notice Most document hashes in one presentation.
    uint256 internal constant MAX_DOCUMENTS = 32;
    /// @notice Most discrepancy codes in one refusal notice.
    uint256 internal constant MAX_DISCREPANCIES = 32;
    /// @notice Presentation period when the credit states none (Art 14c).
    uint16 internal constant DEFAULT_PRESENTATION_PERIOD_DAYS = 21;
    /// @notice Longest presentation period a credit may state.
    uint16 internal constant MAX_PRESENTATION_PERIOD_DAYS = 366;
    /// @notice 100 % in basis points.
    uint256 internal constant BPS = 10_000;
    /// @notice The shortfall Art 30c allows when partial drawings are prohibited and no tolerance is stated.
    uint256 internal constant ART_30C_ALLOWANCE_BPS = 500;

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

    uint8 private constant _CONSENT_ISSUER = 1;
    uint8 private constant _CONSENT_CONFIRMER = 2;
    uint8 private constant _CONSENT_BENEFICIARY = 4;

    uint64 private constant _DAY = 86_400;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    IDocumentRegistry private immutable _documents;
    IBankingCalendar private immutable _calendar;

    uint256 private _creditCount;
    uint256 private _claimCount;
    mapping(uint256 lcId => Credit) private _credits;
    mapping(uint256 lcId => mapping(uint256 amendmentId => Amendment)) private _amendments;
    mapping(uint256 lcId => mapping(uint256 presentationId => Presentation)) private _presentations;
    mapping(uint256 claimId => ReimbursementClaim) private _claims;
    mapping(uint256 lcId => mapping(uint256 presentationId => InterbankClaim)) private _interbank;
    mapping(uint256 lcId => bool) private _confirmed;

    /**
     * @param membership_ The consortium registry.
     * @param settlement_ The cash ledger (must grant this contract SETTLER_ROLE).
     * @param documents_ The document registry (must grant this contract PRESENTER_ROLE).
     * @param calendar_ The banks' banking days.
     */
    constructor(
        IMembership membership_,
        ISettlement settlement_,
        IDocumentRegistry documents_,
        IBankingCalendar calendar_
    ) {
        _membership = membership_;
        _settlement = settlement_;
        _documents = documents_;
        _calendar = calendar_;
    }

    // ================================================================== credit life cycle

    /// @inheritdoc ILetterOfCredit
    function applyForCredit(CreditTerms calldata terms) external returns (uint256 lcId) {
        _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        _validateApplication(terms);
        lcId = ++_creditCount;
        Credit storage lc = _credits[lcId];
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
        _confirmed[lcId] = true;
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
        uint64 lastDay = _lastPresentationDay(lc);
        uint64 today = _today();
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
        Amendment storage amendment = _amendments[lcId][amendmentId];
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
        if (!_confirmed[lcId]) revert LetterOfCreditInvalidState(lcId, lc.state, LcState.CONFIRMED);
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
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.beneficiary, Party.BENEFICIARY, IMembership.MemberKind.TRADER);
        _requireOperative(lcId, lc);
        return _present(lcId, lc, documentHashes, amount, shipmentDate);
    }

    /// @inheritdoc ILetterOfCredit
    function presentUnderAmendment(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external nonReentrant returns (uint256 presentationId) {
        Credit storage lc = _credit(lcId);
        Amendment storage amendment = _pendingAmendment(lcId, lc, amendmentId);
        // Art 10c: the presentation complies with the credit as it stands ...
        _checkPresentationDates(lcId, lc, shipmentDate);
        _checkDrawing(lcId, lc, amount);
        // ... is the beneficiary's acceptance, which amends the credit at this moment ...
        _acceptAmendment(lcId, lc, amendmentId, amendment);
        // ... and complies with the amended credit (checked again by _present).
        return _present(lcId, lc, documentHashes, amount, shipmentDate);
    }

    function _present(
        uint256 lcId,
        Credit storage lc,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) private returns (uint256 presentationId) {
        _requireHashes(documentHashes, MAX_DOCUMENTS, true);
        uint64 presentationDay = _checkPresentationDates(lcId, lc, shipmentDate);
        _checkDrawing(lcId, lc, amount);

        lc.reserved += amount;
        ++lc.openPresentationCount;
        presentationId = ++lc.presentationCount;
        Presentation storage p = _presentations[lcId][presentationId];
        p.amount = amount;
        p.shipmentDate = shipmentDate;
        p.presentedAt = uint64(block.timestamp);
        p.presentationDay = presentationDay;
        p.deadline = _calendar.examinationDeadline(lc.terms.issuingBank, presentationDay);
        p.documentCount = uint16(documentHashes.length);
        p.documentsHash = keccak256(abi.encodePacked(documentHashes));
        _transitionPresentation(lcId, presentationId, PresentationState.PRESENTED);

        uint256 reused = _documents.recordPresentation(bytes32(lcId), documentHashes);
        _emitPresented(lcId, presentationId, p, documentHashes, reused);
    }

    function _emitPresented(
        uint256 lcId,
        uint256 presentationId,
        Presentation storage p,
        bytes32[] calldata documentHashes,
        uint256 reused
    ) private {
        emit DocumentsPresented(
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

    /// @inheritdoc ILetterOfCredit
    function refuse(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies, Disposition disposition)
        external
    {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        Presentation storage p = _presentationIn(lcId, presentationId, PresentationState.PRESENTED);
        if (block.timestamp > p.deadline) {
            revert LetterOfCreditPrecluded(lcId, presentationId, p.deadline, uint64(block.timestamp));
        }
        _requireHashes(discrepancies, MAX_DISCREPANCIES, false);
        if (disposition == Disposition.NONE) revert LetterOfCreditInvalidDisposition(disposition);

        p.disposition = disposition;
        p.discrepancyCount = uint16(discrepancies.length);
        p.discrepanciesHash = keccak256(abi.encodePacked(discrepancies));
        _transitionPresentation(lcId, presentationId, PresentationState.REFUSED);
        emit PresentationRefused(lcId, presentationId, msg.sender, discrepancies, disposition);
    }

    /// @inheritdoc ILetterOfCredit
    function waiveDiscrepancies(uint256 lcId, uint256 presentationId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.applicant, Party.APPLICANT, IMembership.MemberKind.TRADER);
        Presentation storage p = _presentationIn(lcId, presentationId, PresentationState.REFUSED);
        Disposition disposition = p.disposition;
        if (disposition != Disposition.HOLD_PENDING_WAIVER && disposition != Disposition.HOLD_PENDING_INSTRUCTIONS) {
            revert LetterOfCreditWaiverNotPossible(lcId, presentationId, p.disposition);
        }
        _transitionPresentation(lcId, presentationId, PresentationState.WAIVED);
        emit DiscrepanciesWaived(lcId, presentationId, msg.sender);
    }

    /// @inheritdoc ILetterOfCredit
    function honour(uint256 lcId, uint256 presentationId) external nonReentrant {
        Credit storage lc = _credit(lcId);
        address issuingBank = lc.terms.issuingBank;
        address caller = msg.sender;
        bool nominated = caller != issuingBank &&
            (caller == lc.terms.availableWithBank || (caller == lc.terms.confirmingBank && _confirmed[lcId]));
        _requireParty(lcId, nominated ? caller : issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        Presentation storage p = _presentation(lcId, presentationId);
        if (p.state != PresentationState.PRESENTED && p.state != PresentationState.WAIVED) {
            revert LetterOfCreditInvalidPresentationState(lcId, presentationId, p.state, PresentationState.PRESENTED);
        }
        _honour(lcId, lc, presentationId, p, false, caller);
    }

    /// @inheritdoc ILetterOfCredit
    function enforcePreclusion(uint256 lcId, uint256 presentationId) external nonReentrant {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.beneficiary, Party.BENEFICIARY, IMembership.MemberKind.TRADER);
        Presentation storage p = _presentationIn(lcId, presentationId, PresentationState.PRESENTED);
        if (block.timestamp <= p.deadline) {
            revert LetterOfCreditDeadlineNotPassed(lcId, presentationId, p.deadline, uint64(block.timestamp));
        }
        _honour(lcId, lc, presentationId, p, true, lc.terms.issuingBank);
    }

    /// @inheritdoc ILetterOfCredit
    function returnDocuments(uint256 lcId, uint256 presentationId) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        Presentation storage p = _presentation(lcId, presentationId);
        if (p.state != PresentationState.REFUSED && p.state != PresentationState.WAIVED) {
            revert LetterOfCreditInvalidPresentationState(lcId, presentationId, p.state, PresentationState.REFUSED);
        }
        lc.reserved -= p.amount;
        --lc.openPresentationCount;
        _transitionPresentation(lcId, presentationId, PresentationState.RETURNED);
        emit DocumentsReturned(lcId, presentationId, msg.sender);
    }

    // ================================================================== reimbursement (Art 7)

    /// @inheritdoc ILetterOfCredit
    function settleReimbursementClaim(uint256 claimId) external nonReentrant {
        ReimbursementClaim storage claim = _claims[claimId];
        if (claim.state == ClaimState.NONE) revert LetterOfCreditUnknownClaim(claimId);
        if (msg.sender != claim.applicant) revert LetterOfCreditNotClaimDebtor(claimId, msg.sender);
        _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        if (claim.state != ClaimState.OPEN) {
            revert LetterOfCreditInvalidClaimState(claimId, claim.state, ClaimState.OPEN);
        }
        _transitionClaim(claimId, ClaimState.SETTLED);
        uint256 entryId = _settlement.settleLeg(
            claim.applicant,
            claim.issuingBank,
            claim.currency,
            claim.amount,
            ISettlement.PostingKind.LC_REIMBURSEMENT,
            _paymentReference(claim.lcId, claim.presentationId)
        );
        emit ReimbursementClaimSettled(claimId, claim.lcId, claim.applicant, claim.issuingBank, claim.amount, entryId);
    }

    /// @inheritdoc ILetterOfCredit
    function reimburseNominatedBank(uint256 lcId, uint256 presentationId) external nonReentrant {
        _credit(lcId);
        InterbankClaim storage claim = _openInterbankClaim(lcId, presentationId);
        bool precluded = msg.sender == claim.nominatedBank;
        if (precluded) {
            // Art 16f: the issuing bank neither reimbursed nor refused in time; the nominated bank collects.
            _requireMember(msg.sender, IMembership.MemberKind.BANK);
            if (block.timestamp <= claim.deadline) {
                revert LetterOfCreditDeadlineNotPassed(lcId, presentationId, claim.deadline, uint64(block.timestamp));
            }
        } else {
            _requireParty(lcId, claim.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        }
        _transitionInterbank(lcId, presentationId, InterbankClaimState.REIMBURSED);
        uint256 amount = claim.amount;
        uint256 entryId = _settlement.settleLeg(
            claim.issuingBank,
            claim.nominatedBank,
            claim.currency,
            amount,
            ISettlement.PostingKind.LC_REIMBURSEMENT,
            _interbankReference(lcId, presentationId)
        );
        claim.entryId = entryId;
        emit NominatedBankReimbursed(
            lcId,
            presentationId,
            claim.nominatedBank,
            claim.issuingBank,
            amount,
            entryId,
            precluded
        );
        _reimburse(lcId, presentationId, _presentations[lcId][presentationId]);
    }

    /// @inheritdoc ILetterOfCredit
    function refuseReimbursement(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies) external {
        Credit storage lc = _credit(lcId);
        _requireParty(lcId, lc.terms.issuingBank, Party.ISSUING_BANK, IMembership.MemberKind.BANK);
        InterbankClaim storage claim = _openInterbankClaim(lcId, presentationId);
        if (block.timestamp > claim.deadline) {
            revert LetterOfCreditPrecluded(lcId, presentationId, claim.deadline, uint64(block.timestamp));
        }
        _requireHashes(discrepancies, MAX_DISCREPANCIES, false);
        _transitionInterbank(lcId, presentationId, InterbankClaimState.REFUSED);
        emit InterbankReimbursementRefused(lcId, presentationId, msg.sender, discrepancies);
    }

    // ================================================================== views

    /// @inheritdoc ILetterOfCredit
    function getCredit(uint256 lcId) external view returns (Credit memory) {
        return _credit(lcId);
    }

    /// @inheritdoc ILetterOfCredit
    function getAmendment(uint256 lcId, uint256 amendmentId) external view returns (Amendment memory) {
        Amendment storage amendment = _amendments[lcId][amendmentId];
        if (amendment.state == AmendmentState.NONE) revert LetterOfCreditUnknownAmendment(lcId, amendmentId);
        return amendment;
    }

    /// @inheritdoc ILetterOfCredit
    function getPresentation(uint256 lcId, uint256 presentationId) external view returns (Presentation memory) {
        return _presentation(lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory) {
        ReimbursementClaim storage claim = _claims[claimId];
        if (claim.state == ClaimState.NONE) revert LetterOfCreditUnknownClaim(claimId);
        return claim;
    }

    /// @inheritdoc ILetterOfCredit
    function getInterbankClaim(uint256 lcId, uint256 presentationId) external view returns (InterbankClaim memory) {
        InterbankClaim storage claim = _interbank[lcId][presentationId];
        if (claim.state == InterbankClaimState.NONE) {
            revert LetterOfCreditInvalidInterbankClaimState(lcId, presentationId, claim.state, InterbankClaimState.OPEN);
        }
        return claim;
    }

    /// @inheritdoc ILetterOfCredit
    function creditCount() external view returns (uint256) {
        return _creditCount;
    }

    /// @inheritdoc ILetterOfCredit
    function claimCount() external view returns (uint256) {
        return _claimCount;
    }

    /// @notice The BankingCalendar deadlines and last days are counted on.
    function calendar() external view returns (IBankingCalendar) {
        return _calendar;
    }

    /// @inheritdoc ILetterOfCredit
    function maximumDrawable(uint256 lcId) external view returns (uint256) {
        return _maximumOf(_credit(lcId));
    }

    /// @inheritdoc ILetterOfCredit
    function availableAmount(uint256 lcId) external view returns (uint256) {
        Credit storage lc = _credit(lcId);
        return _maximumOf(lc) - lc.drawn - lc.reserved;
    }

    /// @inheritdoc ILetterOfCredit
    function lastPresentationDay(uint256 lcId) external view returns (uint64) {
        return _lastPresentationDay(_credit(lcId));
    }

    /// @inheritdoc ILetterOfCredit
    function paymentReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return _paymentReference(lcId, presentationId);
    }

    /// @inheritdoc ILetterOfCredit
    function interbankReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32) {
        return _interbankReference(lcId, presentationId);
    }

    // ================================================================== internal: honour and settlement

    function _honour(
        uint256 lcId,
        Credit storage lc,
        uint256 presentationId,
        Presentation storage p,
        bool precluded,
        address payer
    ) private {
        // No LC state check: only operative, FULLY_DRAWN and EXPIRED credits can hold open presentations
        // (cancel and close require none), and an open presentation must stay honourable (Art 15, 16f).
        uint256 amount = p.amount;
        address issuingBank = lc.terms.issuingBank;
        bytes3 currency = lc.terms.currency;

        // Effects first: the drawing moves from reserved to drawn and the presentation is final.
        lc.reserved -= amount;
        lc.drawn += amount;
        --lc.openPresentationCount;
        ++lc.honouredCount;
        p.precluded = precluded;
        _transitionPresentation(lcId, presentationId, PresentationState.HONOURED);
        bool fullyDrawn = _isOperative(lc.state) &&
            (lc.drawn >= _maximumOf(lc) || !lc.terms.partialDrawingsAllowed);
        if (fullyDrawn) {
            _transition(lcId, LcState.FULLY_DRAWN);
            emit LetterOfCreditFullyDrawn(lcId, lc.drawn);
        }

        if (payer != issuingBank) _openInterbankClaim(lcId, presentationId, payer, issuingBank, currency, amount);

        // Art 7a / 8a / 12a: the honouring bank pays; if this leg fails the whole honour reverts.
        _payBeneficiary(lcId, presentationId, payer, lc.terms.beneficiary, currency, amount, precluded);

        if (payer != issuingBank) {
            _emitForwarded(lcId, presentationId);
        } else {
            // Art 7: the applicant's reimbursement never blocks the honour.
            _reimburse(lcId, presentationId, p);
        }
    }

    function _payBeneficiary(
        uint256 lcId,
        uint256 presentationId,
        address payer,
        address beneficiary,
        bytes3 currency,
        uint256 amount,
        bool precluded
    ) private {
        uint256 entryId = _settlement.settleLeg(
            payer,
            beneficiary,
            currency,
            amount,
            ISettlement.PostingKind.LC_HONOUR,
            _paymentReference(lcId, presentationId)
        );
        emit PresentationHonoured(lcId, presentationId, beneficiary, amount, entryId, precluded);
    }

    /// @dev Art 7c, 15c: the nominated bank pays and forwards; the issuing bank owes it reimbursement, which it may
    /// refuse only within its own examination (Art 14b, 16d), counted from today.
    function _openInterbankClaim(
        uint256 lcId,
        uint256 presentationId,
        address nominatedBank,
        address issuingBank,
        bytes3 currency,
        uint256 amount
    ) private {
        InterbankClaim storage claim = _interbank[lcId][presentationId];
        claim.nominatedBank = nominatedBank;
        claim.issuingBank = issuingBank;
        claim.currency = currency;
        claim.amount = amount;
        claim.deadline = _calendar.examinationDeadline(issuingBank, _today());
        _transitionInterbank(lcId, presentationId, InterbankClaimState.OPEN);
    }

    function _emitForwarded(uint256 lcId, uint256 presentationId) private {
        InterbankClaim storage claim = _interbank[lcId][presentationId];
        emit DocumentsForwarded(
            lcId,
            presentationId,
            claim.nominatedBank,
            claim.issuingBank,
            claim.amount,
            claim.deadline
        );
    }

    function _reimburse(uint256 lcId, uint256 presentationId, Presentation storage p) private {
        Credit storage lc = _credits[lcId];
        address issuingBank = lc.terms.issuingBank;
        address applicant = lc.applicant;
        bytes3 currency = lc.terms.currency;
        uint256 amount = p.amount;
        bytes32 ref = _paymentReference(lcId, presentationId);
        if (_settlement.balanceOf(applicant, currency) >= amount) {
            try
                _settlement.settleLeg(
                    applicant,
                    issuingBank,
                    currency,
                    amount,
                    ISettlement.PostingKind.LC_REIMBURSEMENT,
                    ref
                )
            returns (uint256 entryId) {
                emit ReimbursementSettled(lcId, presentationId, applicant, issuingBank, amount, entryId);
                return;
            } catch {
                // fall through: the applicant's account could not be debited, so the bank holds a claim
            }
        }
        uint256 claimId = ++_claimCount;
        ReimbursementClaim storage claim = _claims[claimId];
        claim.lcId = lcId;
        claim.presentationId = presentationId;
        claim.issuingBank = issuingBank;
        claim.applicant = applicant;
        claim.currency = currency;
        claim.amount = amount;
        p.claimId = claimId;
        _transitionClaim(claimId, ClaimState.OPEN);
        emit ReimbursementClaimOpened(claimId, lcId, applicant, presentationId, issuingBank, currency, amount);
    }

    // ================================================================== internal: state machines

    /// @dev The one LC transition: checks the edge against the graph, then records and announces it.
    function _transition(uint256 lcId, LcState to) private {
        Credit storage lc = _credits[lcId];
        LcState from = lc.state;
        if (!_isEdge(from, to)) revert LetterOfCreditInvalidTransition(lcId, from, to);
        lc.state = to;
        emit LetterOfCreditStateChanged(lcId, from, to);
    }

    function _isEdge(LcState from, LcState to) private pure returns (bool) {
        if (from == LcState.NONE) return to == LcState.APPLIED;
        if (from == LcState.APPLIED) {
            return to == LcState.ISSUED || to == LcState.DECLINED || to == LcState.WITHDRAWN;
        }
        if (_isOperative(from)) {
            if (to == LcState.FULLY_DRAWN || to == LcState.EXPIRED || to == LcState.CANCELLED) return true;
            if (from == LcState.ISSUED) return to == LcState.ADVISED;
            if (from == LcState.ADVISED) return to == LcState.CONFIRMED;
            return false;
        }
        if (from == LcState.FULLY_DRAWN || from == LcState.EXPIRED) return to == LcState.CLOSED;
        return false; // CANCELLED, DECLINED, WITHDRAWN, CLOSED are terminal
    }

    /// @dev The one amendment transition: NONE -> ISSUED -> ACCEPTED | REJECTED.
    function _transitionAmendment(uint256 lcId, uint256 amendmentId, AmendmentState to) private {
        Amendment storage amendment = _amendments[lcId][amendmentId];
        AmendmentState from = amendment.state;
        bool ok = (from == AmendmentState.NONE && to == AmendmentState.ISSUED) ||
            (from == AmendmentState.ISSUED && (to == AmendmentState.ACCEPTED || to == AmendmentState.REJECTED));
        if (!ok) revert LetterOfCreditInvalidAmendmentState(lcId, amendmentId, from, to);
        amendment.state = to;
        if (to != AmendmentState.ISSUED) amendment.decidedAt = uint64(block.timestamp);
    }

    /// @dev The one presentation transition (see the graph in {ILetterOfCredit}).
    function _transitionPresentation(uint256 lcId, uint256 presentationId, PresentationState to) private {
        Presentation storage p = _presentations[lcId][presentationId];
        PresentationState from = p.state;
        bool ok = false;
        if (from == PresentationState.NONE) ok = to == PresentationState.PRESENTED;
        else if (from == PresentationState.PRESENTED) {
            ok = to == PresentationState.HONOURED || to == PresentationState.REFUSED;
        } else if (from == PresentationState.REFUSED) {
            ok = to == PresentationState.WAIVED || to == PresentationState.RETURNED;
        } else if (from == PresentationState.WAIVED) {
            ok = to == PresentationState.HONOURED || to == PresentationState.RETURNED;
        }
        if (!ok) revert LetterOfCreditInvalidPresentationState(lcId, presentationId, from, to);
        p.state = to;
    }

    /// @dev The one claim transition: NONE -> OPEN -> SETTLED.
    function _transitionClaim(uint256 claimId, ClaimState to) private {
        ReimbursementClaim storage claim = _claims[claimId];
        ClaimState from = claim.state;
        bool ok = (from == ClaimState.NONE && to == ClaimState.OPEN) ||
            (from == ClaimState.OPEN && to == ClaimState.SETTLED);
        if (!ok) revert LetterOfCreditInvalidClaimState(claimId, from, to);
        claim.state = to;
    }

    /// @dev The one interbank-claim transition: NONE -> OPEN -> REIMBURSED | REFUSED.
    function _transitionInterbank(uint256 lcId, uint256 presentationId, InterbankClaimState to) private {
        InterbankClaim storage claim = _interbank[lcId][presentationId];
        InterbankClaimState from = claim.state;
        bool ok = (from == InterbankClaimState.NONE && to == InterbankClaimState.OPEN) ||
            (from == InterbankClaimState.OPEN &&
                (to == InterbankClaimState.REIMBURSED || to == InterbankClaimState.REFUSED));
        if (!ok) revert LetterOfCreditInvalidInterbankClaimState(lcId, presentationId, from, to);
        claim.state = to;
    }

    // ================================================================== internal: checks

    function _validateApplication(CreditTerms calldata terms) private view {
        if (terms.termsHash == bytes32(0)) revert LetterOfCreditEmptyTermsHash();
        if (!CurrencyCode.isValid(terms.currency)) revert LetterOfCreditInvalidCurrency(terms.currency);
        _validateEconomics(terms.amount, terms.tolerancePlusBps, terms.toleranceMinusBps);
        _validateDates(terms.expiry, terms.latestShipment, terms.presentationPeriodDays);
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
        if (plusBps > BPS || minusBps > BPS) revert LetterOfCreditInvalidTolerance(plusBps, minusBps);
    }

    function _validateDates(uint64 expiry, uint64 latestShipment, uint16 presentationPeriodDays) private view {
        if (expiry <= block.timestamp) revert LetterOfCreditInvalidExpiry(expiry, uint64(block.timestamp));
        if (latestShipment > expiry) revert LetterOfCreditInvalidLatestShipment(latestShipment, expiry);
        if (presentationPeriodDays > MAX_PRESENTATION_PERIOD_DAYS) {
            revert LetterOfCreditInvalidPresentationPeriod(presentationPeriodDays, MAX_PRESENTATION_PERIOD_DAYS);
        }
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
        uint256 newMaximum = _maximum(amount, plusBps);
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

    function _checkPresentationDates(uint256 lcId, Credit storage lc, uint64 shipmentDate)
        private
        view
        returns (uint64 presentationDay)
    {
        uint64 today = _today();
        if (shipmentDate > block.timestamp) {
            revert LetterOfCreditShipmentDateInFuture(lcId, shipmentDate, uint64(block.timestamp));
        }
        uint64 lastDay = _lastPresentationDay(lc);
        if (today > lastDay) revert LetterOfCreditPresentationAfterExpiry(lcId, today, lastDay);
        uint64 periodEnd = _calendar.nextBankingDay(
            lc.terms.issuingBank,
            shipmentDate / _DAY + uint64(lc.terms.presentationPeriodDays)
        );
        if (today > periodEnd) revert LetterOfCreditPresentationPeriodElapsed(lcId, shipmentDate, today, periodEnd);
        // Art 33: a presentation on a day the bank is closed counts from the next banking day.
        presentationDay = _calendar.nextBankingDay(lc.terms.issuingBank, today);
    }

    function _checkDrawing(uint256 lcId, Credit storage lc, uint256 amount) private view {
        if (amount == 0) revert LetterOfCreditInvalidAmount(amount);
        if (!lc.terms.partialDrawingsAllowed) {
            uint256 shortfallBps = lc.terms.toleranceMinusBps;
            // Art 30c: with no tolerance stated (nor "about", Art 30a, which the terms state as 10 %), 5 % less.
            if (shortfallBps == 0 && lc.terms.tolerancePlusBps == 0) shortfallBps = ART_30C_ALLOWANCE_BPS;
            uint256 minimum = (lc.terms.amount * (BPS - shortfallBps)) / BPS;
            if (lc.drawn != 0 || lc.openPresentationCount != 0 || amount < minimum) {
                revert LetterOfCreditPartialDrawingProhibited(lcId, amount, minimum);
            }
        }
        uint256 available = _maximumOf(lc) - lc.drawn - lc.reserved;
        if (amount > available) revert LetterOfCreditDrawingExceedsAvailable(lcId, amount, available);
    }

    function _requireHashes(bytes32[] calldata hashes, uint256 maximum, bool documents) private pure {
        uint256 count = hashes.length;
        if (count == 0 || count > maximum) {
            if (documents) revert LetterOfCreditInvalidDocumentCount(count, maximum);
            revert LetterOfCreditInvalidDiscrepancyCount(count, maximum);
        }
        for (uint256 i = 0; i < count; ++i) {
            if (hashes[i] == bytes32(0)) revert LetterOfCreditZeroHash(i);
        }
    }

    function _requireMember(address account, IMembership.MemberKind kind) private view {
        if (!_membership.isActiveMember(account, kind)) revert LetterOfCreditNotActiveMember(account, uint8(kind));
    }

    function _requireParty(uint256 lcId, address expected, Party party, IMembership.MemberKind kind) private view {
        if (msg.sender != expected) revert LetterOfCreditUnauthorizedParty(lcId, msg.sender, party);
        _requireMember(msg.sender, kind);
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
        if (!_isOperative(lc.state)) revert LetterOfCreditNotOperative(lcId, lc.state);
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
        amendment = _amendments[lcId][amendmentId];
        if (amendment.state == AmendmentState.NONE) revert LetterOfCreditUnknownAmendment(lcId, amendmentId);
        if (amendment.state != AmendmentState.ISSUED) {
            revert LetterOfCreditInvalidAmendmentState(lcId, amendmentId, amendment.state, AmendmentState.ISSUED);
        }
    }

    function _openInterbankClaim(uint256 lcId, uint256 presentationId) private view returns (InterbankClaim storage c) {
        c = _interbank[lcId][presentationId];
        if (c.state != InterbankClaimState.OPEN) {
            revert LetterOfCreditInvalidInterbankClaimState(lcId, presentationId, c.state, InterbankClaimState.OPEN);
        }
    }

    function _credit(uint256 lcId) private view returns (Credit storage lc) {
        lc = _credits[lcId];
        if (lc.state == LcState.NONE) revert LetterOfCreditUnknown(lcId);
    }

    function _presentation(uint256 lcId, uint256 presentationId) private view returns (Presentation storage p) {
        p = _presentations[lcId][presentationId];
        if (p.state == PresentationState.NONE) revert LetterOfCreditUnknownPresentation(lcId, presentationId);
    }

    function _presentationIn(uint256 lcId, uint256 presentationId, PresentationState expected)
        private
        view
        returns (Presentation storage p)
    {
        p = _presentation(lcId, presentationId);
        if (p.state != expected) {
            revert LetterOfCreditInvalidPresentationState(lcId, presentationId, p.state, expected);
        }
    }

    // ================================================================== internal: dates and amounts

    function _isOperative(LcState state) private pure returns (bool) {
        return state == LcState.ISSUED || state == LcState.ADVISED || state == LcState.CONFIRMED;
    }

    function _maximum(uint256 amount, uint16 plusBps) private pure returns (uint256) {
        return (amount * (BPS + plusBps)) / BPS;
    }

    function _maximumOf(Credit storage lc) private view returns (uint256) {
        return _maximum(lc.terms.amount, lc.terms.tolerancePlusBps);
    }

    function _today() private view returns (uint64) {
        return uint64(block.timestamp / _DAY);
    }

    function _lastPresentationDay(Credit storage lc) private view returns (uint64) {
        return _calendar.nextBankingDay(lc.terms.issuingBank, lc.terms.expiry / _DAY);
    }

    function _paymentReference(uint256 lcId, uint256 presentationId) private pure returns (bytes32) {
        return bytes32((lcId << 128) | presentationId);
    }

    function _interbankReference(uint256 lcId, uint256 presentationId) private pure returns (bytes32) {
        return bytes32((uint256(1) << 248) | (lcId << 128) | presentationId);
    }
}
