// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IUndertakings} from "./interfaces/IUndertakings.sol";

/**
 * @title UndertakingsDemands
 * @notice The demands under an Undertakings guarantee, counter-guarantee or standby: presentation with the
 * supporting statement, examination periods, payment or rejection, "extend or pay", preclusion and the
 * reimbursement legs (URDG 758 Art 15, 20, 23, 24; ISP98 Rules 4, 5). See {IUndertakings} for the rules, the
 * state machines, the events and the errors.
 * @dev An external library, split out of Undertakings so that both stay well under EIP-170's 24,576 bytes (as
 * LetterOfCreditDrawings is for LetterOfCredit). Undertakings delegate-calls its external functions: they run on
 * the undertakings contract's storage (its `Book`), at its address (events and Settlement legs come from
 * Undertakings, so the indexer and the SETTLER_ROLE grant see one contract) and with the caller of Undertakings
 * as `msg.sender`. The internal functions are the rules both halves share (authorization, the one undertaking
 * `transition`, amounts after the reduction schedule, dates and the automatic extension), written once here.
 */
library UndertakingsDemands {
    /// @notice Most document hashes in one demand and discrepancies in one rejection notice.
    uint256 internal constant MAX_HASHES = 32;
    /// @notice Most steps in a reduction schedule (URDG 13, 25(a)(ii); ISP98 2.06): two years of monthly steps.
    uint256 internal constant MAX_REDUCTION_STEPS = 24;
    /// @notice Business days for examination under ISP98 when the standby states none (rule 5.01(a)).
    uint8 internal constant ISP98_DEFAULT_EXAMINATION_DAYS = 3;
    /// @notice Longest suspension of an "extend or pay" demand, in calendar days after the demand (URDG 23(a)).
    uint64 internal constant EXTEND_OR_PAY_SUSPENSION_DAYS = 30;
    /// @notice Calendar days scanned for business days; past it every day counts as one (bounds gas).
    uint64 internal constant MAX_CALENDAR_SCAN_DAYS = 60;

    uint64 private constant _DAY = 86_400;

    /// @notice Everything Undertakings stores; the library works on the undertakings contract's one `Book`.
    struct Book {
        uint256 undertakingCount;
        uint256 claimCount;
        mapping(uint256 id => IUndertakings.Undertaking) undertakings;
        mapping(uint256 id => mapping(uint256 amendmentId => IUndertakings.Amendment)) amendments;
        mapping(uint256 id => mapping(uint256 demandId => IUndertakings.Demand)) demands;
        mapping(uint256 claimId => IUndertakings.ReimbursementClaim) claims;
    }

    /// @notice The contracts an undertaking works with (Undertakings' immutables).
    struct Services {
        IMembership membership;
        ISettlement settlement;
        IBankingCalendar calendar;
    }

    // ================================================================== demands

    /// @notice {IUndertakings-demand} on the undertakings contract's storage.
    function demand(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount,
        uint64 extendTo
    ) external returns (uint256 demandId) {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireBeneficiary(s, undertakingId, u);
        if (u.terms.counterGuaranteeOf != 0) revert IUndertakings.UndertakingsNotACounterGuarantee(undertakingId);
        if (extendTo != 0 && extendTo <= u.terms.expiry) {
            revert IUndertakings.UndertakingsInvalidExtension(undertakingId, extendTo, u.terms.expiry);
        }
        demandId = _present(book, s, undertakingId, u, documentHashes, statementHash, amount);
        book.demands[undertakingId][demandId].extendTo = extendTo;
        _emitPresented(book, undertakingId, demandId, documentHashes);
    }

    /// @notice {IUndertakings-demandUnderCounterGuarantee} on the undertakings contract's storage.
    function demandUnderCounterGuarantee(
        Book storage book,
        Services memory s,
        uint256 counterGuaranteeId,
        uint256 guaranteeDemandId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) external returns (uint256 demandId) {
        IUndertakings.Undertaking storage cg = undertaking(book, counterGuaranteeId);
        requireBeneficiary(s, counterGuaranteeId, cg);
        uint256 guaranteeId = cg.terms.counterGuaranteeOf;
        if (guaranteeId == 0) revert IUndertakings.UndertakingsNotACounterGuarantee(counterGuaranteeId);
        IUndertakings.Demand storage relayed = book.demands[guaranteeId][guaranteeDemandId];
        if (relayed.state != IUndertakings.DemandState.PAID || relayed.relayed || amount > relayed.amount) {
            revert IUndertakings.UndertakingsInvalidRelayedDemand(guaranteeId, guaranteeDemandId);
        }
        relayed.relayed = true;
        demandId = _present(book, s, counterGuaranteeId, cg, documentHashes, statementHash, amount);
        book.demands[counterGuaranteeId][demandId].underDemandId = guaranteeDemandId;
        _emitPresented(book, counterGuaranteeId, demandId, documentHashes);
    }

    /// @notice {IUndertakings-pay} on the undertakings contract's storage.
    function pay(Book storage book, Services memory s, uint256 undertakingId, uint256 demandId) external {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireParty(s, undertakingId, u.terms.guarantor, IUndertakings.Party.GUARANTOR);
        IUndertakings.Demand storage d = _demand(book, undertakingId, demandId);
        if (d.state != IUndertakings.DemandState.PRESENTED && d.state != IUndertakings.DemandState.SUSPENDED) {
            revert IUndertakings.UndertakingsInvalidDemandState(
                undertakingId,
                demandId,
                d.state,
                IUndertakings.DemandState.PAID
            );
        }
        _pay(book, s, undertakingId, u, demandId, d, false);
    }

    /// @notice {IUndertakings-reject} on the undertakings contract's storage.
    function reject(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        uint256 demandId,
        bytes32[] calldata discrepancies
    ) external {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireParty(s, undertakingId, u.terms.guarantor, IUndertakings.Party.GUARANTOR);
        IUndertakings.Demand storage d = _demandIn(book, undertakingId, demandId, IUndertakings.DemandState.PRESENTED);
        if (block.timestamp > d.deadline) {
            revert IUndertakings.UndertakingsPrecluded(undertakingId, demandId, d.deadline, uint64(block.timestamp));
        }
        requireHashes(discrepancies, 1);
        recordDueReductions(undertakingId, u);
        d.discrepancyCount = uint16(discrepancies.length);
        d.discrepanciesHash = keccak256(abi.encodePacked(discrepancies));
        u.reserved -= d.amount;
        --u.openDemandCount;
        _transitionDemand(book, undertakingId, demandId, IUndertakings.DemandState.REJECTED);
        emit IUndertakings.DemandRejected(undertakingId, demandId, msg.sender, discrepancies);
        exhaustIfSpent(book, undertakingId, u);
    }

    /// @notice {IUndertakings-suspendForExtension} on the undertakings contract's storage.
    function suspendForExtension(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        uint256 demandId,
        uint64 until
    ) external {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireParty(s, undertakingId, u.terms.guarantor, IUndertakings.Party.GUARANTOR);
        IUndertakings.Demand storage d = _demandIn(book, undertakingId, demandId, IUndertakings.DemandState.PRESENTED);
        if (d.extendTo == 0) revert IUndertakings.UndertakingsNotExtendOrPay(undertakingId, demandId);
        if (block.timestamp > d.deadline) {
            revert IUndertakings.UndertakingsPrecluded(undertakingId, demandId, d.deadline, uint64(block.timestamp));
        }
        uint64 latest = (d.presentedAt / _DAY + EXTEND_OR_PAY_SUSPENSION_DAYS + 1) * _DAY - 1;
        if (until <= block.timestamp || until > latest) {
            revert IUndertakings.UndertakingsInvalidSuspension(undertakingId, demandId, until, latest);
        }
        d.suspendedUntil = until;
        _transitionDemand(book, undertakingId, demandId, IUndertakings.DemandState.SUSPENDED);
        emit IUndertakings.DemandSuspended(undertakingId, demandId, until);
    }

    /// @notice {IUndertakings-extendForDemand} on the undertakings contract's storage.
    function extendForDemand(Book storage book, Services memory s, uint256 undertakingId, uint256 demandId) external {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireParty(s, undertakingId, u.terms.guarantor, IUndertakings.Party.GUARANTOR);
        IUndertakings.Demand storage d = _demandIn(book, undertakingId, demandId, IUndertakings.DemandState.SUSPENDED);
        requireOperative(undertakingId, u);
        uint64 extendTo = d.extendTo;
        if (extendTo <= u.terms.expiry) {
            revert IUndertakings.UndertakingsInvalidExtension(undertakingId, extendTo, u.terms.expiry);
        }
        u.terms.expiry = extendTo;
        u.reserved -= d.amount;
        --u.openDemandCount;
        _transitionDemand(book, undertakingId, demandId, IUndertakings.DemandState.WITHDRAWN);
        emit IUndertakings.DemandWithdrawnByExtension(undertakingId, demandId, extendTo);
    }

    /// @notice {IUndertakings-enforcePayment} on the undertakings contract's storage.
    function enforcePayment(Book storage book, Services memory s, uint256 undertakingId, uint256 demandId) external {
        IUndertakings.Undertaking storage u = undertaking(book, undertakingId);
        requireBeneficiary(s, undertakingId, u);
        IUndertakings.Demand storage d = _demand(book, undertakingId, demandId);
        bool presented = d.state == IUndertakings.DemandState.PRESENTED;
        if (!presented && d.state != IUndertakings.DemandState.SUSPENDED) {
            revert IUndertakings.UndertakingsInvalidDemandState(
                undertakingId,
                demandId,
                d.state,
                IUndertakings.DemandState.PAID
            );
        }
        uint64 until = presented ? d.deadline : d.suspendedUntil;
        if (block.timestamp <= until) {
            revert IUndertakings.UndertakingsPaymentNotYetDue(undertakingId, demandId, until, uint64(block.timestamp));
        }
        _pay(book, s, undertakingId, u, demandId, d, presented);
    }

    /// @notice {IUndertakings-settleReimbursementClaim} on the undertakings contract's storage.
    function settleReimbursementClaim(Book storage book, Services memory s, uint256 claimId) external {
        IUndertakings.ReimbursementClaim storage claim = reimbursementClaim(book, claimId);
        if (msg.sender != claim.applicant) revert IUndertakings.UndertakingsNotClaimDebtor(claimId, msg.sender);
        requireMember(s, msg.sender, IMembership.MemberKind.TRADER);
        _transitionClaim(book, claimId, IUndertakings.ClaimState.SETTLED);
        uint256 entryId = s.settlement.settleLeg(
            claim.applicant,
            claim.guarantor,
            claim.currency,
            claim.amount,
            ISettlement.PostingKind.UNDERTAKING_REIMBURSEMENT,
            paymentReference(claim.undertakingId, claim.demandId)
        );
        emit IUndertakings.ReimbursementClaimSettled(
            claimId,
            claim.undertakingId,
            claim.applicant,
            claim.guarantor,
            claim.amount,
            entryId
        );
    }

    // ================================================================== shared: state machine and lookups

    /// @dev The one undertaking transition: checks the edge against the graph, then records and announces it.
    function transition(Book storage book, uint256 undertakingId, IUndertakings.UndertakingState to) internal {
        IUndertakings.Undertaking storage u = book.undertakings[undertakingId];
        IUndertakings.UndertakingState from = u.state;
        bool ok = false;
        if (from == IUndertakings.UndertakingState.NONE) ok = to == IUndertakings.UndertakingState.APPLIED;
        else if (from == IUndertakings.UndertakingState.APPLIED) {
            ok = to == IUndertakings.UndertakingState.ISSUED || to == IUndertakings.UndertakingState.DECLINED;
        } else if (isOperative(from)) {
            ok =
                to == IUndertakings.UndertakingState.EXHAUSTED ||
                to == IUndertakings.UndertakingState.EXPIRED ||
                to == IUndertakings.UndertakingState.RELEASED ||
                (from == IUndertakings.UndertakingState.ISSUED && to == IUndertakings.UndertakingState.ADVISED);
        }
        if (!ok) revert IUndertakings.UndertakingsInvalidTransition(undertakingId, from, to);
        u.state = to;
        emit IUndertakings.UndertakingStateChanged(undertakingId, from, to);
    }

    /// @dev An operative undertaking with nothing payable and no demand open is exhausted (URDG 25(b)).
    function exhaustIfSpent(Book storage book, uint256 undertakingId, IUndertakings.Undertaking storage u) internal {
        if (isOperative(u.state) && u.openDemandCount == 0 && outstanding(u) == 0) {
            transition(book, undertakingId, IUndertakings.UndertakingState.EXHAUSTED);
        }
    }

    function undertaking(Book storage book, uint256 undertakingId)
        internal
        view
        returns (IUndertakings.Undertaking storage u)
    {
        u = book.undertakings[undertakingId];
        if (u.state == IUndertakings.UndertakingState.NONE) revert IUndertakings.UndertakingsUnknown(undertakingId);
    }

    function reimbursementClaim(Book storage book, uint256 claimId)
        internal
        view
        returns (IUndertakings.ReimbursementClaim storage claim)
    {
        claim = book.claims[claimId];
        if (claim.state == IUndertakings.ClaimState.NONE) revert IUndertakings.UndertakingsUnknownClaim(claimId);
    }

    // ================================================================== shared: authorization

    function requireMember(Services memory s, address account, IMembership.MemberKind kind) internal view {
        if (!s.membership.isActiveMember(account, kind)) {
            revert IUndertakings.UndertakingsNotActiveMember(account, uint8(kind));
        }
    }

    function requireParty(Services memory s, uint256 undertakingId, address expected, IUndertakings.Party party)
        internal
        view
    {
        if (msg.sender != expected) revert IUndertakings.UndertakingsUnauthorizedParty(undertakingId, msg.sender, party);
        requireMember(
            s,
            msg.sender,
            party == IUndertakings.Party.APPLICANT ? IMembership.MemberKind.TRADER : IMembership.MemberKind.BANK
        );
    }

    /// @dev The beneficiary: a trader, or the guarantor bank of the guarantee under a counter-guarantee.
    function requireBeneficiary(Services memory s, uint256 undertakingId, IUndertakings.Undertaking storage u)
        internal
        view
    {
        if (msg.sender != u.terms.beneficiary) {
            revert IUndertakings.UndertakingsUnauthorizedParty(undertakingId, msg.sender, IUndertakings.Party.BENEFICIARY);
        }
        requireMember(s, msg.sender, beneficiaryKind(u));
    }

    function beneficiaryKind(IUndertakings.Undertaking storage u) internal view returns (IMembership.MemberKind) {
        return u.terms.counterGuaranteeOf == 0 ? IMembership.MemberKind.TRADER : IMembership.MemberKind.BANK;
    }

    function requireOperative(uint256 undertakingId, IUndertakings.Undertaking storage u) internal view {
        if (!isOperative(u.state)) revert IUndertakings.UndertakingsNotOperative(undertakingId, u.state);
    }

    function requireHashes(bytes32[] calldata hashes, uint256 minimum) internal pure {
        uint256 count = hashes.length;
        if (count < minimum || count > MAX_HASHES) revert IUndertakings.UndertakingsInvalidHashes(count, MAX_HASHES);
        for (uint256 i = 0; i < count; ++i) {
            if (hashes[i] == bytes32(0)) revert IUndertakings.UndertakingsInvalidHashes(count, MAX_HASHES);
        }
    }

    // ================================================================== shared: amounts and dates

    function isOperative(IUndertakings.UndertakingState state) internal pure returns (bool) {
        return state == IUndertakings.UndertakingState.ISSUED || state == IUndertakings.UndertakingState.ADVISED;
    }

    /**
     * @dev What remains payable: the amount less payments, reductions and the scheduled reductions whose day has
     * come, recorded or not (the amount follows the chain's clock); never below zero, since a demand presented
     * before a reduction day stays payable in full (URDG 20, ISP98 5.01) and the reduction then takes what is left.
     */
    function outstanding(IUndertakings.Undertaking storage u) internal view returns (uint256) {
        uint256 used = u.paid + u.reduced + _dueReductions(u, today());
        uint256 amount = u.terms.amount;
        return amount > used ? amount - used : 0;
    }

    /// @dev What a new demand may ask for: outstanding less what open demands reserve.
    function available(IUndertakings.Undertaking storage u) internal view returns (uint256) {
        uint256 left = outstanding(u);
        uint256 reserved = u.reserved;
        return left > reserved ? left - reserved : 0;
    }

    /**
     * @dev Records, once each and in order, the scheduled reductions whose day has come (URDG 25(a)(ii); ISP98
     * 2.06): they took effect on their day whether recorded or not; this announces them.
     */
    function recordDueReductions(uint256 undertakingId, IUndertakings.Undertaking storage u) internal {
        IUndertakings.ReductionStep[] storage schedule = u.terms.reductionSchedule;
        uint256 length = schedule.length;
        uint64 day = today();
        uint256 amount = u.terms.amount;
        for (uint256 step = u.reductionsRecorded; step < length && schedule[step].day <= day; ++step) {
            uint256 used = u.paid + (u.reduced += schedule[step].amount);
            ++u.reductionsRecorded;
            // what remains payable once this step (and the ones before it) took effect
            uint256 left = amount > used ? amount - used : 0;
            emit IUndertakings.UndertakingReducedOnSchedule(
                undertakingId,
                step + 1,
                schedule[step].day,
                schedule[step].amount,
                left
            );
        }
    }

    function today() internal view returns (uint64) {
        return uint64(block.timestamp / _DAY);
    }

    /// @dev The last day on which the issuer may give notice of non-extension: the stated days before expiry.
    function lastNoticeDay(IUndertakings.Undertaking storage u) internal view returns (uint64) {
        uint64 day = u.terms.expiry / _DAY;
        uint64 notice = u.terms.nonExtensionNoticeDays;
        return day > notice ? day - notice : 0;
    }

    /// @dev An extension is due once the last day for notice passed without one, below the final expiry
    /// (ISP98 2.06(a); URDG 758 by the guarantee's own terms).
    function extensionDue(IUndertakings.Undertaking storage u) internal view returns (bool) {
        uint64 finalExpiry = u.terms.finalExpiry;
        return
            u.terms.extensionDays != 0 &&
            !u.nonExtensionNoticed &&
            (finalExpiry == 0 || u.terms.expiry < finalExpiry) &&
            today() > lastNoticeDay(u);
    }

    /// @dev One stated period, capped at the final expiry.
    function extend(uint256 undertakingId, IUndertakings.Undertaking storage u) internal {
        uint64 previous = u.terms.expiry;
        uint64 expiry = previous + uint64(u.terms.extensionDays) * _DAY;
        uint64 finalExpiry = u.terms.finalExpiry;
        if (finalExpiry != 0 && expiry > finalExpiry) expiry = finalExpiry;
        u.terms.expiry = expiry;
        emit IUndertakings.UndertakingExtendedAutomatically(undertakingId, previous, expiry);
    }

    /// @dev The expiry day; under ISP98 3.13(a) a closed expiry day moves to the issuer's next business day.
    function lastDemandDay(Services memory s, IUndertakings.Undertaking storage u) internal view returns (uint64) {
        uint64 day = u.terms.expiry / _DAY;
        if (u.terms.rules == IUndertakings.Rules.ISP98) return s.calendar.nextBankingDay(u.terms.guarantor, day);
        return day;
    }

    function paymentReference(uint256 undertakingId, uint256 demandId) internal pure returns (bytes32) {
        return bytes32((undertakingId << 128) | demandId);
    }

    // ================================================================== private: demands and payment

    function _present(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        IUndertakings.Undertaking storage u,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) private returns (uint256 demandId) {
        requireOperative(undertakingId, u);
        // ISP98 2.06(a): an extension that took effect without notice stands whether or not it was recorded yet;
        // so does a scheduled reduction: the demand is examined against the amount as reduced today.
        while (extensionDue(u)) extend(undertakingId, u);
        recordDueReductions(undertakingId, u);
        uint64 day = today();
        uint64 lastDay = lastDemandDay(s, u);
        if (day > lastDay) revert IUndertakings.UndertakingsDemandAfterExpiry(undertakingId, day, lastDay);
        requireHashes(documentHashes, 0);
        // URDG 15(a)/(b): the supporting statement, unless the undertaking expressly excludes it.
        if (u.terms.rules == IUndertakings.Rules.URDG_758 && !u.terms.statementExcluded && statementHash == bytes32(0)) {
            revert IUndertakings.UndertakingsDemandUnsupported(undertakingId);
        }
        if (amount == 0) revert IUndertakings.UndertakingsInvalidAmount(amount);
        uint256 left = available(u);
        if (amount > left) revert IUndertakings.UndertakingsDemandExceedsAvailable(undertakingId, amount, left);

        u.reserved += amount;
        ++u.openDemandCount;
        demandId = ++u.demandCount;
        IUndertakings.Demand storage d = book.demands[undertakingId][demandId];
        d.amount = amount;
        d.statementHash = statementHash;
        d.documentsHash = keccak256(abi.encodePacked(documentHashes));
        d.documentCount = uint16(documentHashes.length);
        d.presentedAt = uint64(block.timestamp);
        address guarantor = u.terms.guarantor;
        uint64 presentationDay = s.calendar.nextBankingDay(guarantor, day);
        d.presentationDay = presentationDay;
        d.deadline = _examinationDeadline(s, u, guarantor, presentationDay);
        _transitionDemand(book, undertakingId, demandId, IUndertakings.DemandState.PRESENTED);
    }

    function _emitPresented(
        Book storage book,
        uint256 undertakingId,
        uint256 demandId,
        bytes32[] calldata documentHashes
    ) private {
        IUndertakings.Demand storage d = book.demands[undertakingId][demandId];
        emit IUndertakings.DemandPresented(
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

    function _pay(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        IUndertakings.Undertaking storage u,
        uint256 demandId,
        IUndertakings.Demand storage d,
        bool precluded
    ) private {
        uint256 amount = d.amount;
        address guarantor = u.terms.guarantor;
        address beneficiary = u.terms.beneficiary;
        bytes3 currency = u.terms.currency;
        bytes32 ref = paymentReference(undertakingId, demandId);

        // Effects first: the demand's amount moves from reserved to paid and the demand is final.
        recordDueReductions(undertakingId, u);
        u.reserved -= amount;
        u.paid += amount;
        --u.openDemandCount;
        d.precluded = precluded;
        _transitionDemand(book, undertakingId, demandId, IUndertakings.DemandState.PAID);
        exhaustIfSpent(book, undertakingId, u);

        // The guarantor pays; if this leg fails the whole payment reverts.
        uint256 entryId = s.settlement.settleLeg(
            guarantor,
            beneficiary,
            currency,
            amount,
            ISettlement.PostingKind.UNDERTAKING_PAYMENT,
            ref
        );
        emit IUndertakings.DemandPaid(undertakingId, demandId, beneficiary, amount, entryId, precluded);

        // A guarantee backed by a counter-guarantee is reimbursed through a demand under it (URDG 15(b)).
        if (u.counterGuaranteeId == 0) {
            _reimburse(book, s, undertakingId, demandId, d, u.applicant, guarantor, currency, amount, ref);
        }
    }

    function _reimburse(
        Book storage book,
        Services memory s,
        uint256 undertakingId,
        uint256 demandId,
        IUndertakings.Demand storage d,
        address applicant,
        address guarantor,
        bytes3 currency,
        uint256 amount,
        bytes32 ref
    ) private {
        if (s.settlement.balanceOf(applicant, currency) >= amount) {
            try
                s.settlement.settleLeg(
                    applicant,
                    guarantor,
                    currency,
                    amount,
                    ISettlement.PostingKind.UNDERTAKING_REIMBURSEMENT,
                    ref
                )
            returns (uint256 entryId) {
                emit IUndertakings.ReimbursementSettled(undertakingId, demandId, applicant, guarantor, amount, entryId);
                return;
            } catch {
                // fall through: the applicant's account could not be debited, so the guarantor holds a claim
            }
        }
        uint256 claimId = ++book.claimCount;
        IUndertakings.ReimbursementClaim storage claim = book.claims[claimId];
        claim.undertakingId = undertakingId;
        claim.demandId = demandId;
        claim.guarantor = guarantor;
        claim.applicant = applicant;
        claim.currency = currency;
        claim.amount = amount;
        d.claimId = claimId;
        _transitionClaim(book, claimId, IUndertakings.ClaimState.OPEN);
        emit IUndertakings.ReimbursementClaimOpened(
            claimId,
            undertakingId,
            applicant,
            demandId,
            guarantor,
            currency,
            amount
        );
    }

    /// @dev The one demand transition (see the graph in {IUndertakings}).
    function _transitionDemand(
        Book storage book,
        uint256 undertakingId,
        uint256 demandId,
        IUndertakings.DemandState to
    ) private {
        IUndertakings.Demand storage d = book.demands[undertakingId][demandId];
        IUndertakings.DemandState from = d.state;
        bool ok = false;
        if (from == IUndertakings.DemandState.NONE) ok = to == IUndertakings.DemandState.PRESENTED;
        else if (from == IUndertakings.DemandState.PRESENTED) {
            ok =
                to == IUndertakings.DemandState.PAID ||
                to == IUndertakings.DemandState.REJECTED ||
                to == IUndertakings.DemandState.SUSPENDED;
        } else if (from == IUndertakings.DemandState.SUSPENDED) {
            ok = to == IUndertakings.DemandState.PAID || to == IUndertakings.DemandState.WITHDRAWN;
        }
        if (!ok) revert IUndertakings.UndertakingsInvalidDemandState(undertakingId, demandId, from, to);
        d.state = to;
    }

    /// @dev The one claim transition: NONE -> OPEN -> SETTLED.
    function _transitionClaim(Book storage book, uint256 claimId, IUndertakings.ClaimState to) private {
        IUndertakings.ReimbursementClaim storage claim = book.claims[claimId];
        IUndertakings.ClaimState from = claim.state;
        bool ok = (from == IUndertakings.ClaimState.NONE && to == IUndertakings.ClaimState.OPEN) ||
            (from == IUndertakings.ClaimState.OPEN && to == IUndertakings.ClaimState.SETTLED);
        if (!ok) revert IUndertakings.UndertakingsInvalidClaimState(claimId, from, to);
        claim.state = to;
    }

    function _demand(Book storage book, uint256 undertakingId, uint256 demandId)
        private
        view
        returns (IUndertakings.Demand storage d)
    {
        d = book.demands[undertakingId][demandId];
        if (d.state == IUndertakings.DemandState.NONE) {
            revert IUndertakings.UndertakingsUnknownDemand(undertakingId, demandId);
        }
    }

    function _demandIn(Book storage book, uint256 undertakingId, uint256 demandId, IUndertakings.DemandState expected)
        private
        view
        returns (IUndertakings.Demand storage d)
    {
        d = _demand(book, undertakingId, demandId);
        if (d.state != expected) {
            revert IUndertakings.UndertakingsInvalidDemandState(undertakingId, demandId, d.state, expected);
        }
    }

    /// @dev URDG 20(a): the calendar's five business days; ISP98 5.01(a): the standby's 3..7 business days.
    function _examinationDeadline(
        Services memory s,
        IUndertakings.Undertaking storage u,
        address bank,
        uint64 presentationDay
    ) private view returns (uint64) {
        if (u.terms.rules == IUndertakings.Rules.URDG_758) return s.calendar.examinationDeadline(bank, presentationDay);
        uint64 wanted = u.terms.examinationDays == 0 ? ISP98_DEFAULT_EXAMINATION_DAYS : u.terms.examinationDays;
        uint64 day = presentationDay;
        uint64 counted = 0;
        for (uint64 i = 0; i < MAX_CALENDAR_SCAN_DAYS && counted < wanted; ++i) {
            ++day;
            if (s.calendar.isBankingDay(bank, day)) ++counted;
        }
        day += wanted - counted; // only if the scan ran out: remaining days count as business days
        return (day + 1) * _DAY - 1;
    }

    /// @dev Sum of the scheduled reductions not yet recorded whose day is `day` or earlier.
    function _dueReductions(IUndertakings.Undertaking storage u, uint64 day) private view returns (uint256 sum) {
        IUndertakings.ReductionStep[] storage schedule = u.terms.reductionSchedule;
        uint256 length = schedule.length;
        for (uint256 step = u.reductionsRecorded; step < length && schedule[step].day <= day; ++step) {
            sum += schedule[step].amount;
        }
    }
}
