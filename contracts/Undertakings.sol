// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IUndertakings} from "./interfaces/IUndertakings.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/**
 * @title Undertakings
 * @notice Demand guarantees and counter-guarantees (URDG 758) and standby credits (ISP98); see {IUndertakings}
 * for the state machines, the rules and the periods chosen.
 * @dev Authorization as in LetterOfCredit: consortium membership of the right kind, checked on every call,
 * plus the caller's role in the undertaking. No admin. Payments move through Settlement, which must have
 * granted this contract SETTLER_ROLE. Business days come from the banking calendar (the BankingCalendar
 * contract the LC uses); dates are UTC day numbers `timestamp / 86400`.
 */
contract Undertakings is IUndertakings, ReentrancyGuard {
    /// @notice Most document hashes in one demand and discrepancies in one rejection notice.
    uint256 public constant MAX_HASHES = 32;
    /// @notice Business days for examination under ISP98 when the standby states none (rule 5.01(a)).
    uint8 public constant ISP98_DEFAULT_EXAMINATION_DAYS = 3;
    /// @notice Longest examination period a standby may state: beyond seven business days is unreasonable (5.01(a)).
    uint8 public constant ISP98_MAX_EXAMINATION_DAYS = 7;
    /// @notice Longest suspension of an "extend or pay" demand, in calendar days after the demand (URDG 23(a)).
    uint64 public constant EXTEND_OR_PAY_SUSPENSION_DAYS = 30;
    /// @notice Life of an undertaking stating neither expiry date nor expiry event (URDG 25(c)), in seconds.
    uint64 public constant DEFAULT_TERM = 3 * 365 days + 1 days;
    /// @notice Life of such a counter-guarantee after its guarantee's expiry (URDG 25(c)), in seconds.
    uint64 public constant COUNTER_GUARANTEE_EXTRA_TERM = 30 days;
    /// @notice Calendar days scanned for business days; past it every day counts as one (bounds gas).
    uint64 public constant MAX_CALENDAR_SCAN_DAYS = 60;

    /// @notice Amendment flag: the amount changes.
    uint8 public constant AMEND_AMOUNT = 1;
    /// @notice Amendment flag: the expiry date changes.
    uint8 public constant AMEND_EXPIRY = 2;
    uint8 private constant _AMEND_ALL = 3;

    uint64 private constant _DAY = 86_400;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    IBankingCalendar private immutable _calendar;

    uint256 private _undertakingCount;
    uint256 private _claimCount;
    mapping(uint256 id => Undertaking) private _undertakings;
    mapping(uint256 id => mapping(uint256 amendmentId => Amendment)) private _amendments;
    mapping(uint256 id => mapping(uint256 demandId => Demand)) private _demands;
    mapping(uint256 claimId => ReimbursementClaim) private _claims;

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
        _issue(undertakingId, _undertakings[undertakingId]);
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
        Amendment storage a = _amendments[undertakingId][amendmentId];
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
        if (outstanding == 0) _transition(undertakingId, UndertakingState.EXHAUSTED);
    }

    /// @inheritdoc IUndertakings
    function releaseInPart(uint256 undertakingId, uint256 amount, bytes32 documentHash) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireBeneficiary(undertakingId, u);
        _requireOperative(undertakingId, u);
        uint256 outstanding = _reduceBy(undertakingId, u, amount, documentHash);
        emit UndertakingReleasedInPart(undertakingId, msg.sender, amount, documentHash, outstanding);
        if (outstanding == 0) _transition(undertakingId, UndertakingState.EXHAUSTED);
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
        if (_extensionDue(u)) revert UndertakingsExtensionDue(undertakingId, u.terms.expiry);
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
        if (!_extensionDue(u)) revert UndertakingsExtensionNotDue(undertakingId, _lastNoticeDay(u), _today());
        _extend(undertakingId, u);
    }

    /// @inheritdoc IUndertakings
    function noticeNonExtension(uint256 undertakingId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        _requireOperative(undertakingId, u);
        if (u.terms.extensionDays == 0) revert UndertakingsNotProvided(undertakingId);
        if (u.nonExtensionNoticed) revert UndertakingsNonExtensionAlreadyNoticed(undertakingId);
        uint64 lastNoticeDay = _lastNoticeDay(u);
        uint64 today = _today();
        if (today > lastNoticeDay) revert UndertakingsNonExtensionNoticeLate(undertakingId, lastNoticeDay, today);
        u.nonExtensionNoticed = true;
        emit NonExtensionNoticeGiven(undertakingId, msg.sender, u.terms.expiry);
    }

    // ================================================================== demands

    /// @inheritdoc IUndertakings
    function demand(
        uint256 undertakingId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount,
        uint64 extendTo
    ) external returns (uint256 demandId) {
        Undertaking storage u = _undertaking(undertakingId);
        _requireBeneficiary(undertakingId, u);
        if (u.terms.counterGuaranteeOf != 0) revert UndertakingsNotACounterGuarantee(undertakingId);
        if (extendTo != 0 && extendTo <= u.terms.expiry) {
            revert UndertakingsInvalidExtension(undertakingId, extendTo, u.terms.expiry);
        }
        demandId = _present(undertakingId, u, documentHashes, statementHash, amount);
        _demands[undertakingId][demandId].extendTo = extendTo;
        _emitPresented(undertakingId, demandId, documentHashes);
    }

    /// @inheritdoc IUndertakings
    function demandUnderCounterGuarantee(
        uint256 counterGuaranteeId,
        uint256 guaranteeDemandId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) external returns (uint256 demandId) {
        Undertaking storage cg = _undertaking(counterGuaranteeId);
        _requireBeneficiary(counterGuaranteeId, cg);
        uint256 guaranteeId = cg.terms.counterGuaranteeOf;
        if (guaranteeId == 0) revert UndertakingsNotACounterGuarantee(counterGuaranteeId);
        Demand storage relayed = _demands[guaranteeId][guaranteeDemandId];
        if (relayed.state != DemandState.PAID || relayed.relayed || amount > relayed.amount) {
            revert UndertakingsInvalidRelayedDemand(guaranteeId, guaranteeDemandId);
        }
        relayed.relayed = true;
        demandId = _present(counterGuaranteeId, cg, documentHashes, statementHash, amount);
        _demands[counterGuaranteeId][demandId].underDemandId = guaranteeDemandId;
        _emitPresented(counterGuaranteeId, demandId, documentHashes);
    }

    /// @inheritdoc IUndertakings
    function pay(uint256 undertakingId, uint256 demandId) external nonReentrant {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        Demand storage d = _demand(undertakingId, demandId);
        if (d.state != DemandState.PRESENTED && d.state != DemandState.SUSPENDED) {
            revert UndertakingsInvalidDemandState(undertakingId, demandId, d.state, DemandState.PAID);
        }
        _pay(undertakingId, u, demandId, d, false);
    }

    /// @inheritdoc IUndertakings
    function reject(uint256 undertakingId, uint256 demandId, bytes32[] calldata discrepancies) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        Demand storage d = _demandIn(undertakingId, demandId, DemandState.PRESENTED);
        if (block.timestamp > d.deadline) {
            revert UndertakingsPrecluded(undertakingId, demandId, d.deadline, uint64(block.timestamp));
        }
        _requireHashes(discrepancies, 1);
        d.discrepancyCount = uint16(discrepancies.length);
        d.discrepanciesHash = keccak256(abi.encodePacked(discrepancies));
        u.reserved -= d.amount;
        --u.openDemandCount;
        _transitionDemand(undertakingId, demandId, DemandState.REJECTED);
        emit DemandRejected(undertakingId, demandId, msg.sender, discrepancies);
    }

    /// @inheritdoc IUndertakings
    function suspendForExtension(uint256 undertakingId, uint256 demandId, uint64 until) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        Demand storage d = _demandIn(undertakingId, demandId, DemandState.PRESENTED);
        if (d.extendTo == 0) revert UndertakingsNotExtendOrPay(undertakingId, demandId);
        if (block.timestamp > d.deadline) {
            revert UndertakingsPrecluded(undertakingId, demandId, d.deadline, uint64(block.timestamp));
        }
        uint64 latest = (d.presentedAt / _DAY + EXTEND_OR_PAY_SUSPENSION_DAYS + 1) * _DAY - 1;
        if (until <= block.timestamp || until > latest) {
            revert UndertakingsInvalidSuspension(undertakingId, demandId, until, latest);
        }
        d.suspendedUntil = until;
        _transitionDemand(undertakingId, demandId, DemandState.SUSPENDED);
        emit DemandSuspended(undertakingId, demandId, until);
    }

    /// @inheritdoc IUndertakings
    function extendForDemand(uint256 undertakingId, uint256 demandId) external {
        Undertaking storage u = _undertaking(undertakingId);
        _requireParty(undertakingId, u.terms.guarantor, Party.GUARANTOR);
        Demand storage d = _demandIn(undertakingId, demandId, DemandState.SUSPENDED);
        _requireOperative(undertakingId, u);
        uint64 extendTo = d.extendTo;
        if (extendTo <= u.terms.expiry) revert UndertakingsInvalidExtension(undertakingId, extendTo, u.terms.expiry);
        u.terms.expiry = extendTo;
        u.reserved -= d.amount;
        --u.openDemandCount;
        _transitionDemand(undertakingId, demandId, DemandState.WITHDRAWN);
        emit DemandWithdrawnByExtension(undertakingId, demandId, extendTo);
    }

    /// @inheritdoc IUndertakings
    function enforcePayment(uint256 undertakingId, uint256 demandId) external nonReentrant {
        Undertaking storage u = _undertaking(undertakingId);
        _requireBeneficiary(undertakingId, u);
        Demand storage d = _demand(undertakingId, demandId);
        bool presented = d.state == DemandState.PRESENTED;
        if (!presented && d.state != DemandState.SUSPENDED) {
            revert UndertakingsInvalidDemandState(undertakingId, demandId, d.state, DemandState.PAID);
        }
        uint64 until = presented ? d.deadline : d.suspendedUntil;
        if (block.timestamp <= until) {
            revert UndertakingsPaymentNotYetDue(undertakingId, demandId, until, uint64(block.timestamp));
        }
        _pay(undertakingId, u, demandId, d, presented);
    }

    /// @inheritdoc IUndertakings
    function settleReimbursementClaim(uint256 claimId) external nonReentrant {
        ReimbursementClaim storage claim = _claims[claimId];
        if (claim.state == ClaimState.NONE) revert UndertakingsUnknownClaim(claimId);
        if (msg.sender != claim.applicant) revert UndertakingsNotClaimDebtor(claimId, msg.sender);
        _requireMember(msg.sender, IMembership.MemberKind.TRADER);
        _transitionClaim(claimId, ClaimState.SETTLED);
        uint256 entryId = _settlement.settleLeg(
            claim.applicant,
            claim.guarantor,
            claim.currency,
            claim.amount,
            ISettlement.PostingKind.UNDERTAKING_REIMBURSEMENT,
            _paymentReference(claim.undertakingId, claim.demandId)
        );
        emit ReimbursementClaimSettled(
            claimId,
            claim.undertakingId,
            claim.applicant,
            claim.guarantor,
            claim.amount,
            entryId
        );
    }

    // ================================================================== views

    /// @inheritdoc IUndertakings
    function getUndertaking(uint256 undertakingId) external view returns (Undertaking memory) {
        return _undertaking(undertakingId);
    }

    /// @inheritdoc IUndertakings
    function getAmendment(uint256 undertakingId, uint256 amendmentId) external view returns (Amendment memory) {
        Amendment storage a = _amendments[undertakingId][amendmentId];
        if (a.state == AmendmentState.NONE) revert UndertakingsUnknownAmendment(undertakingId, amendmentId);
        return a;
    }

    /// @inheritdoc IUndertakings
    function getDemand(uint256 undertakingId, uint256 demandId) external view returns (Demand memory) {
        return _demand(undertakingId, demandId);
    }

    /// @inheritdoc IUndertakings
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory) {
        ReimbursementClaim storage claim = _claims[claimId];
        if (claim.state == ClaimState.NONE) revert UndertakingsUnknownClaim(claimId);
        return claim;
    }

    /// @inheritdoc IUndertakings
    function undertakingCount() external view returns (uint256) {
        return _undertakingCount;
    }

    /// @inheritdoc IUndertakings
    function claimCount() external view returns (uint256) {
        return _claimCount;
    }

    /// @inheritdoc IUndertakings
    function outstandingAmount(uint256 undertakingId) external view returns (uint256) {
        return _outstanding(_undertaking(undertakingId));
    }

    /// @inheritdoc IUndertakings
    function availableAmount(uint256 undertakingId) external view returns (uint256) {
        return _available(_undertaking(undertakingId));
    }

    /// @inheritdoc IUndertakings
    function lastDemandDay(uint256 undertakingId) external view returns (uint64) {
        Undertaking storage u = _undertaking(undertakingId);
        return u.issuedAt == 0 ? 0 : _lastDemandDay(u);
    }

    /// @inheritdoc IUndertakings
    function paymentReference(uint256 undertakingId, uint256 demandId) external pure returns (bytes32) {
        return _paymentReference(undertakingId, demandId);
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
        undertakingId = ++_undertakingCount;
        Undertaking storage u = _undertakings[undertakingId];
        u.terms = terms;
        u.applicant = applicant;
        _transition(undertakingId, UndertakingState.APPLIED);
        emit UndertakingCreated(undertakingId, applicant, terms.guarantor, direct, terms);
    }

    function _issue(uint256 undertakingId, Undertaking storage u) private {
        uint256 guaranteeId = u.terms.counterGuaranteeOf;
        uint64 expiry = u.terms.expiry;
        if (guaranteeId != 0) {
            Undertaking storage g = _undertakings[guaranteeId];
            if (!_isOperative(g.state) || g.counterGuaranteeId != 0 || g.applicant != u.applicant) {
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
        Undertaking storage g = _undertakings[guaranteeId];
        if (
            g.state == UndertakingState.NONE ||
            g.terms.counterGuaranteeOf != 0 ||
            g.terms.rules != terms.rules ||
            g.terms.guarantor != terms.beneficiary ||
            g.terms.currency != terms.currency
        ) revert UndertakingsInvalidCounterGuarantee(guaranteeId, terms.counterGuaranteeOf);
        _requireMember(terms.beneficiary, IMembership.MemberKind.BANK);
    }

    /// @dev ISP98 2.06(a) automatic extension: a standby's only (URDG 11), with a notice period of at least one day
    /// that ends before the extension would, and a final expiry after the expiry; or none of it stated.
    function _validateAutoExtension(UndertakingTerms calldata terms) private pure {
        uint16 period = terms.extensionDays;
        uint16 notice = terms.nonExtensionNoticeDays;
        uint64 finalExpiry = terms.finalExpiry;
        bool valid = period == 0
            ? notice == 0 && finalExpiry == 0
            : terms.rules == Rules.ISP98 &&
                notice != 0 &&
                notice < period &&
                (finalExpiry == 0 || finalExpiry > terms.expiry);
        if (!valid) revert UndertakingsInvalidAutoExtension(terms.rules, period, notice, finalExpiry);
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
        uint256 available = _available(u);
        if (amount > available) revert UndertakingsReductionExceedsAvailable(undertakingId, amount, available);
        u.reduced += amount;
        outstanding = _outstanding(u);
    }

    // ================================================================== internal: demands and payment

    function _present(
        uint256 undertakingId,
        Undertaking storage u,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) private returns (uint256 demandId) {
        _requireOperative(undertakingId, u);
        // ISP98 2.06(a): an extension that took effect without notice stands whether or not it was recorded yet.
        while (_extensionDue(u)) _extend(undertakingId, u);
        uint64 today = _today();
        uint64 lastDay = _lastDemandDay(u);
        if (today > lastDay) revert UndertakingsDemandAfterExpiry(undertakingId, today, lastDay);
        _requireHashes(documentHashes, 0);
        // URDG 15(a)/(b): the supporting statement, unless the undertaking expressly excludes it.
        if (u.terms.rules == Rules.URDG_758 && !u.terms.statementExcluded && statementHash == bytes32(0)) {
            revert UndertakingsDemandUnsupported(undertakingId);
        }
        if (amount == 0) revert UndertakingsInvalidAmount(amount);
        uint256 available = _available(u);
        if (amount > available) revert UndertakingsDemandExceedsAvailable(undertakingId, amount, available);

        u.reserved += amount;
        ++u.openDemandCount;
        demandId = ++u.demandCount;
        Demand storage d = _demands[undertakingId][demandId];
        d.amount = amount;
        d.statementHash = statementHash;
        d.documentsHash = keccak256(abi.encodePacked(documentHashes));
        d.documentCount = uint16(documentHashes.length);
        d.presentedAt = uint64(block.timestamp);
        address guarantor = u.terms.guarantor;
        uint64 presentationDay = _nextBusinessDay(guarantor, today);
        d.presentationDay = presentationDay;
        d.deadline = _examinationDeadline(u, guarantor, presentationDay);
        _transitionDemand(undertakingId, demandId, DemandState.PRESENTED);
    }

    function _emitPresented(uint256 undertakingId, uint256 demandId, bytes32[] calldata documentHashes) private {
        Demand storage d = _demands[undertakingId][demandId];
        emit DemandPresented(
            undertakingId,
            demandId,
            msg.sender,
            d.amount,
            d.statementHash,
            documentHashes,
            d.presentationDay,
            d.deadline,
            d.extendTo,
            d.underDemandId
        );
    }

    function _pay(uint256 undertakingId, Undertaking storage u, uint256 demandId, Demand storage d, bool precluded)
        private
    {
        uint256 amount = d.amount;
        address guarantor = u.terms.guarantor;
        address beneficiary = u.terms.beneficiary;
        bytes3 currency = u.terms.currency;
        bytes32 ref = _paymentReference(undertakingId, demandId);

        // Effects first: the demand's amount moves from reserved to paid and the demand is final.
        u.reserved -= amount;
        u.paid += amount;
        --u.openDemandCount;
        d.precluded = precluded;
        _transitionDemand(undertakingId, demandId, DemandState.PAID);
        bool exhausted = _isOperative(u.state) && _outstanding(u) == 0;
        if (exhausted) _transition(undertakingId, UndertakingState.EXHAUSTED);

        // The guarantor pays; if this leg fails the whole payment reverts.
        uint256 entryId = _settlement.settleLeg(
            guarantor,
            beneficiary,
            currency,
            amount,
            ISettlement.PostingKind.UNDERTAKING_PAYMENT,
            ref
        );
        emit DemandPaid(undertakingId, demandId, beneficiary, amount, entryId, precluded);

        // A guarantee backed by a counter-guarantee is reimbursed through a demand under it (URDG 15(b)).
        if (u.counterGuaranteeId == 0) _reimburse(undertakingId, demandId, d, u.applicant, guarantor, currency, amount, ref);
    }

    function _reimburse(
        uint256 undertakingId,
        uint256 demandId,
        Demand storage d,
        address applicant,
        address guarantor,
        bytes3 currency,
        uint256 amount,
        bytes32 ref
    ) private {
        if (_settlement.balanceOf(applicant, currency) >= amount) {
            try
                _settlement.settleLeg(
                    applicant,
                    guarantor,
                    currency,
                    amount,
                    ISettlement.PostingKind.UNDERTAKING_REIMBURSEMENT,
                    ref
                )
            returns (uint256 entryId) {
                emit ReimbursementSettled(undertakingId, demandId, applicant, guarantor, amount, entryId);
                return;
            } catch {
                // fall through: the applicant's account could not be debited, so the guarantor holds a claim
            }
        }
        uint256 claimId = ++_claimCount;
        ReimbursementClaim storage claim = _claims[claimId];
        claim.undertakingId = undertakingId;
        claim.demandId = demandId;
        claim.guarantor = guarantor;
        claim.applicant = applicant;
        claim.currency = currency;
        claim.amount = amount;
        d.claimId = claimId;
        _transitionClaim(claimId, ClaimState.OPEN);
        emit ReimbursementClaimOpened(claimId, undertakingId, applicant, demandId, guarantor, currency, amount);
    }

    // ================================================================== internal: state machines

    /// @dev The one undertaking transition: checks the edge against the graph, then records and announces it.
    function _transition(uint256 undertakingId, UndertakingState to) private {
        Undertaking storage u = _undertakings[undertakingId];
        UndertakingState from = u.state;
        bool ok = false;
        if (from == UndertakingState.NONE) ok = to == UndertakingState.APPLIED;
        else if (from == UndertakingState.APPLIED) ok = to == UndertakingState.ISSUED || to == UndertakingState.DECLINED;
        else if (_isOperative(from)) {
            ok =
                to == UndertakingState.EXHAUSTED ||
                to == UndertakingState.EXPIRED ||
                to == UndertakingState.RELEASED ||
                (from == UndertakingState.ISSUED && to == UndertakingState.ADVISED);
        }
        if (!ok) revert UndertakingsInvalidTransition(undertakingId, from, to);
        u.state = to;
        emit UndertakingStateChanged(undertakingId, from, to);
    }

    /// @dev The one amendment transition: NONE -> ISSUED -> ACCEPTED | REJECTED.
    function _transitionAmendment(uint256 undertakingId, uint256 amendmentId, AmendmentState to) private {
        Amendment storage a = _amendments[undertakingId][amendmentId];
        AmendmentState from = a.state;
        bool ok = (from == AmendmentState.NONE && to == AmendmentState.ISSUED) ||
            (from == AmendmentState.ISSUED && (to == AmendmentState.ACCEPTED || to == AmendmentState.REJECTED));
        if (!ok) revert UndertakingsInvalidAmendmentState(undertakingId, amendmentId, from, to);
        a.state = to;
        if (to != AmendmentState.ISSUED) a.decidedAt = uint64(block.timestamp);
    }

    /// @dev The one demand transition (see the graph in {IUndertakings}).
    function _transitionDemand(uint256 undertakingId, uint256 demandId, DemandState to) private {
        Demand storage d = _demands[undertakingId][demandId];
        DemandState from = d.state;
        bool ok = false;
        if (from == DemandState.NONE) ok = to == DemandState.PRESENTED;
        else if (from == DemandState.PRESENTED) {
            ok = to == DemandState.PAID || to == DemandState.REJECTED || to == DemandState.SUSPENDED;
        } else if (from == DemandState.SUSPENDED) ok = to == DemandState.PAID || to == DemandState.WITHDRAWN;
        if (!ok) revert UndertakingsInvalidDemandState(undertakingId, demandId, from, to);
        d.state = to;
    }

    /// @dev The one claim transition: NONE -> OPEN -> SETTLED.
    function _transitionClaim(uint256 claimId, ClaimState to) private {
        ReimbursementClaim storage claim = _claims[claimId];
        ClaimState from = claim.state;
        bool ok = (from == ClaimState.NONE && to == ClaimState.OPEN) ||
            (from == ClaimState.OPEN && to == ClaimState.SETTLED);
        if (!ok) revert UndertakingsInvalidClaimState(claimId, from, to);
        claim.state = to;
    }

    // ================================================================== internal: checks

    function _requireMember(address account, IMembership.MemberKind kind) private view {
        if (!_membership.isActiveMember(account, kind)) revert UndertakingsNotActiveMember(account, uint8(kind));
    }

    function _requireParty(uint256 undertakingId, address expected, Party party) private view {
        if (msg.sender != expected) revert UndertakingsUnauthorizedParty(undertakingId, msg.sender, party);
        _requireMember(msg.sender, party == Party.APPLICANT ? IMembership.MemberKind.TRADER : IMembership.MemberKind.BANK);
    }

    /// @dev The beneficiary: a trader, or the guarantor bank of the guarantee under a counter-guarantee.
    function _requireBeneficiary(uint256 undertakingId, Undertaking storage u) private view {
        if (msg.sender != u.terms.beneficiary) {
            revert UndertakingsUnauthorizedParty(undertakingId, msg.sender, Party.BENEFICIARY);
        }
        _requireMember(msg.sender, _beneficiaryKind(u));
    }

    function _beneficiaryKind(Undertaking storage u) private view returns (IMembership.MemberKind) {
        return u.terms.counterGuaranteeOf == 0 ? IMembership.MemberKind.TRADER : IMembership.MemberKind.BANK;
    }

    function _requireAnyParty(uint256 undertakingId, Undertaking storage u) private view {
        address caller = msg.sender;
        if (caller == u.applicant) {
            _requireMember(caller, IMembership.MemberKind.TRADER);
        } else if (caller == u.terms.beneficiary) {
            _requireMember(caller, _beneficiaryKind(u));
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
        if (!_isOperative(u.state)) revert UndertakingsNotOperative(undertakingId, u.state);
    }

    function _requireHashes(bytes32[] calldata hashes, uint256 minimum) private pure {
        uint256 count = hashes.length;
        if (count < minimum || count > MAX_HASHES) revert UndertakingsInvalidHashes(count, MAX_HASHES);
        for (uint256 i = 0; i < count; ++i) {
            if (hashes[i] == bytes32(0)) revert UndertakingsInvalidHashes(count, MAX_HASHES);
        }
    }

    function _pendingAmendment(uint256 undertakingId, Undertaking storage u, uint256 amendmentId)
        private
        view
        returns (Amendment storage a)
    {
        _requireBeneficiary(undertakingId, u);
        _requireOperative(undertakingId, u);
        a = _amendments[undertakingId][amendmentId];
        if (a.state == AmendmentState.NONE) revert UndertakingsUnknownAmendment(undertakingId, amendmentId);
        if (a.state != AmendmentState.ISSUED) {
            revert UndertakingsInvalidAmendmentState(undertakingId, amendmentId, a.state, AmendmentState.ISSUED);
        }
    }

    function _undertaking(uint256 undertakingId) private view returns (Undertaking storage u) {
        u = _undertakings[undertakingId];
        if (u.state == UndertakingState.NONE) revert UndertakingsUnknown(undertakingId);
    }

    function _demand(uint256 undertakingId, uint256 demandId) private view returns (Demand storage d) {
        d = _demands[undertakingId][demandId];
        if (d.state == DemandState.NONE) revert UndertakingsUnknownDemand(undertakingId, demandId);
    }

    function _demandIn(uint256 undertakingId, uint256 demandId, DemandState expected)
        private
        view
        returns (Demand storage d)
    {
        d = _demand(undertakingId, demandId);
        if (d.state != expected) revert UndertakingsInvalidDemandState(undertakingId, demandId, d.state, expected);
    }

    // ================================================================== internal: amounts and dates

    function _isOperative(UndertakingState state) private pure returns (bool) {
        return state == UndertakingState.ISSUED || state == UndertakingState.ADVISED;
    }

    function _outstanding(Undertaking storage u) private view returns (uint256) {
        return u.terms.amount - u.paid - u.reduced;
    }

    function _available(Undertaking storage u) private view returns (uint256) {
        return _outstanding(u) - u.reserved;
    }

    function _today() private view returns (uint64) {
        return uint64(block.timestamp / _DAY);
    }

    /// @dev The day itself if the bank is open on it, else its next business day (the calendar's bounded scan).
    function _nextBusinessDay(address bank, uint64 day) private view returns (uint64) {
        return _calendar.nextBankingDay(bank, day);
    }

    /// @dev URDG 20(a): the calendar's five business days; ISP98 5.01(a): the standby's 3..7 business days.
    function _examinationDeadline(Undertaking storage u, address bank, uint64 presentationDay)
        private
        view
        returns (uint64)
    {
        if (u.terms.rules == Rules.URDG_758) return _calendar.examinationDeadline(bank, presentationDay);
        uint64 wanted = u.terms.examinationDays == 0 ? ISP98_DEFAULT_EXAMINATION_DAYS : u.terms.examinationDays;
        uint64 day = presentationDay;
        uint64 counted = 0;
        for (uint64 i = 0; i < MAX_CALENDAR_SCAN_DAYS && counted < wanted; ++i) {
            ++day;
            if (_calendar.isBankingDay(bank, day)) ++counted;
        }
        day += wanted - counted; // only if the scan ran out: remaining days count as business days
        return (day + 1) * _DAY - 1;
    }

    /// @dev The last day on which the issuer may give notice of non-extension: the stated days before expiry.
    function _lastNoticeDay(Undertaking storage u) private view returns (uint64) {
        uint64 day = u.terms.expiry / _DAY;
        uint64 notice = u.terms.nonExtensionNoticeDays;
        return day > notice ? day - notice : 0;
    }

    /// @dev ISP98 2.06(a): an extension is due once the last day for notice passed without one, below the final expiry.
    function _extensionDue(Undertaking storage u) private view returns (bool) {
        uint64 finalExpiry = u.terms.finalExpiry;
        return
            u.terms.extensionDays != 0 &&
            !u.nonExtensionNoticed &&
            (finalExpiry == 0 || u.terms.expiry < finalExpiry) &&
            _today() > _lastNoticeDay(u);
    }

    /// @dev One stated period, capped at the final expiry.
    function _extend(uint256 undertakingId, Undertaking storage u) private {
        uint64 previous = u.terms.expiry;
        uint64 expiry = previous + uint64(u.terms.extensionDays) * _DAY;
        uint64 finalExpiry = u.terms.finalExpiry;
        if (finalExpiry != 0 && expiry > finalExpiry) expiry = finalExpiry;
        u.terms.expiry = expiry;
        emit UndertakingExtendedAutomatically(undertakingId, previous, expiry);
    }

    /// @dev The expiry day; under ISP98 3.13(a) a closed expiry day moves to the issuer's next business day.
    function _lastDemandDay(Undertaking storage u) private view returns (uint64) {
        uint64 day = u.terms.expiry / _DAY;
        if (u.terms.rules == Rules.ISP98) return _nextBusinessDay(u.terms.guarantor, day);
        return day;
    }

    function _paymentReference(uint256 undertakingId, uint256 demandId) private pure returns (bytes32) {
        return bytes32((undertakingId << 128) | demandId);
    }
}
