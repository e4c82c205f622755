// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IUndertakings
 * @notice Independent undertakings that are not documentary credits: demand guarantees and counter-guarantees
 * under URDG 758 (ICC Publication No. 758) and standby letters of credit under ISP98 (ICC Publication No. 590).
 * They share the LC's parties (Membership kinds: the guarantor / issuer and an advising party are banks; the
 * applicant is a trader; the beneficiary is a trader, or a bank for a counter-guarantee), its banking calendar
 * ({IBankingCalendar}) and its settlement legs (Settlement.settleLeg).
 *
 * Four state machines, each changed only through its own internal `_transition`:
 *
 * Undertaking: NONE -applyForUndertaking(APP)-> APPLIED -issue(G)-> ISSUED -advise(AP)-> ADVISED
 *              NONE -issueUndertaking(G, directly)-> ISSUED;  APPLIED -declineApplication(G)-> DECLINED
 *              {ISSUED|ADVISED} (= operative) -payments and reductions leave nothing payable-> EXHAUSTED
 *              operative -expire(any party, after the expiry day) or expireOnEvent(G, URDG 25(a)(ii))-> EXPIRED
 *              operative -release(BEN, URDG 25(a)(iii))-> RELEASED
 *              Reductions (reduce(G) on a stated event, URDG 13; releaseInPart(BEN), URDG 25; the reduction
 *              schedule's steps, recordScheduledReductions(any party) or with a demand, payment or rejection)
 *              keep the state until nothing is payable and no demand is open (-> EXHAUSTED).
 *              The automatic extension (ISP98 2.06(a); extendAutomatically(any party), or with a demand)
 *              and the issuer's notice of non-extension (noticeNonExtension(G)) keep the state too.
 *              Terminal: DECLINED, EXHAUSTED, EXPIRED, RELEASED. A demand presented before expiry stays
 *              examinable and payable after it (URDG 20, 24(f); ISP98 5.01, 5.03).
 * Amendment:   NONE -issueAmendment(G)-> ISSUED -acceptAmendment(BEN, every change)-> ACCEPTED
 *              ISSUED -rejectAmendment(BEN) or partial acceptance (URDG 11(e))-> REJECTED
 * Demand:      NONE -demand(BEN) | demandUnderCounterGuarantee(G of the guarantee)-> PRESENTED
 *              PRESENTED -pay(G) | enforcePayment(BEN, after the examination deadline: preclusion)-> PAID
 *              PRESENTED -reject(G, one notice listing every discrepancy, by the deadline, URDG 24(d))-> REJECTED
 *              PRESENTED -suspendForExtension(G, "extend or pay", URDG 23(a))-> SUSPENDED
 *              SUSPENDED -pay(G) | enforcePayment(BEN, after the suspension, URDG 23(d))-> PAID
 *              SUSPENDED -extendForDemand(G, the requested extension granted, URDG 23(c))-> WITHDRAWN
 * Claim:       NONE -(payment while the applicant's balance is short)-> OPEN -settleReimbursementClaim(APP)-> SETTLED
 *
 * Periods (documented decisions):
 * - URDG 758: examination within five business days following the day of presentation (URDG 20(a)); the
 *   rejection notice by the close of the fifth business day (24(d)); the calendar's `examinationDeadline`.
 * - ISP98: rule 5.01(a) deems notice within three business days not unreasonable and beyond seven business
 *   days unreasonable. A standby states its examination period in business days, 3 to 7 (0 = 3, the period
 *   that is never unreasonable); the deadline is the end of that business day following presentation.
 * - A demand on a day the guarantor is closed counts from its next business day (as presentations under the LC).
 * - Automatic extension (ISP98 2.06(a)): a standby may state that its expiry extends by `extensionDays` calendar
 *   days unless the issuer gives notice of non-extension at least `nonExtensionNoticeDays` days before the current
 *   expiry day, up to `finalExpiry` (0: none). Once the last day for that notice has passed without it, the
 *   extension has taken effect without notice or consent: anyone party to it records it (the service's
 *   scheduler does), a demand records it first, and the standby cannot be expired on the old date. A guarantee
 *   under URDG 758 may state one as well: URDG 758 has no rule on automatic extension and applies subject to the
 *   guarantee's own terms (Art 1(a)); the extension is then a term of the guarantee as issued, not an amendment
 *   needing the beneficiary's consent (Art 11), and the guarantor stops it by its notice as the terms state.
 * - Reduction schedule (URDG 13, 25(a)(ii); ISP98 2.06 and the standby's terms): each step reduces the amount on
 *   its day, whether or not anyone records it: outstanding and available amounts follow the chain's clock, and a
 *   new demand is examined against the reduced amount. A demand presented before a step's day stays payable in
 *   full; the step then reduces what is left. Each step is recorded once (UndertakingReducedOnSchedule), by any
 *   party (the service's scheduler does) or first thing in a demand, payment or rejection.
 * - Expiry: an undertaking with no expiry date terminates three years after issue (URDG 25(c)); a
 *   counter-guarantee with none, thirty calendar days after its guarantee's expiry date (URDG 25(c)). A standby
 *   must state an expiry date (ISP98 9.01); if it falls on a day the issuer is closed, a demand on its next
 *   business day is timely (ISP98 3.13(a)). URDG 758 has no such roll-over: the expiry date stands.
 *
 * Money: the guarantor pays the beneficiary through Settlement (UNDERTAKING_PAYMENT) and the payment must
 * succeed or the whole call reverts; the applicant reimburses the guarantor in a separate leg that never
 * blocks payment (UNDERTAKING_REIMBURSEMENT; a claim when its funds are short). A guarantee supported by a
 * counter-guarantee is reimbursed through a demand under the counter-guarantee (URDG 15(b)) instead of by the
 * applicant. Every leg's reference is `paymentReference(undertakingId, demandId)`.
 *
 * Abbreviations: APP applicant, BEN beneficiary, G guarantor (issuer), AP advising party.
 */
interface IUndertakings {
    // ------------------------------------------------------------------ types

    /// @notice The rules an undertaking is subject to.
    enum Rules {
        URDG_758,
        ISP98
    }

    /// @notice Life-cycle state of an undertaking.
    enum UndertakingState {
        NONE,
        APPLIED,
        ISSUED,
        ADVISED,
        EXHAUSTED,
        EXPIRED,
        RELEASED,
        DECLINED
    }

    /// @notice State of an amendment.
    enum AmendmentState {
        NONE,
        ISSUED,
        ACCEPTED,
        REJECTED
    }

    /// @notice State of a demand for payment.
    enum DemandState {
        NONE,
        PRESENTED,
        SUSPENDED,
        PAID,
        REJECTED,
        WITHDRAWN
    }

    /// @notice State of the guarantor's reimbursement claim on the applicant.
    enum ClaimState {
        NONE,
        OPEN,
        SETTLED
    }

    /// @notice Role a party plays in one undertaking (object-level authorization).
    enum Party {
        APPLICANT,
        BENEFICIARY,
        GUARANTOR,
        ADVISING_PARTY
    }

    /**
     * @notice One step of a reduction schedule: from the start of UTC day `day` (`timestamp / 86400`) the amount
     * is reduced by `amount` (URDG 758 Art 13 and 25(a)(ii): "by the amount specified in the guarantee on a
     * specified date"; ISP98 Rule 2.06 and the standby's terms).
     */
    struct ReductionStep {
        uint64 day;
        uint256 amount;
    }

    /**
     * @notice The on-chain part of an undertaking's terms; the rest is off chain behind `termsHash`.
     * @dev `advisingParty` address(0): none. `expiry` 0: no expiry date (URDG 25(c); not allowed under ISP98).
     * `expiryEvent` 0: no expiry event; otherwise the hash of the event's description in the terms.
     * `examinationDays`: ISP98 only, 3..7 business days (0 = 3); must be 0 under URDG 758 (five business days).
     * `statementExcluded`: the undertaking expressly excludes the supporting statement of URDG 15(a)/(b).
     * `reducible`: the undertaking provides for reductions on stated events (URDG 13).
     * `counterGuaranteeOf`: non-zero makes this a counter-guarantee supporting that guarantee (URDG 2).
     * `extensionDays`: non-zero states an automatic extension of the expiry by that many calendar days
     * (ISP98 2.06(a)) unless the issuer gives notice of non-extension `nonExtensionNoticeDays` (at least one)
     * days before the current expiry day; `finalExpiry` non-zero: no extension beyond it. A guarantee under URDG 758
     * may state one too (its own terms, not an amendment).
     * `reductionSchedule`: reductions on stated days, in strictly increasing days after today, each positive, at
     * most 24 steps, together no more than `amount`; each takes effect on its day, recorded or not.
     */
    struct UndertakingTerms {
        bytes32 termsHash;
        Rules rules;
        address beneficiary;
        address guarantor;
        address advisingParty;
        bytes3 currency;
        uint256 amount;
        uint64 expiry;
        bytes32 expiryEvent;
        uint8 examinationDays;
        bool statementExcluded;
        bool reducible;
        uint256 counterGuaranteeOf;
        uint16 extensionDays;
        uint16 nonExtensionNoticeDays;
        uint64 finalExpiry;
        ReductionStep[] reductionSchedule;
    }

    /// @notice An undertaking as stored: its current terms (accepted amendments and automatic extensions applied)
    /// and its utilisation; `nonExtensionNoticed`: the issuer gave notice of non-extension (ISP98 2.06(a));
    /// `reductionsRecorded`: how many steps of the reduction schedule are recorded (counted in `reduced`).
    struct Undertaking {
        UndertakingTerms terms;
        address applicant;
        UndertakingState state;
        uint64 issuedAt;
        uint256 paid;
        uint256 reduced;
        uint256 reserved;
        uint256 counterGuaranteeId;
        uint32 amendmentCount;
        uint32 demandCount;
        uint32 openDemandCount;
        bytes32 expiryEventDocument;
        bool nonExtensionNoticed;
        uint32 reductionsRecorded;
    }

    /// @notice Amendment flag: the amount changes.
    /// @dev Flags: 1 amount, 2 expiry.
    struct AmendmentTerms {
        uint8 fields;
        uint256 amount;
        uint64 expiry;
    }

    /// @notice An amendment (URDG 11, ISP98 2.06): binding on the guarantor once issued, on the beneficiary
    /// only once it accepts every change.
    struct Amendment {
        AmendmentTerms changes;
        bytes32 amendmentHash;
        AmendmentState state;
        uint64 issuedAt;
        uint64 decidedAt;
    }

    /**
     * @notice A demand for payment (URDG 15, ISP98 4.16).
     * @dev `extendTo` non-zero: an "extend or pay" demand asking, as the alternative, for the expiry to be
     * extended to that date (URDG 23). `underDemandId` non-zero: a demand under a counter-guarantee relaying
     * that paid demand under the guarantee. `relayed`: a guarantee demand already relayed under its
     * counter-guarantee.
     */
    struct Demand {
        uint256 amount;
        bytes32 statementHash;
        bytes32 documentsHash;
        uint16 documentCount;
        DemandState state;
        uint64 presentedAt;
        uint64 presentationDay;
        uint64 deadline;
        uint64 extendTo;
        uint64 suspendedUntil;
        uint16 discrepancyCount;
        bytes32 discrepanciesHash;
        bool precluded;
        bool relayed;
        uint256 underDemandId;
        uint256 claimId;
    }

    /// @notice The guarantor's reimbursement claim on the applicant for one payment.
    struct ReimbursementClaim {
        uint256 undertakingId;
        uint256 demandId;
        address guarantor;
        address applicant;
        bytes3 currency;
        ClaimState state;
        uint256 amount;
    }

    // ------------------------------------------------------------------ events

    /// @notice The undertaking moved from `from` to `to` (emitted by the one transition, with every change).
    event UndertakingStateChanged(uint256 indexed undertakingId, UndertakingState from, UndertakingState to);

    /// @notice An undertaking was created: applied for (`direct` false) or issued directly by the guarantor.
    event UndertakingCreated(
        uint256 indexed undertakingId,
        address indexed applicant,
        address indexed guarantor,
        bool direct,
        UndertakingTerms terms
    );

    /// @notice The guarantor issued the undertaking; `expiry` is the effective expiry date (URDG 25(c)).
    event UndertakingIssued(
        uint256 indexed undertakingId,
        address indexed guarantor,
        address indexed beneficiary,
        uint64 expiry
    );

    /// @notice A counter-guarantee now supports the guarantee (URDG 2).
    event CounterGuaranteeLinked(uint256 indexed guaranteeId, uint256 indexed counterGuaranteeId);

    /// @notice The guarantor declined the application.
    event UndertakingDeclined(uint256 indexed undertakingId, address indexed guarantor);

    /// @notice The advising party advised the undertaking to the beneficiary (URDG 10).
    event UndertakingAdvised(uint256 indexed undertakingId, address indexed advisingParty, address indexed beneficiary);

    /// @notice The guarantor issued an amendment (binding on it from now on).
    event AmendmentIssued(
        uint256 indexed undertakingId,
        uint256 indexed amendmentId,
        address indexed guarantor,
        bytes32 amendmentHash,
        AmendmentTerms changes
    );

    /// @notice The beneficiary accepted every change; the undertaking's terms changed now.
    event AmendmentAccepted(uint256 indexed undertakingId, uint256 indexed amendmentId, address indexed beneficiary);

    /// @notice The beneficiary rejected the amendment (`partialAcceptance`: it accepted only part of it, URDG 11(e)).
    event AmendmentRejected(
        uint256 indexed undertakingId,
        uint256 indexed amendmentId,
        address indexed beneficiary,
        bool partialAcceptance
    );

    /// @notice A demand was presented; `deadline` is the last second for paying or rejecting it.
    event DemandPresented(
        uint256 indexed undertakingId,
        uint256 indexed demandId,
        address indexed beneficiary,
        uint256 amount,
        bytes32 statementHash,
        bytes32[] documentHashes,
        uint64 presentationDay,
        uint64 deadline,
        uint64 extendTo,
        uint256 underDemandId
    );

    /// @notice The guarantor suspended payment of an "extend or pay" demand until `until` (URDG 23(a)).
    event DemandSuspended(uint256 indexed undertakingId, uint256 indexed demandId, uint64 until);

    /// @notice The requested extension was granted: the expiry is now `expiry` and the demand is withdrawn (23(c)).
    event DemandWithdrawnByExtension(uint256 indexed undertakingId, uint256 indexed demandId, uint64 expiry);

    /// @notice The guarantor paid the demand (`precluded`: enforced by the beneficiary after a deadline).
    event DemandPaid(
        uint256 indexed undertakingId,
        uint256 indexed demandId,
        address indexed beneficiary,
        uint256 amount,
        uint256 entryId,
        bool precluded
    );

    /// @notice The guarantor rejected the demand with its one notice listing every discrepancy (URDG 24(d)).
    event DemandRejected(
        uint256 indexed undertakingId,
        uint256 indexed demandId,
        address indexed guarantor,
        bytes32[] discrepancies
    );

    /// @notice The applicant reimbursed the guarantor for a payment, in the same transaction.
    event ReimbursementSettled(
        uint256 indexed undertakingId,
        uint256 indexed demandId,
        address indexed applicant,
        address guarantor,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The applicant's balance was short: the guarantor holds a claim on it.
    event ReimbursementClaimOpened(
        uint256 indexed claimId,
        uint256 indexed undertakingId,
        address indexed applicant,
        uint256 demandId,
        address guarantor,
        bytes3 currency,
        uint256 amount
    );

    /// @notice The applicant settled a reimbursement claim.
    event ReimbursementClaimSettled(
        uint256 indexed claimId,
        uint256 indexed undertakingId,
        address indexed applicant,
        address guarantor,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The amount was reduced by `amount` on a stated reduction event evidenced by `documentHash` (URDG 13).
    event UndertakingReduced(uint256 indexed undertakingId, uint256 amount, bytes32 documentHash, uint256 outstanding);

    /// @notice Step `step` (1-based) of the reduction schedule took effect on `day`: the amount is reduced by
    /// `amount` and `outstanding` remains payable (URDG 25(a)(ii), ISP98 2.06).
    event UndertakingReducedOnSchedule(
        uint256 indexed undertakingId,
        uint256 step,
        uint64 day,
        uint256 amount,
        uint256 outstanding
    );

    /// @notice The beneficiary released the guarantor from `amount` of its liability by a signed document
    /// (`documentHash`); the undertaking stays operative for what remains (URDG 25, reduction by release).
    event UndertakingReleasedInPart(
        uint256 indexed undertakingId,
        address indexed beneficiary,
        uint256 amount,
        bytes32 documentHash,
        uint256 outstanding
    );

    /// @notice The standby's expiry extended automatically from `previousExpiry` to `expiry`, as it states
    /// (ISP98 2.06(a)): the last day for the issuer's notice of non-extension passed without one.
    event UndertakingExtendedAutomatically(uint256 indexed undertakingId, uint64 previousExpiry, uint64 expiry);

    /// @notice The issuer gave notice of non-extension: the standby expires on `expiry` (ISP98 2.06(a)).
    event NonExtensionNoticeGiven(uint256 indexed undertakingId, address indexed guarantor, uint64 expiry);

    /// @notice The undertaking expired on its expiry date (`lastDay`) or on its expiry event (`eventDocument`).
    event UndertakingExpired(uint256 indexed undertakingId, uint64 lastDay, bytes32 eventDocument);

    /// @notice The beneficiary released the guarantor from its liability (URDG 25(a)(iii)).
    event UndertakingReleased(uint256 indexed undertakingId, address indexed beneficiary);

    // ------------------------------------------------------------------ errors

    /// @notice No undertaking has this id.
    error UndertakingsUnknown(uint256 undertakingId);

    /// @notice No amendment has this id under the undertaking.
    error UndertakingsUnknownAmendment(uint256 undertakingId, uint256 amendmentId);

    /// @notice No demand has this id under the undertaking.
    error UndertakingsUnknownDemand(uint256 undertakingId, uint256 demandId);

    /// @notice No reimbursement claim has this id.
    error UndertakingsUnknownClaim(uint256 claimId);

    /// @notice `account` is not an active member of kind `kind` (IMembership.MemberKind).
    error UndertakingsNotActiveMember(address account, uint8 kind);

    /// @notice The caller does not play `party` in the undertaking.
    error UndertakingsUnauthorizedParty(uint256 undertakingId, address caller, Party party);

    /// @notice The caller is no party to the undertaking.
    error UndertakingsNotAParty(uint256 undertakingId, address caller);

    /// @notice Only the applicant that owes the claim settles it.
    error UndertakingsNotClaimDebtor(uint256 claimId, address caller);

    /// @notice The undertaking is in `current`, not in `expected`.
    error UndertakingsInvalidState(uint256 undertakingId, UndertakingState current, UndertakingState expected);

    /// @notice The undertaking is not operative (issued or advised).
    error UndertakingsNotOperative(uint256 undertakingId, UndertakingState current);

    /// @notice The transition is not an edge of the undertaking state machine.
    error UndertakingsInvalidTransition(uint256 undertakingId, UndertakingState from, UndertakingState to);

    /// @notice The amendment cannot move from `current` to `target`.
    error UndertakingsInvalidAmendmentState(
        uint256 undertakingId,
        uint256 amendmentId,
        AmendmentState current,
        AmendmentState target
    );

    /// @notice The demand cannot move from `current` to `target`.
    error UndertakingsInvalidDemandState(uint256 undertakingId, uint256 demandId, DemandState current, DemandState target);

    /// @notice The claim cannot move from `current` to `target`.
    error UndertakingsInvalidClaimState(uint256 claimId, ClaimState current, ClaimState target);

    /// @notice Terms and amendments carry a non-zero hash.
    error UndertakingsEmptyTermsHash();

    /// @notice Currency codes are three upper-case ASCII letters (ISO 4217).
    error UndertakingsInvalidCurrency(bytes3 currency);

    /// @notice Amounts are positive minor units.
    error UndertakingsInvalidAmount(uint256 amount);

    /// @notice The expiry date is not in the future, or a standby states none (ISP98 9.01).
    error UndertakingsInvalidExpiry(uint64 expiry, uint64 now_);

    /// @notice The party is not allowed in this role (e.g. the beneficiary is the applicant or the guarantor).
    error UndertakingsInvalidParty(Party party, address account);

    /// @notice The examination period is outside the rules (URDG: must be 0; ISP98: 0 or 3..7 business days).
    error UndertakingsInvalidExaminationPeriod(uint8 days_);

    /// @notice The counter-guarantee does not fit the guarantee it would support (URDG 2).
    error UndertakingsInvalidCounterGuarantee(uint256 guaranteeId, uint256 counterGuaranteeOf);

    /// @notice An amendment flags fields that do not exist.
    error UndertakingsInvalidAmendmentFields(uint8 fields);

    /// @notice The amended amount would fall below what is paid, reduced or under demand.
    error UndertakingsAmendmentBelowUtilisation(uint256 undertakingId, uint256 amount, uint256 utilised);

    /// @notice A document or discrepancy list is too long, or an element is zero.
    error UndertakingsInvalidHashes(uint256 count, uint256 maximum);

    /// @notice The demand lacks the supporting statement of URDG 15(a)/(b).
    error UndertakingsDemandUnsupported(uint256 undertakingId);

    /// @notice The demand exceeds what remains available under the undertaking.
    error UndertakingsDemandExceedsAvailable(uint256 undertakingId, uint256 amount, uint256 available);

    /// @notice A demand after the last day for demands (the expiry day, extended under ISP98 3.13(a)).
    error UndertakingsDemandAfterExpiry(uint256 undertakingId, uint64 today, uint64 lastDay);

    /// @notice The requested extension of an "extend or pay" demand is not later than the expiry.
    error UndertakingsInvalidExtension(uint256 undertakingId, uint64 extendTo, uint64 expiry);

    /// @notice A counter-guarantee demand must relay a paid, not yet relayed, demand under the guarantee,
    /// for no more than was paid (URDG 15(b)).
    error UndertakingsInvalidRelayedDemand(uint256 guaranteeId, uint256 demandId);

    /// @notice The function applies to counter-guarantees only, or to undertakings that are not one.
    error UndertakingsNotACounterGuarantee(uint256 undertakingId);

    /// @notice The examination deadline passed: the guarantor can no longer reject or suspend (URDG 24(f), ISP98 5.03).
    error UndertakingsPrecluded(uint256 undertakingId, uint256 demandId, uint64 deadline, uint64 now_);

    /// @notice Payment cannot be enforced before `until` (the examination deadline or the end of a suspension).
    error UndertakingsPaymentNotYetDue(uint256 undertakingId, uint256 demandId, uint64 until, uint64 now_);

    /// @notice Only an "extend or pay" demand may be suspended or withdrawn by extension (URDG 23).
    error UndertakingsNotExtendOrPay(uint256 undertakingId, uint256 demandId);

    /// @notice A suspension ends after now and no later than thirty calendar days after the demand (URDG 23(a)).
    error UndertakingsInvalidSuspension(uint256 undertakingId, uint256 demandId, uint64 until, uint64 latest);

    /// @notice The undertaking does not state a reduction clause (URDG 13) or an expiry event.
    error UndertakingsNotProvided(uint256 undertakingId);

    /// @notice A reduction larger than what is available (outstanding and not under demand).
    error UndertakingsReductionExceedsAvailable(uint256 undertakingId, uint256 amount, uint256 available);

    /// @notice The undertaking has not expired yet: demands are possible until the end of `lastDay`.
    error UndertakingsNotExpired(uint256 undertakingId, uint64 lastDay, uint64 today);

    /// @notice The automatic extension terms are inconsistent (a notice period of at least one day, shorter than
    /// the period; a final expiry after the expiry), or stated only in part.
    error UndertakingsInvalidAutoExtension(Rules rules, uint16 extensionDays, uint16 noticeDays, uint64 finalExpiry);

    /// @notice No automatic extension is due: none stated, notice of non-extension given, the final expiry
    /// reached, or the last day for notice (`lastNoticeDay`) not yet passed.
    error UndertakingsExtensionNotDue(uint256 undertakingId, uint64 lastNoticeDay, uint64 today);

    /// @notice The standby has extended automatically (its last day for notice passed): record the extension first.
    error UndertakingsExtensionDue(uint256 undertakingId, uint64 expiry);

    /// @notice Notice of non-extension after its last day (`lastNoticeDay`).
    error UndertakingsNonExtensionNoticeLate(uint256 undertakingId, uint64 lastNoticeDay, uint64 today);

    /// @notice The issuer gave notice of non-extension already.
    error UndertakingsNonExtensionAlreadyNoticed(uint256 undertakingId);

    /// @notice Step `step` (1-based) of a reduction schedule: its day is not after the previous step's (or today),
    /// its amount is zero, the steps together exceed the amount, or there are more than 24 steps.
    error UndertakingsInvalidReductionSchedule(uint256 step, uint64 day, uint256 amount);

    /// @notice No scheduled reduction is due: the next one (`nextDay`, 0: none left) is after `today`.
    error UndertakingsReductionNotDue(uint256 undertakingId, uint64 nextDay, uint64 today);

    /// @notice Open demands must be decided first.
    error UndertakingsOpenDemands(uint256 undertakingId, uint256 count);

    // ------------------------------------------------------------------ functions: life cycle

    /// @notice The applicant (an active TRADER) applies to the guarantor for an undertaking.
    /// @return undertakingId the new undertaking
    function applyForUndertaking(UndertakingTerms calldata terms) external returns (uint256 undertakingId);

    /// @notice The guarantor issues an undertaking on the applicant's behalf without an application on chain.
    /// @return undertakingId the new undertaking (ISSUED)
    function issueUndertaking(UndertakingTerms calldata terms, address applicant)
        external
        returns (uint256 undertakingId);

    /// @notice The guarantor issues an applied-for undertaking (APPLIED -> ISSUED).
    function issue(uint256 undertakingId) external;

    /// @notice The guarantor declines an application (APPLIED -> DECLINED).
    function declineApplication(uint256 undertakingId) external;

    /// @notice The advising party advises the undertaking (ISSUED -> ADVISED).
    function advise(uint256 undertakingId) external;

    /// @notice The guarantor issues an amendment; the terms change only when the beneficiary accepts it.
    /// @return amendmentId the amendment's id under the undertaking
    function issueAmendment(uint256 undertakingId, bytes32 amendmentHash, AmendmentTerms calldata changes)
        external
        returns (uint256 amendmentId);

    /// @notice The beneficiary accepts the amendment; accepting other than every change rejects it (URDG 11(e)).
    function acceptAmendment(uint256 undertakingId, uint256 amendmentId, uint8 acceptedFields) external;

    /// @notice The beneficiary rejects the amendment.
    function rejectAmendment(uint256 undertakingId, uint256 amendmentId) external;

    /// @notice The guarantor reduces the amount on a stated reduction event (URDG 13).
    function reduce(uint256 undertakingId, uint256 amount, bytes32 documentHash) external;

    /// @notice The beneficiary releases the guarantor from part of the amount by a signed document (URDG 25):
    /// the amount is reduced, with no reduction clause needed, by no more than is available.
    function releaseInPart(uint256 undertakingId, uint256 amount, bytes32 documentHash) external;

    /// @notice The beneficiary releases the guarantor (URDG 25(a)(iii)); no demand may be open.
    function release(uint256 undertakingId) external;

    /// @notice Any party records the expiry once the last day for demands has passed (URDG 25(a)(ii)).
    function expire(uint256 undertakingId) external;

    /// @notice The guarantor records the expiry event, evidenced by the document `documentHash` (URDG 25(a)(ii)).
    function expireOnEvent(uint256 undertakingId, bytes32 documentHash) external;

    /// @notice Any party records the standby's automatic extension once the last day for the issuer's notice of
    /// non-extension has passed without one (ISP98 2.06(a)); one stated period per call, up to the final expiry.
    function extendAutomatically(uint256 undertakingId) external;

    /// @notice The issuer gives notice of non-extension, by the last day the standby states for it (ISP98 2.06(a)).
    function noticeNonExtension(uint256 undertakingId) external;

    /// @notice Any party records the steps of the reduction schedule whose day has come, once each (URDG 25(a)(ii),
    /// ISP98 2.06); they took effect on their day whether recorded or not (a demand, payment or rejection records
    /// them first). Reverts when none is due.
    function recordScheduledReductions(uint256 undertakingId) external;

    // ------------------------------------------------------------------ functions: demands

    /// @notice The beneficiary demands payment with its supporting statement (URDG 15(a)) and documents.
    /// @param extendTo non-zero: "extend or pay", the expiry date asked for as the alternative (URDG 23)
    /// @return demandId the demand's id under the undertaking
    function demand(
        uint256 undertakingId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount,
        uint64 extendTo
    ) external returns (uint256 demandId);

    /// @notice The guarantor of a guarantee demands under its counter-guarantee after paying a demand under the
    /// guarantee, with its statement that it received a complying demand (URDG 15(b)).
    /// @return demandId the demand's id under the counter-guarantee
    function demandUnderCounterGuarantee(
        uint256 counterGuaranteeId,
        uint256 guaranteeDemandId,
        bytes32[] calldata documentHashes,
        bytes32 statementHash,
        uint256 amount
    ) external returns (uint256 demandId);

    /// @notice The guarantor pays a complying demand (PRESENTED or SUSPENDED -> PAID).
    function pay(uint256 undertakingId, uint256 demandId) external;

    /// @notice The guarantor rejects the demand by the deadline with one notice listing every discrepancy.
    function reject(uint256 undertakingId, uint256 demandId, bytes32[] calldata discrepancies) external;

    /// @notice The guarantor suspends payment of an "extend or pay" demand until `until` (URDG 23(a)).
    function suspendForExtension(uint256 undertakingId, uint256 demandId, uint64 until) external;

    /// @notice The guarantor grants the extension asked for by a suspended demand, which is withdrawn (URDG 23(c)).
    function extendForDemand(uint256 undertakingId, uint256 demandId) external;

    /// @notice The beneficiary enforces payment after the deadline passed undecided (URDG 24(f), ISP98 5.03) or
    /// after a suspension ended without the extension (URDG 23(d)).
    function enforcePayment(uint256 undertakingId, uint256 demandId) external;

    /// @notice The applicant settles an open reimbursement claim (OPEN -> SETTLED).
    function settleReimbursementClaim(uint256 claimId) external;

    // ------------------------------------------------------------------ views

    /// @notice An undertaking.
    function getUndertaking(uint256 undertakingId) external view returns (Undertaking memory);

    /// @notice An amendment.
    function getAmendment(uint256 undertakingId, uint256 amendmentId) external view returns (Amendment memory);

    /// @notice A demand.
    function getDemand(uint256 undertakingId, uint256 demandId) external view returns (Demand memory);

    /// @notice A reimbursement claim.
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory);

    /// @notice Number of undertakings (ids are 1..undertakingCount).
    function undertakingCount() external view returns (uint256);

    /// @notice Number of reimbursement claims (ids are 1..claimCount).
    function claimCount() external view returns (uint256);

    /// @notice What remains payable: amount less payments, reductions and the scheduled reductions whose day has
    /// come (recorded or not).
    function outstandingAmount(uint256 undertakingId) external view returns (uint256);

    /// @notice What a new demand may ask for: outstanding less open demands.
    function availableAmount(uint256 undertakingId) external view returns (uint256);

    /// @notice The last UTC day on which a demand is timely (0 before issue).
    function lastDemandDay(uint256 undertakingId) external view returns (uint64);

    /// @notice The Settlement reference of a demand's payment and reimbursement legs.
    function paymentReference(uint256 undertakingId, uint256 demandId) external pure returns (bytes32);
}
