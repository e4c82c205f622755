// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IUndertakings} from "./interfaces/IUndertakings.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";
import {UndertakingsDemands} from "./UndertakingsDemands.sol";

/**
 * @title Undertakings
 * @notice Demand guarantees and counter-guarantees (URDG 758) and standby credits (ISP98); see {IUndertakings}
 * for the state machines, the rules and the periods chosen.
 * @dev Authorization as in LetterOfCredit: consortium membership of the right kind, checked on every call,
 * plus the caller's role in the undertaking. No admin. Payments move through Settlement, which must have
 * granted this contract SETTLER_ROLE. Business days come from the banking calendar (the BankingCalendar
 * contract the LC uses); dates are UTC day numbers `timestamp / 86400`. The life cycle, amendments, reductions,
 * expiry and extension live here; the demands (presentation, examination, payment, reimbursement) run in the
 * external library {UndertakingsDemands}, delegate-called on this contract's storage, so every event still comes
 * from here.
 */
contract Undertakings is IUndertakings, ReentrancyGuard {
    /// @notice Most document hashes in one demand and discrepancies in one rejection notice.
    uint256 public constant MAX_HASHES = UndertakingsDemands.MAX_HASHES;
    /// @notice Most steps in a reduction schedule.
    uint256 public constant MAX_REDUCTION_STEPS = UndertakingsDemands.MAX_REDUCTION_STEPS;
    /// @notice Business days for examination under ISP98 when the standby states none (rule 5.01(a)).
    uint8 public constant ISP98_DEFAULT_EXAMINATION_DAYS = UndertakingsDemands.ISP98_DEFAULT_EXAMINATION_DAYS;
    /// @notice Longest examination period a standby may state: beyond seven business days is unreasonable (5.01(a)).
    uint8 public constant ISP98_MAX_EXAMINATION_DAYS = 7;
    /// @notice Longest suspension of an "extend or pay" demand, in calendar days after the demand (URDG 23(a)).
    uint64 public constant EXTEND_OR_PAY_SUSPENSION_DAYS = UndertakingsDemands.EXTEND_OR_PAY_SUSPENSION_DAYS;
    /// @notice Life of an undertaking stating neither expiry date nor expiry event (URDG 25(c)), in seconds.
    uint64 public constant DEFAULT_TERM = 3 * 365 days + 1 days;
    /// @notice Life of such a counter-guarantee after its guarantee's expiry (URDG 25(c)), in seconds.
    uint64 public constant COUNTER_GUARANTEE_EXTRA_TERM = 30 days;
    /// @notice Calendar days scanned for business days; past it every day counts as one (bounds gas).
    uint64 public constant MAX_CALENDAR_SCAN_DAYS = UndertakingsDemands.MAX_CALENDAR_SCAN_DAYS;

    /// @notice Amendment flag: the amount changes.
    uint8 public constant AMEND_AMOUNT = 1;
    /// @notice Amendment flag: the expiry date changes.
    uint8 public constant AMEND_EXPIRY = 2;
    uint8 private constant _AMEND_ALL = 3;

    uint64 private constant _DAY = 86_400;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    IBankingCalendar private immutable _calendar;

    UndertakingsDemands.Book private _book;

    /**
     * @param membership_ The consortium registry.
     * @param settlement_ The cash ledger (must grant this contract SETTLER_ROLE).
     * @param calendar_ The banking calendar (the BankingCalendar contract the LC uses).
     */
    constructor(IMembership membership_, ISettlement settlement_, IBankingCalendar calendar_) {
        _membership = membership_;
        _settlement = settlement_;
        _calendar = calendar_;
    }

    // ================================================================== life cycle

    /// @inheritdoc IUndertakings
    function applyForUndertaking(UndertakingTerms calldata terms) external returns (uint256 undertakingId) {
        _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        undertakingId = _create(terms, msg.sender, false);
    }

    /// @inheritdoc IUndertakings
    function issueUndertaking(UndertakingTerms calldata terms, address applicant)
        external
        returns (uint256 undertakingId)
    {
        if (msg.sender != terms.guarantor) revert UndertakingsUnauthorizedParty(0, msg.sender, Party.GUARANTOR);
        _requireMember(msg.sender, IMembership.MemberKind.BANK);
        _requireMember(applicant, IMembership.MemberKind.TRADER);
        undertakingId = _create(terms, applicant, true);
        _issue(undertakingId, _book.undertakings[undertakingId]);
    }

    /// @inheritdoc IUndertakings
    function issue(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireState(undertakingId, u, UndertakingState.APPLIED);
        _issue(undertakingId, u);
    }

    /// @inheritdoc IUndertakings
    function declineApplication(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireState(undertakingId, u, UndertakingState.APPLIED);
        _transition(undertakingId, UndertakingState.DECLINED);
        emit UndertakingDeclined(undertakingId, msg.sender);
    }

    /// @inheritdoc IUndertakings
    function advise(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        address adviser = u.terms.advisingParty;
        if (adviser == address(0) || msg.sender != adviser) {
            revert UndertakingsUnauthorizedParty(undertakingId, msg.sender, Party.ADVISING_PARTY);
        }
        _requireMember(msg.sender, IMembership.MemberKind.BANK);
        _requireState(undertakingId, u, UndertakingState.ISSUED);
        _transition(undertakingId, UndertakingState.ADVISED);
        emit UndertakingAdvised(undertakingId, msg.sender, u.terms.beneficiary);
    }

    /// @inheritdoc IUndertakings
    function issueAmendment(uint256 undertakingId, bytes32 amendmentHash, AmendmentTerms calldata changes)
        external
        returns (uint256 amendmentId)
    {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireOperative(undertakingId, u);
        if (amendmentHash == bytes32(0)) revert UndertakingsEmptyTermsHash();
        if (changes.fields & ~_AMEND_ALL != 0) revert UndertakingsInvalidAmendmentFields(changes.fields);
        _checkAmended(undertakingId, u, changes);
        amendmentId = ++u.amendmentCount;
        Amendment storage a = _book.amendments[undertakingId][amendmentId];
        a.changes = changes;
        a.amendmentHash = amendmentHash;
        a.issuedAt = uint64(block.timestamp);
        _transitionAmendment(undertakingId, amendmentId, AmendmentState.ISSUED);
        emit AmendmentIssued(undertakingId, amendmentId, msg.sender, amendmentHash, changes);
    }

    /// @inheritdoc IUndertakings
    function acceptAmendment(uint256 undertakingId, uint256 amendmentId, uint8 acceptedFields) external {
        Undertaking storage u = _undertaking(undertakingId);
        Amendment storage a = _pendingAmendment(undertakingId, u, amendmentId);
        if (acceptedFields != a.changes.fields) {
            // URDG 11(e): partial acceptance is a rejection; the undertaking keeps its terms.
            _transitionAmendment(undertakingId, amendmentId, AmendmentState.REJECTED);
            emit AmendmentRejected(undertakingId, amendmentId, msg.sender, true);
            return;
        }
        AmendmentTerms memory changes = a.changes;
        UndertakingsDemands.recordDueReductions(undertakingId, u);
        _checkAmended(undertakingId, u, changes);
        if (changes.fields & AMEND_AMOUNT != 0) u.terms.amount = changes.amount;
        if (changes.fields & AMEND_EXPIRY != 0) u.terms.expiry = changes.expiry;
        _transitionAmendment(undertakingId, amendmentId, AmendmentState.ACCEPTED);
        emit AmendmentAccepted(undertakingId, amendmentId, msg.sender);
    }

    /// @inheritdoc IUndertakings
    function rejectAmendment(uint256 undertakingId, uint256 amendmentId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _pendingAmendment(undertakingId, u, amendmentId);
        _transitionAmendment(undertakingId, amendmentId, AmendmentState.REJECTED);
        emit AmendmentRejected(undertakingId, amendmentId, msg.sender, false);
    }

    /// @inheritdoc IUndertakings
    function reduce(uint256 undertakingId, uint256 amount, bytes32 documentHash) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireOperative(undertakingId, u);
        if (!u.terms.reducible) revert UndertakingsNotProvided(undertakingId);
        uint256 outstanding = _reduceBy(undertakingId, u, amount, documentHash);
        emit UndertakingReduced(undertakingId, amount, documentHash, outstanding);
        UndertakingsDemands.exhaustIfSpent(_book, undertakingId, u);
    }

    /// @inheritdoc IUndertakings
    function releaseInPart(uint256 undertakingId, uint256 amount, bytes32 documentHash) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireBeneficiary(undertakingId, u);
        _requireOperative(undertakingId, u);
        uint256 outstanding = _reduceBy(undertakingId, u, amount, documentHash);
        emit UndertakingReleasedInPart(undertakingId, msg.sender, amount, documentHash, outstanding);
        UndertakingsDemands.exhaustIfSpent(_book, undertakingId, u);
    }

    /// @inheritdoc IUndertakings
    function release(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireBeneficiary(undertakingId, u);
        _requireOperative(undertakingId, u);
        if (u.openDemandCount != 0) revert UndertakingsOpenDemands(undertakingId, u.openDemandCount);
        _transition(undertakingId, UndertakingState.RELEASED);
        emit UndertakingReleased(undertakingId, msg.sender);
    }

    /// @inheritdoc IUndertakings
    function expire(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireAnyParty(undertakingId, u);
        _requireOperative(undertakingId, u);
        if (UndertakingsDemands.extensionDue(u)) revert UndertakingsExtensionDue(undertakingId, u.terms.expiry);
        uint64 lastDay = _lastDemandDay(u);
        uint64 today = _today();
        if (today <= lastDay) revert UndertakingsNotExpired(undertakingId, lastDay, today);
        _transition(undertakingId, UndertakingState.EXPIRED);
        emit UndertakingExpired(undertakingId, lastDay, bytes32(0));
    }

    /// @inheritdoc IUndertakings
    function expireOnEvent(uint256 undertakingId, bytes32 documentHash) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireOperative(undertakingId, u);
        if (u.terms.expiryEvent == bytes32(0)) revert UndertakingsNotProvided(undertakingId);
        if (documentHash == bytes32(0)) revert UndertakingsEmptyTermsHash();
        u.expiryEventDocument = documentHash;
        _transition(undertakingId, UndertakingState.EXPIRED);
        emit UndertakingExpired(undertakingId, _today(), documentHash);
    }

    /// @inheritdoc IUndertakings
    function extendAutomatically(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireAnyParty(undertakingId, u);
        _requireOperative(undertakingId, u);
        if (!UndertakingsDemands.extensionDue(u)) {
            revert UndertakingsExtensionNotDue(undertakingId, UndertakingsDemands.lastNoticeDay(u), _today());
        }
        UndertakingsDemands.extend(undertakingId, u);
    }

    /// @inheritdoc IUndertakings
    function noticeNonExtension(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireOperative(undertakingId, u);
        if (u.terms.extensionDays == 0) revert UndertakingsNotProvided(undertakingId);
        if (u.nonExtensionNoticed) revert UndertakingsNonExtensionAlreadyNoticed(undertakingId);
        uint64 lastNoticeDay = UndertakingsDemands.lastNoticeDay(u);
        uint64 today = _today();
        if (today > lastNoticeDay) revert UndertakingsNonExtensionNoticeLate(undertakingId, lastNoticeDay, today);
        u.nonExtensionNoticed = true;
        emit NonExtensionNoticeGiven(undertakingId, msg.sender, u.terms.expiry);
    }

    /// @inheritdoc IUndertakings
    function recordScheduledReductions(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireAnyParty(undertakingId, u);
        _requireOperative(undertakingId, u);
        uint32 next = u.reductionsRecorded;
        UndertakingsDemands.recordDueReductions(undertakingId, u);
        if (u.reductionsRecorded == next) {
            ReductionStep[] storage schedule = u.terms.reductionSchedule;
            revert UndertakingsReductionNotDue(undertakingId, next < schedule.length ? schedule[next].day : 0, _today());
        }
        UndertakingsDemands.exhaustIfSpent(_book, undertakingId, u);
    }

    // ================================================================== demands (UndertakingsDemands)

    /// @inheritdoc IUndertakings
    function demand(
        uint256 undertakingId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount,
        uint64 extendTo
    ) external returns (uint256 demandId) {
        return UndertakingsDemands.demand(_book, _services(), undertakingId, documentHashes, statementHash, amount, extendTo);
    }

    /// @inheritdoc IUndertakings
    function demandUnderCounterGuarantee(
        uint256 counterGuaranteeId,
        uint256 guaranteeDemandId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) external returns (uint256 demandId) {
        return
            UndertakingsDemands.demandUnderCounterGuarantee(
                _book,
                _services(),
                counterGuaranteeId,
                guaranteeDemandId,
                documentHashes,
                statementHash,
                amount
            );
    }

    /// @inheritdoc IUndertakings
    function pay(uint256 undertakingId, uint256 demandId) external nonReentrant {
        UndertakingsDemands.pay(_book, _services(), undertakingId, demandId);
    }

    /// @inheritdoc IUndertakings
    function reject(uint256 undertakingId, uint256 demandId, bytes32[] calldata discrepancies) external {
        UndertakingsDemands.reject(_book, _services(), undertakingId, demandId, discrepancies);
    }

    /// @inheritdoc IUndertakings
    function suspendForExtension(uint256 undertakingId, uint256 demandId, uint64 until) external {
        UndertakingsDemands.suspendForExtension(_book, _services(), undertakingId, demandId, until);
    }

    /// @inheritdoc IUndertakings
    function extendForDemand(uint256 undertakingId, uint256 demandId) external {
        UndertakingsDemands.extendForDemand(_book, _services(), undertakingId, demandId);
    }

    /// @inheritdoc IUndertakings
    function enforcePayment(uint256 undertakingId, uint256 demandId) external nonReentrant {
        UndertakingsDemands.enforcePayment(_book, _services(), undertakingId, demandId);
    }

    /// @inheritdoc IUndertakings
    function settleReimbursementClaim(uint256 claimId) external nonReentrant {
        UndertakingsDemands.settleReimbursementClaim(_book, _services(), claimId);
    }

    // ================================================================== views

    /// @inheritdoc IUndertakings
    function getUndertaking(uint256 undertakingId) external view returns (Undertaking memory) {
        return _undertaking(undertakingId);
    }

    /// @inheritdoc IUndertakings
    function getAmendment(uint256 undertakingId, uint256 amendmentId) external view returns (Amendment memory) {
        Amendment storage a = _book.amendments[undertakingId][amendmentId];
        if (a.state == AmendmentState.NONE) revert UndertakingsUnknownAmendment(undertakingId, amendmentId);
        return a;
    }

    /// @inheritdoc IUndertakings
    function getDemand(uint256 undertakingId, uint256 demandId) external view returns (Demand memory) {
        Demand storage d = _book.demands[undertakingId][demandId];
        if (d.state == DemandState.NONE) revert UndertakingsUnknownDemand(undertakingId, demandId);
        return d;
    }

    /// @inheritdoc IUndertakings
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory) {
        return UndertakingsDemands.reimbursementClaim(_book, claimId);
    }

    /// @inheritdoc IUndertakings
    function undertakingCount() external view returns (uint256) {
        return _book.undertakingCount;
    }

    /// @inheritdoc IUndertakings
    function claimCount() external view returns (uint256) {
        return _book.claimCount;
    }

    /// @inheritdoc IUndertakings
    function outstandingAmount(uint256 undertakingId) external view returns (uint256) {
        return UndertakingsDemands.outstanding(_undertaking(undertakingId));
    }

    /// @inheritdoc IUndertakings
    function availableAmount(uint256 undertakingId) external view returns (uint256) {
        return UndertakingsDemands.available(_undertaking(undertakingId));
    }

    /// @inheritdoc IUndertakings
    function lastDemandDay(uint256 undertakingId) external view returns (uint64) {
        Undertaking storage u = _undertaking(undertakingId);
        return u.issuedAt == 0 ? 0 : _lastDemandDay(u);
    }

    /// @inheritdoc IUndertakings
    function paymentReference(uint256 undertakingId, uint256 demandId) external pure returns (bytes32) {
        return UndertakingsDemands.paymentReference(undertakingId, demandId);
    }

    /// @notice The Membership registry this contract asks.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The Settlement ledger this contract moves money through.
    function settlement() external view returns (ISettlement) {
        return _settlement;
    }

    /// @notice The banking calendar business days come from.
    function calendar() external view returns (IBankingCalendar) {
        return _calendar;
    }

    // ================================================================== internal: creation and issue

    function _create(UndertakingTerms calldata terms, address applicant, bool direct)
        private
        returns (uint256 undertakingId)
    {
        _validateTerms(terms, applicant);
        undertakingId = ++_book.undertakingCount;
        Undertaking storage u = _book.undertakings[undertakingId];
        u.terms = terms;
        u.applicant = applicant;
        _transition(undertakingId, UndertakingState.APPLIED);
        emit UndertakingCreated(undertakingId, applicant, terms.guarantor, direct, terms);
    }

    function _issue(uint256 undertakingId, Undertaking storage u) private {
        uint256 guaranteeId = u.terms.counterGuaranteeOf;
        uint64 expiry = u.terms.expiry;
        if (guaranteeId != 0) {
            Undertaking storage g = _book.undertakings[guaranteeId];
            if (!UndertakingsDemands.isOperative(g.state) || g.counterGuaranteeId != 0 || g.applicant != u.applicant) {
                revert UndertakingsInvalidCounterGuarantee(guaranteeId, guaranteeId);
            }
            g.counterGuaranteeId = undertakingId;
            emit CounterGuaranteeLinked(guaranteeId, undertakingId);
            // URDG 25(c): a counter-guarantee stating no expiry ends 30 calendar days after its guarantee.
            if (expiry == 0) expiry = g.terms.expiry + COUNTER_GUARANTEE_EXTRA_TERM;
        } else if (expiry == 0) {
            // URDG 25(c): an undertaking stating neither expiry date nor expiry event ends three years after issue.
            expiry = uint64(block.timestamp) + DEFAULT_TERM;
        }
        if (expiry <= block.timestamp) revert UndertakingsInvalidExpiry(expiry, uint64(block.timestamp));
        u.terms.expiry = expiry;
        u.issuedAt = uint64(block.timestamp);
        _transition(undertakingId, UndertakingState.ISSUED);
        emit UndertakingIssued(undertakingId, u.terms.guarantor, u.terms.beneficiary, expiry);
    }

    function _validateTerms(UndertakingTerms calldata terms, address applicant) private view {
        if (terms.termsHash == bytes32(0)) revert UndertakingsEmptyTermsHash();
        if (!CurrencyCode.isValid(terms.currency)) revert UndertakingsInvalidCurrency(terms.currency);
        if (terms.amount == 0) revert UndertakingsInvalidAmount(terms.amount);
        if (terms.expiry != 0 && terms.expiry <= block.timestamp) {
            revert UndertakingsInvalidExpiry(terms.expiry, uint64(block.timestamp));
        }
        if (terms.rules == Rules.ISP98) {
            // ISP98 9.01: a standby must contain an expiry date.
            if (terms.expiry == 0) revert UndertakingsInvalidExpiry(0, uint64(block.timestamp));
            if (terms.examinationDays != 0 && terms.examinationDays < ISP98_DEFAULT_EXAMINATION_DAYS) {
                revert UndertakingsInvalidExaminationPeriod(terms.examinationDays);
            }
            if (terms.examinationDays > ISP98_MAX_EXAMINATION_DAYS) {
                revert UndertakingsInvalidExaminationPeriod(terms.examinationDays);
            }
        } else if (terms.examinationDays != 0) {
            revert UndertakingsInvalidExaminationPeriod(terms.examinationDays);
        }
        _validateAutoExtension(terms);
        _validateReductionSchedule(terms);
        _requireMember(terms.guarantor, IMembership.MemberKind.BANK);
        if (terms.advisingParty != address(0)) {
            if (terms.advisingParty == terms.guarantor) revert UndertakingsInvalidParty(Party.ADVISING_PARTY, terms.advisingParty);
            _requireMember(terms.advisingParty, IMembership.MemberKind.BANK);
        }
        if (terms.beneficiary == applicant || terms.beneficiary == terms.guarantor) {
            revert UndertakingsInvalidParty(Party.BENEFICIARY, terms.beneficiary);
        }
        uint256 guaranteeId = terms.counterGuaranteeOf;
        if (guaranteeId == 0) {
            _requireMember(terms.beneficiary, IMembership.MemberKind.TRADER);
            return;
        }
        // URDG 2: the counter-guarantor undertakes to the guarantor of the guarantee, in its currency.
        Undertaking storage g = _book.undertakings[guaranteeId];
        if (
            g.state == UndertakingState.NONE ||
            g.terms.counterGuaranteeOf != 0 ||
            g.terms.rules != terms.rules ||
            g.terms.guarantor != terms.beneficiary ||
            g.terms.currency != terms.currency
        ) revert UndertakingsInvalidCounterGuarantee(guaranteeId, terms.counterGuaranteeOf);
        _requireMember(terms.beneficiary, IMembership.MemberKind.BANK);
    }

    /**
     * @dev Automatic extension (ISP98 2.06(a)), for a standby or a guarantee alike: URDG 758 has no rule on it and
     * applies subject to the guarantee's own terms (Art 1(a)), so an extension the guarantee states when issued is
     * no amendment needing consent (Art 11). A notice period of at least one day that ends before the extension
     * would, and a final expiry after the expiry; or none of it stated.
     */
    function _validateAutoExtension(UndertakingTerms calldata terms) private pure {
        uint16 period = terms.extensionDays;
        uint16 notice = terms.nonExtensionNoticeDays;
        uint64 finalExpiry = terms.finalExpiry;
        bool valid = period == 0
            ? notice == 0 && finalExpiry == 0
            : notice != 0 &&
                notice < period &&
                (finalExpiry == 0 || finalExpiry > terms.expiry);
        if (!valid) revert UndertakingsInvalidAutoExtension(terms.rules, period, notice, finalExpiry);
    }

    /// @dev Steps in strictly increasing days after today, each positive, together no more than the amount
    /// (URDG 13, 25(a)(ii); ISP98 2.06).
    function _validateReductionSchedule(UndertakingTerms calldata terms) private view {
        ReductionStep[] calldata schedule = terms.reductionSchedule;
        uint256 length = schedule.length;
        uint64 previousDay = _today();
        uint256 total = 0;
        for (uint256 i = 0; i < length; ++i) {
            ReductionStep calldata step = schedule[i];
            total += step.amount;
            if (i >= MAX_REDUCTION_STEPS || step.day <= previousDay || step.amount == 0 || total > terms.amount) {
                revert UndertakingsInvalidReductionSchedule(i + 1, step.day, step.amount);
            }
            previousDay = step.day;
        }
    }

    function _checkAmended(uint256 undertakingId, Undertaking storage u, AmendmentTerms memory changes) private view {
        if (changes.fields & AMEND_AMOUNT != 0) {
            uint256 used = u.paid + u.reduced;
            if (changes.amount <= used || changes.amount < used + u.reserved) {
                revert UndertakingsAmendmentBelowUtilisation(undertakingId, changes.amount, used + u.reserved);
            }
        }
        if (changes.fields & AMEND_EXPIRY != 0 && changes.expiry <= block.timestamp) {
            revert UndertakingsInvalidExpiry(changes.expiry, uint64(block.timestamp));
        }
    }

    /// @dev A reduction evidenced by a document, of no more than is available (outstanding, not under demand).
    function _reduceBy(uint256 undertakingId, Undertaking storage u, uint256 amount, bytes32 documentHash)
        private
        returns (uint256 outstanding)
    {
        if (documentHash == bytes32(0)) revert UndertakingsEmptyTermsHash();
        if (amount == 0) revert UndertakingsInvalidAmount(amount);
        UndertakingsDemands.recordDueReductions(undertakingId, u);
        uint256 available = UndertakingsDemands.available(u);
        if (amount > available) revert UndertakingsReductionExceedsAvailable(undertakingId, amount, available);
        u.reduced += amount;
        outstanding = UndertakingsDemands.outstanding(u);
    }

    // ================================================================== internal: state machines

    /// @dev The one undertaking transition (shared with the demands: {UndertakingsDemands-transition}).
    function _transition(uint256 undertakingId, UndertakingState to) private {
        UndertakingsDemands.transition(_book, undertakingId, to);
    }

    /// @dev The one amendment transition: NONE -> ISSUED -> ACCEPTED | REJECTED.
    function _transitionAmendment(uint256 undertakingId, uint256 amendmentId, AmendmentState to) private {
        Amendment storage a = _book.amendments[undertakingId][amendmentId];
        AmendmentState from = a.state;
        bool ok = (from == AmendmentState.NONE && to == AmendmentState.ISSUED) ||
            (from == AmendmentState.ISSUED && (to == AmendmentState.ACCEPTED || to == AmendmentState.REJECTED));
        if (!ok) revert UndertakingsInvalidAmendmentState(undertakingId, amendmentId, from, to);
        a.state = to;
        if (to != AmendmentState.ISSUED) a.decidedAt = uint64(block.timestamp);
    }

    // ================================================================== internal: checks

    function _services() private view returns (UndertakingsDemands.Services memory) {
        return UndertakingsDemands.Services(_membership, _settlement, _calendar);
    }

    function _requireMember(address account, IMembership.MemberKind kind) private view {
        UndertakingsDemands.requireMember(_services(), account, kind);
    }

    function _requireParty(uint256 undertakingId, address expected, Party party) private view {
        UndertakingsDemands.requireParty(_services(), undertakingId, expected, party);
    }

    function _requireBeneficiary(uint256 undertakingId, Undertaking storage u) private view {
        UndertakingsDemands.requireBeneficiary(_services(), undertakingId, u);
    }

    function _requireAnyParty(uint256 undertakingId, Undertaking storage u) private view {
        address caller = msg.sender;
        if (caller == u.applicant) {
            _requireMember(caller, IMembership.MemberKind.TRADER);
        } else if (caller == u.terms.beneficiary) {
            _requireMember(caller, UndertakingsDemands.beneficiaryKind(u));
        } else if (caller == u.terms.guarantor || (caller == u.terms.advisingParty && caller != address(0))) {
            _requireMember(caller, IMembership.MemberKind.BANK);
        } else {
            revert UndertakingsNotAParty(undertakingId, caller);
        }
    }

    function _requireState(uint256 undertakingId, Undertaking storage u, UndertakingState expected) private view {
        if (u.state != expected) revert UndertakingsInvalidState(undertakingId, u.state, expected);
    }

    function _requireOperative(uint256 undertakingId, Undertaking storage u) private view {
        UndertakingsDemands.requireOperative(undertakingId, u);
    }

    function _pendingAmendment(uint256 undertakingId, Undertaking storage u, uint256 amendmentId)
        private
        view
        returns (Amendment storage a)
    {
        _requireBeneficiary(undertakingId, u);
        _requireOperative(undertakingId, u);
        a = _book.amendments[undertakingId][amendmentId];
        if (a.state == AmendmentState.NONE) revert UndertakingsUnknownAmendment(undertakingId, amendmentId);
        if (a.state != AmendmentState.ISSUED) {
            revert UndertakingsInvalidAmendmentState(undertakingId, amendmentId, a.state, AmendmentState.ISSUED);
        }
    }

    function _undertaking(uint256 undertakingId) private view returns (Undertaking storage) {
        return UndertakingsDemands.undertaking(_book, undertakingId);
    }

    // ================================================================== internal: amounts and dates

    function _today() private view returns (uint64) {
        return UndertakingsDemands.today();
    }

    function _lastDemandDay(Undertaking storage u) private view returns (uint64) {
        return UndertakingsDemands.lastDemandDay(_services(), u);
    }
}
