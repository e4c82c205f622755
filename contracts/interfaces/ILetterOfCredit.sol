// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title ILetterOfCredit
 * @notice Documentary credits under UCP 600 (ICC Publication No. 600) on the consortium ledger.
 *
 * The chain holds only ids, parties' addresses, amounts (uint256 minor units), ISO 4217 currency codes
 * (bytes3), dates (uint64 unix seconds, UTC), states and bytes32 hashes. The full MT700-like terms live off
 * chain; `termsHash` is their canonical hash (see `tradeledger.lcs.terms`).
 *
 * Four state machines, each changed only through its own internal `_transition`:
 *
 * LC:           NONE -applyForCredit(APP)-> APPLIED -issue(IB)-> ISSUED -advise(AB)-> ADVISED -confirm(CB)-> CONFIRMED
 *               APPLIED -declineApplication(IB)-> DECLINED;  APPLIED -withdrawApplication(APP)-> WITHDRAWN
 *               {ISSUED|ADVISED|CONFIRMED} (= operative) -honour / enforcePreclusion-> FULLY_DRAWN
 *               operative -expire(any party, after the Art 29a-extended expiry day)-> EXPIRED
 *               operative -consentToCancellation(IB + CB if confirmed + BEN, Art 10a)-> CANCELLED
 *               {FULLY_DRAWN|EXPIRED} -close(IB, no open presentation)-> CLOSED
 *               Terminal: DECLINED, WITHDRAWN, CANCELLED, CLOSED. Open presentations stay examinable and
 *               honourable in FULLY_DRAWN and EXPIRED (Art 14b, 15, 16f); cancel and close require none open.
 * Amendment:    NONE -issueAmendment(IB)-> ISSUED -acceptAmendment(BEN, every change)-> ACCEPTED
 *               ISSUED -rejectAmendment(BEN) or partial acceptance (Art 10e)-> REJECTED. Several may be in flight.
 * Presentation: NONE -present(BEN)-> PRESENTED -honour(IB) or enforcePreclusion(BEN, after deadline)-> HONOURED
 *               PRESENTED -refuse(IB, once, by the deadline, Art 16)-> REFUSED -waiveDiscrepancies(APP)-> WAIVED
 *               WAIVED -honour(IB)-> HONOURED;  {REFUSED|WAIVED} -returnDocuments(IB)-> RETURNED
 * Claim:        NONE -(honour while the applicant's balance is short)-> OPEN -settleReimbursementClaim(APP)-> SETTLED
 * Interbank:    NONE -honour(NB)-> OPEN -reimburseNominatedBank(IB; or NB once IB's deadline passed, Art 16f)-> REIMBURSED
 *               OPEN -refuseReimbursement(IB, by its deadline, Art 16)-> REFUSED
 *               OPEN -honourDefaultedUndertaking(IB or BEN; the NB did not pay at maturity, Art 7a)-> LAPSED
 * Deferred:     NONE -honour(IB or NB) under a credit with a tenor (deferred payment, acceptance, usance
 *               negotiation)-> INCURRED (maturity fixed)
 *               INCURRED -payAtMaturity(obligor or BEN, from the maturity day)-> PAID
 *               INCURRED -prepayDeferredPayment(NB obligor, before the maturity day, Art 12b)-> PREPAID
 *               INCURRED -honourDefaultedUndertaking(IB or BEN, after the maturity day, NB obligor)-> DEFAULTED
 *
 * Second banks (Art 7c, 8, 12, 15): a nominated bank (NB) is the available-with bank when it is not the issuing bank,
 * or the confirming bank once it confirmed. It may honour a complying presentation from its own account and forwards
 * the documents: the issuing bank then owes it reimbursement (Art 7c), examined within the issuing bank's own 5
 * banking days from the forwarding (Art 14b, 16d). The applicant reimburses the issuing bank when the issuing bank
 * reimburses the nominated bank. The interbank leg's Settlement reference is `interbankReference(lcId, presentationId)`.
 *
 * Availability (Art 6b, 7a, 12b): a credit available by deferred payment or acceptance is honoured by incurring the
 * undertaking: the drawing counts as drawn, the maturity day is fixed at honour (`tenorDays` after the presentation
 * day or the shipment date, rolled forward to the obligor's next banking day) and nothing is paid until then. At
 * maturity the obligor pays the beneficiary (LC_HONOUR); the issuing bank as obligor then seeks the applicant's
 * reimbursement; a nominated obligor is reimbursed by the issuing bank, not before maturity (Art 7c, 8c), whether or
 * not it prepaid or purchased its undertaking (Art 12b). The applicant's reimbursement follows the issuing bank's
 * payment, as for a sight drawing. A nominated bank is reimbursed only once it paid (or prepaid) the beneficiary.
 *
 * Art 7a (iii), (iv): if a nominated bank that incurred a deferred payment undertaking or accepted a draft has not
 * paid by the end of the maturity day, the issuing bank must honour: `honourDefaultedUndertaking` (the issuing bank,
 * or the beneficiary claiming from it) pays the beneficiary from the issuing bank's account, the nominated bank's
 * claim for reimbursement lapses, and the applicant reimburses the issuing bank as after its own honour.
 *
 * Usance negotiation (Art 2 "negotiation", 7c, 12b): a credit available by negotiation may call for drafts at usance
 * (`tenorDays` > 0). A nominated bank that negotiates (`honour`) agrees to advance funds to the beneficiary on or
 * before the banking day reimbursement is due (the maturity day): it advances them now less its discount
 * (`prepayDeferredPayment`) or at maturity (`payAtMaturity`); the issuing bank reimburses it at maturity (Art 7c).
 * The issuing bank honouring itself accepts the draft drawn on it and pays at maturity (Art 7a v).
 *
 * Proceeds (Art 38, 39): whenever a drawing is paid (sight honour, payment at maturity, prepayment, the issuing
 * bank's honour of a defaulted undertaking), the second beneficiary's share is paid first, then the assigned share
 * of the rest, then the rest to the beneficiary, each leg under its own reference. A prepayment pays each share less
 * its pro rata part of the discount.
 *
 * Amendments (Art 9d, 10b, 10c): the advising bank advises an amendment; the confirming bank extends its
 * confirmation to it or declines and says so; a presentation under a pending amendment that complies with the credit
 * and with the amendment is the beneficiary's acceptance (`presentUnderAmendment`).
 *
 * Title against payment (MLETR; ITransferableRecords): a presentation may carry a transferable record (an eBL) its
 * beneficiary controls (`presentWithRecord`). Its control passes to the available-with bank (the nominated bank, or
 * the issuing bank when the credit is available with it) in the presentation, under the escrow key
 * `paymentReference(lcId, presentationId)`. Honour by the issuing bank passes the title with the payment, in the
 * same transaction, to the applicant when it reimburses the bank then, or to the applicant with the issuing bank
 * keeping control as security (pledged) while its reimbursement claim is open, released when the claim is settled.
 * Honour by a nominated bank passes the title to it with its payment and lodges the record with the issuing bank
 * (forwarding); the issuing bank's reimbursement passes it on to the applicant as above, its refusal gives it back
 * to the nominated bank. Returned documents give the record back to the beneficiary. An applicant that is no longer
 * an active member cannot take title: the issuing bank then holds the record.
 *
 * Banking days come from the BankingCalendar (IBankingCalendar) named at deployment.
 *
 * Abbreviations: APP applicant, BEN beneficiary, IB issuing bank, AB advising bank, CB confirming bank, NB nominated bank.
 */
interface ILetterOfCredit {
    // ------------------------------------------------------------------ types

    /// @notice Life-cycle state of a credit.
    enum LcState {
        NONE,
        APPLIED,
        ISSUED,
        ADVISED,
        CONFIRMED,
        FULLY_DRAWN,
        EXPIRED,
        CANCELLED,
        DECLINED,
        WITHDRAWN,
        CLOSED
    }

    /// @notice State of an amendment (MT707).
    enum AmendmentState {
        NONE,
        ISSUED,
        ACCEPTED,
        REJECTED
    }

    /// @notice State of a presentation of documents.
    enum PresentationState {
        NONE,
        PRESENTED,
        REFUSED,
        WAIVED,
        HONOURED,
        RETURNED
    }

    /// @notice Disposition of refused documents stated in the refusal notice (Art 16c iii, MT734 77B).
    enum Disposition {
        NONE,
        HOLD_PENDING_INSTRUCTIONS,
        HOLD_PENDING_WAIVER,
        RETURNING,
        PER_PREVIOUS_INSTRUCTIONS
    }

    /// @notice State of the issuing bank's reimbursement claim on the applicant (Art 7: independent of honour).
    enum ClaimState {
        NONE,
        OPEN,
        SETTLED
    }

    /// @notice A confirming bank's answer to an amendment (Art 10b).
    enum AmendmentConfirmation {
        NONE,
        EXTENDED,
        DECLINED
    }

    /// @notice State of a nominated bank's reimbursement claim on the issuing bank (Art 7c, 8c).
    enum InterbankClaimState {
        NONE,
        OPEN,
        REIMBURSED,
        REFUSED,
        LAPSED
    }

    /// @notice How the credit is available (Art 6b, MT700 41a). NEGOTIATION of sight drafts (no tenor): the nominated
    /// bank advances funds by honouring as a nominated bank and is reimbursed by the issuing bank (Art 2, 7a v, 12);
    /// of drafts at usance (a tenor): it agrees to advance them by the maturity day, when reimbursement is due (7c).
    enum Availability {
        SIGHT_PAYMENT,
        DEFERRED_PAYMENT,
        ACCEPTANCE,
        NEGOTIATION
    }

    /// @notice The day a deferred payment or acceptance tenor runs from (MT700 42C / 42P): the presentation day
    /// (Art 33, a banking day) or the shipment date stated on the transport document (e.g. bill of lading date).
    enum TenorBasis {
        PRESENTATION,
        SHIPMENT
    }

    /// @notice State of a deferred payment undertaking or acceptance incurred by honour (Art 2 honour b, c).
    enum DeferredState {
        NONE,
        INCURRED,
        PREPAID,
        PAID,
        DEFAULTED
    }

    /// @notice Role a party plays in one credit (object-level authorization).
    enum Party {
        APPLICANT,
        BENEFICIARY,
        ISSUING_BANK,
        ADVISING_BANK,
        CONFIRMING_BANK,
        AVAILABLE_WITH_BANK
    }

    /**
     * @notice The on-chain part of a credit's terms; the rest is off chain behind `termsHash`.
     * @dev `tolerancePlusBps` / `toleranceMinusBps` mirror MT700 39A in basis points (1000 = 10 %). A
     * `presentationPeriodDays` of 0 means the Art 14c default of 21. `latestShipment` 0 means none stated.
     * `confirmingBank` is address(0) when no confirmation is requested. `availability` SIGHT_PAYMENT takes no
     * tenor (`tenorDays` and `tenorBasis` 0); DEFERRED_PAYMENT and ACCEPTANCE need 1 to MAX_TENOR_DAYS days after
     * `tenorBasis`; NEGOTIATION takes none (sight drafts) or 1 to MAX_TENOR_DAYS (drafts at usance). `transferable` is the credit's statement that it is "transferable"
     * (Art 38b, MT700 40A IRREVOCABLE TRANSFERABLE); see {ILetterOfCreditTransfers}.
     */
    struct CreditTerms {
        bytes32 termsHash;
        address beneficiary;
        address issuingBank;
        address advisingBank;
        address confirmingBank;
        address availableWithBank;
        bytes3 currency;
        uint256 amount;
        uint16 tolerancePlusBps;
        uint16 toleranceMinusBps;
        uint16 presentationPeriodDays;
        bool partialDrawingsAllowed;
        uint64 expiry;
        uint64 latestShipment;
        Availability availability;
        uint16 tenorDays;
        TenorBasis tenorBasis;
        bool transferable;
    }

    /// @notice A credit as stored: its current terms (amended ones applied) and its utilisation.
    struct Credit {
        CreditTerms terms;
        address applicant;
        LcState state;
        uint8 cancellationConsents;
        uint32 presentationCount;
        uint32 amendmentCount;
        uint32 openPresentationCount;
        uint32 honouredCount;
        uint64 appliedAt;
        uint256 drawn;
        uint256 reserved;
    }

    /**
     * @notice New values carried by an amendment; only the fields flagged in `fields` change.
     * @dev Flags: AMEND_AMOUNT 1, AMEND_EXPIRY 2, AMEND_LATEST_SHIPMENT 4, AMEND_TOLERANCE 8 (both plus and
     * minus), AMEND_PRESENTATION_PERIOD 16, AMEND_PARTIAL_DRAWINGS 32. `fields` 0 is a narrative-only amendment.
     */
    struct AmendmentTerms {
        uint8 fields;
        uint16 tolerancePlusBps;
        uint16 toleranceMinusBps;
        uint16 presentationPeriodDays;
        bool partialDrawingsAllowed;
        uint64 expiry;
        uint64 latestShipment;
        uint256 amount;
    }

    /// @notice An amendment as stored.
    struct Amendment {
        AmendmentTerms changes;
        bytes32 amendmentHash;
        AmendmentState state;
        uint64 issuedAt;
        uint64 decidedAt;
        bool advised;
        AmendmentConfirmation confirmation;
    }

    /// @notice A presentation as stored; document hashes, their re-use count and discrepancy codes are in its
    /// events.
    struct Presentation {
        PresentationState state;
        Disposition disposition;
        bool precluded;
        uint16 documentCount;
        uint16 discrepancyCount;
        uint64 presentedAt;
        uint64 presentationDay;
        uint64 shipmentDate;
        uint64 deadline;
        uint256 amount;
        bytes32 documentsHash;
        bytes32 discrepanciesHash;
        uint256 claimId;
    }

    /// @notice The issuing bank's claim on the applicant for a drawing it honoured.
    struct ReimbursementClaim {
        uint256 lcId;
        uint256 presentationId;
        address issuingBank;
        address applicant;
        bytes3 currency;
        ClaimState state;
        uint256 amount;
    }

    /// @notice A nominated bank's claim on the issuing bank for a drawing it honoured and forwarded (Art 7c).
    struct InterbankClaim {
        address nominatedBank;
        address issuingBank;
        bytes3 currency;
        InterbankClaimState state;
        uint64 deadline;
        uint256 amount;
        uint256 entryId;
    }

    /**
     * @notice A deferred payment undertaking or acceptance incurred by honour (Art 7a, 8a, 12b): `obligor` pays
     * `amount` on `maturityDay` (UTC day number); a nominated obligor may prepay it before (Art 12b), keeping
     * `discount`.
     */
    struct DeferredPayment {
        address obligor;
        DeferredState state;
        uint64 maturityDay;
        uint256 amount;
        uint256 discount;
        uint256 entryId;
    }

    // ------------------------------------------------------------------ events

    /// @notice Every LC state change, emitted by the one `_transition`.
    event LetterOfCreditStateChanged(uint256 indexed lcId, LcState from, LcState to);

    /// @notice The applicant applied for a credit; `terms` as stored (a presentation period of 0 became 21).
    event LetterOfCreditApplied(
        uint256 indexed lcId,
        address indexed applicant,
        address indexed issuingBank,
        CreditTerms terms
    );

    /// @notice The issuing bank issued the credit (Art 7d: bound from issuance).
    event LetterOfCreditIssued(uint256 indexed lcId, address indexed issuingBank, address indexed beneficiary);

    /// @notice The issuing bank declined the application.
    event LetterOfCreditApplicationDeclined(uint256 indexed lcId, address indexed issuingBank);

    /// @notice The applicant withdrew its application before issuance.
    event LetterOfCreditApplicationWithdrawn(uint256 indexed lcId, address indexed applicant);

    /// @notice The advising bank advised the credit to the beneficiary (Art 9).
    event LetterOfCreditAdvised(uint256 indexed lcId, address indexed advisingBank, address indexed beneficiary);

    /// @notice The confirming bank added its confirmation (Art 8d: bound from then).
    event LetterOfCreditConfirmed(uint256 indexed lcId, address indexed confirmingBank, address indexed beneficiary);

    /// @notice A party whose consent Art 10a requires agreed to cancel.
    event LetterOfCreditCancellationConsented(uint256 indexed lcId, address indexed party, Party role);

    /// @notice Every required party consented; the credit is cancelled.
    event LetterOfCreditCancelled(uint256 indexed lcId);

    /// @notice The credit expired; `lastDay` is the last presentation day (UTC day number, Art 29a applied).
    event LetterOfCreditExpired(uint256 indexed lcId, uint64 lastDay);

    /// @notice The credit is fully utilised.
    event LetterOfCreditFullyDrawn(uint256 indexed lcId, uint256 drawn);

    /// @notice The issuing bank closed the credit; nothing more can happen to it.
    event LetterOfCreditClosed(uint256 indexed lcId, address indexed issuingBank, uint256 drawn);

    /// @notice The issuing bank issued an amendment (Art 10b: irrevocably bound by it from now).
    event AmendmentIssued(
        uint256 indexed lcId,
        uint256 indexed amendmentId,
        address indexed issuingBank,
        bytes32 amendmentHash,
        AmendmentTerms changes
    );

    /// @notice The beneficiary accepted every change of the amendment; the credit's terms changed now.
    event AmendmentAccepted(uint256 indexed lcId, uint256 indexed amendmentId, address indexed beneficiary);

    /// @notice The beneficiary rejected the amendment, or accepted only part of it (`partialAcceptance`, Art 10e).
    event AmendmentRejected(
        uint256 indexed lcId,
        uint256 indexed amendmentId,
        address indexed beneficiary,
        bool partialAcceptance
    );

    /// @notice The beneficiary presented documents; `presentationDay` (UTC day number, Art 33) starts and
    /// `deadline` closes the examination (Art 14b).
    event DocumentsPresented(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed beneficiary,
        uint256 amount,
        uint64 shipmentDate,
        uint64 presentationDay,
        uint64 deadline,
        bytes32[] documentHashes,
        uint256 reusedDocumentCount
    );

    /// @notice The single refusal notice (Art 16c, MT734): every discrepancy and the documents' disposition.
    event PresentationRefused(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed issuingBank,
        bytes32[] discrepancies,
        Disposition disposition
    );

    /// @notice The applicant waived the discrepancies of a refused presentation (Art 16b).
    event DiscrepanciesWaived(uint256 indexed lcId, uint256 indexed presentationId, address indexed applicant);

    /// @notice The issuing bank paid the beneficiary (Art 7a / 15a); `precluded` when forced by Art 16f.
    event PresentationHonoured(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed beneficiary,
        uint256 amount,
        uint256 entryId,
        bool precluded
    );

    /// @notice The issuing bank returned refused documents; the drawing is released.
    event DocumentsReturned(uint256 indexed lcId, uint256 indexed presentationId, address indexed issuingBank);

    /// @notice The applicant reimbursed the issuing bank in the honour transaction.
    event ReimbursementSettled(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed applicant,
        address issuingBank,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The applicant's funds did not cover the drawing: the issuing bank holds an open claim on it.
    event ReimbursementClaimOpened(
        uint256 indexed claimId,
        uint256 indexed lcId,
        address indexed applicant,
        uint256 presentationId,
        address issuingBank,
        bytes3 currency,
        uint256 amount
    );

    /// @notice The applicant paid an open reimbursement claim.
    event ReimbursementClaimSettled(
        uint256 indexed claimId,
        uint256 indexed lcId,
        address indexed applicant,
        address issuingBank,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The advising bank advised the amendment to the beneficiary (Art 9d).
    event AmendmentAdvised(uint256 indexed lcId, uint256 indexed amendmentId, address indexed advisingBank);

    /// @notice The confirming bank extended its confirmation to the amendment, or declined to (Art 10b).
    event AmendmentConfirmationDecided(
        uint256 indexed lcId,
        uint256 indexed amendmentId,
        address indexed confirmingBank,
        bool extended
    );

    /// @notice A nominated bank honoured and forwarded the documents; the issuing bank owes it `amount` and may
    /// refuse only by `deadline` (Art 7c, 14b, 16).
    event DocumentsForwarded(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed nominatedBank,
        address issuingBank,
        uint256 amount,
        uint64 deadline
    );

    /// @notice The issuing bank reimbursed the nominated bank; `precluded` when the nominated bank claimed it after
    /// the issuing bank's deadline (Art 16f).
    event NominatedBankReimbursed(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed nominatedBank,
        address issuingBank,
        uint256 amount,
        uint256 entryId,
        bool precluded
    );

    /// @notice The issuing bank refused to reimburse the nominated bank, with its single notice (Art 16c, 16d).
    event InterbankReimbursementRefused(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed issuingBank,
        bytes32[] discrepancies
    );

    /// @notice The presentation carries the transferable record `recordId`, lodged with `bank` under the escrow key
    /// `paymentReference(lcId, presentationId)`.
    event TransferableRecordPresented(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        uint256 indexed recordId,
        address bank
    );

    /// @notice `obligor` honoured a presentation under a credit available by deferred payment or acceptance: it
    /// incurred the undertaking to pay `amount` on `maturityDay` (UTC day number, a banking day of the obligor).
    event DeferredPaymentIncurred(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed obligor,
        address beneficiary,
        uint256 amount,
        uint64 maturityDay,
        bool precluded
    );

    /// @notice The nominated bank prepaid or purchased its deferred undertaking (Art 12b): it paid `amount - discount`
    /// to the beneficiary now; the issuing bank reimburses it `amount` at maturity (Art 7c, 8c).
    event DeferredPaymentPrepaid(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed nominatedBank,
        address beneficiary,
        uint256 amount,
        uint256 discount,
        uint256 entryId
    );

    /// @notice The obligor paid the beneficiary at maturity (LC_HONOUR under `paymentReference`).
    event DeferredPaymentPaid(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed obligor,
        address beneficiary,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The nominated bank did not pay its matured undertaking; the issuing bank honoured it (Art 7a iii,
    /// iv): it paid `amount` (LC_HONOUR under `paymentReference`) and the nominated bank's reimbursement claim lapsed.
    event DeferredPaymentDefaulted(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed nominatedBank,
        address issuingBank,
        address beneficiary,
        uint256 amount,
        uint256 entryId
    );

    // ------------------------------------------------------------------ errors

    /// @notice `account` is not an active member of `kind` (see IMembership.MemberKind).
    error LetterOfCreditNotActiveMember(address account, uint8 kind);

    /// @notice No credit with this id.
    error LetterOfCreditUnknown(uint256 lcId);

    /// @notice The credit is in `current`; the call needs `expected`.
    error LetterOfCreditInvalidState(uint256 lcId, LcState current, LcState expected);

    /// @notice The call needs an operative credit (ISSUED, ADVISED or CONFIRMED).
    error LetterOfCreditNotOperative(uint256 lcId, LcState current);

    /// @notice The edge `from` -> `to` is not in the LC graph.
    error LetterOfCreditInvalidTransition(uint256 lcId, LcState from, LcState to);

    /// @notice `caller` is not the credit's `party`.
    error LetterOfCreditUnauthorizedParty(uint256 lcId, address caller, Party party);

    /// @notice `caller` is not a party of the credit.
    error LetterOfCreditNotAParty(uint256 lcId, address caller);

    /// @notice `account` cannot play `party` in this credit (e.g. beneficiary = applicant, confirmer = issuer).
    error LetterOfCreditInvalidParty(Party party, address account);

    /// @notice The terms hash is zero.
    error LetterOfCreditEmptyTermsHash();

    /// @notice The amount is zero.
    error LetterOfCreditInvalidAmount(uint256 amount);

    /// @notice The currency is not three upper-case ASCII letters.
    error LetterOfCreditInvalidCurrency(bytes3 currency);

    /// @notice A tolerance is above 100 % (10,000 bps).
    error LetterOfCreditInvalidTolerance(uint16 plusBps, uint16 minusBps);

    /// @notice The expiry is not after the current time (Art 6d: a credit must state an expiry).
    error LetterOfCreditInvalidExpiry(uint64 expiry, uint64 nowTs);

    /// @notice The latest shipment date is after the expiry.
    error LetterOfCreditInvalidLatestShipment(uint64 latestShipment, uint64 expiry);

    /// @notice The presentation period is above the maximum.
    error LetterOfCreditInvalidPresentationPeriod(uint16 presentationPeriodDays, uint16 maximum);

    /// @notice This party already consented to cancellation.
    error LetterOfCreditConsentAlreadyGiven(uint256 lcId, Party party);

    /// @notice The credit still has `count` presentations that are neither honoured nor returned.
    error LetterOfCreditOpenPresentations(uint256 lcId, uint256 count);

    /// @notice The credit's last presentation day (`lastDay`) has not passed yet (`today`), so it cannot expire.
    error LetterOfCreditNotExpired(uint256 lcId, uint64 lastDay, uint64 today);

    /// @notice No amendment with this id on this credit.
    error LetterOfCreditUnknownAmendment(uint256 lcId, uint256 amendmentId);

    /// @notice The amendment is in `current`; the call needs `expected`.
    error LetterOfCreditInvalidAmendmentState(
        uint256 lcId,
        uint256 amendmentId,
        AmendmentState current,
        AmendmentState expected
    );

    /// @notice The amendment's field flags are not a subset of the known flags.
    error LetterOfCreditInvalidAmendmentFields(uint8 fields);

    /// @notice The amended maximum (`newMaximum`) is below what is already drawn or reserved (`utilised`).
    error LetterOfCreditAmendmentBelowUtilisation(uint256 lcId, uint256 newMaximum, uint256 utilised);

    /// @notice No presentation with this id on this credit.
    error LetterOfCreditUnknownPresentation(uint256 lcId, uint256 presentationId);

    /// @notice The presentation is in `current`; the call needs `expected`.
    error LetterOfCreditInvalidPresentationState(
        uint256 lcId,
        uint256 presentationId,
        PresentationState current,
        PresentationState expected
    );

    /// @notice A presentation needs between 1 and `maximum` document hashes, none zero.
    error LetterOfCreditInvalidDocumentCount(uint256 count, uint256 maximum);

    /// @notice A document hash or discrepancy code is zero.
    error LetterOfCreditZeroHash(uint256 index);

    /// @notice Presented after the credit's last presentation day (Art 6d/e, extended per Art 29a).
    error LetterOfCreditPresentationAfterExpiry(uint256 lcId, uint64 presentationDay, uint64 lastDay);

    /// @notice Presented after shipment + presentation period (Art 14c, extended per Art 29a).
    error LetterOfCreditPresentationPeriodElapsed(
        uint256 lcId,
        uint64 shipmentDate,
        uint64 presentationDay,
        uint64 lastDay
    );

    /// @notice The shipment date is in the future.
    error LetterOfCreditShipmentDateInFuture(uint256 lcId, uint64 shipmentDate, uint64 nowTs);

    /// @notice The drawing exceeds what is left of amount x (1 + plus tolerance) (Art 30).
    error LetterOfCreditDrawingExceedsAvailable(uint256 lcId, uint256 amount, uint256 available);

    /// @notice Partial drawings are prohibited (Art 31a): a second drawing, or one below amount x (1 - minus
    /// tolerance), or below 95 % of the amount when the credit states no tolerance (Art 30c).
    error LetterOfCreditPartialDrawingProhibited(uint256 lcId, uint256 amount, uint256 minimum);

    /// @notice A refusal needs between 1 and `maximum` discrepancy codes (Art 16c ii).
    error LetterOfCreditInvalidDiscrepancyCount(uint256 count, uint256 maximum);

    /// @notice A refusal must state a disposition of the documents (Art 16c iii).
    error LetterOfCreditInvalidDisposition(Disposition disposition);

    /// @notice The examination deadline passed: the bank is precluded from refusing (Art 16f).
    error LetterOfCreditPrecluded(uint256 lcId, uint256 presentationId, uint64 deadline, uint64 nowTs);

    /// @notice The examination deadline has not passed, so preclusion cannot be invoked yet.
    error LetterOfCreditDeadlineNotPassed(uint256 lcId, uint256 presentationId, uint64 deadline, uint64 nowTs);

    /// @notice The documents are not held pending a waiver or instructions, so they cannot be waived.
    error LetterOfCreditWaiverNotPossible(uint256 lcId, uint256 presentationId, Disposition disposition);

    /// @notice No reimbursement claim with this id.
    error LetterOfCreditUnknownClaim(uint256 claimId);

    /// @notice The claim is in `current`; the call needs `expected`.
    error LetterOfCreditInvalidClaimState(uint256 claimId, ClaimState current, ClaimState expected);

    /// @notice `caller` is not the claim's applicant.
    error LetterOfCreditNotClaimDebtor(uint256 claimId, address caller);

    /// @notice The amendment was already advised.
    error LetterOfCreditAmendmentAlreadyAdvised(uint256 lcId, uint256 amendmentId);

    /// @notice The confirming bank already answered the amendment (`current`).
    error LetterOfCreditAmendmentConfirmationDecided(uint256 lcId, uint256 amendmentId, AmendmentConfirmation current);

    /// @notice The interbank claim of this presentation is in `current`; the call needs `expected`.
    error LetterOfCreditInvalidInterbankClaimState(
        uint256 lcId,
        uint256 presentationId,
        InterbankClaimState current,
        InterbankClaimState expected
    );

    /// @notice The record is not HELD under the control of the presenter (`controller` controls it), so it cannot be
    /// presented.
    error LetterOfCreditRecordNotPresentable(uint256 lcId, uint256 recordId, address controller);

    /// @notice A deferred payment or acceptance credit needs a tenor of 1 to `maximum` days; a sight or
    /// negotiation credit takes none (Art 6b).
    error LetterOfCreditInvalidTenor(Availability availability, uint16 tenorDays, uint16 maximum);

    /// @notice The presentation has no deferred undertaking in `expected` (it is in `current`).
    error LetterOfCreditInvalidDeferredState(
        uint256 lcId,
        uint256 presentationId,
        DeferredState current,
        DeferredState expected
    );

    /// @notice The deferred undertaking matures on `maturityDay`; today is `today` (Art 7c: not due earlier).
    error LetterOfCreditNotMatured(uint256 lcId, uint256 presentationId, uint64 maturityDay, uint64 today);

    /// @notice The undertaking matured on `maturityDay`: too late to prepay it (today is `today`).
    error LetterOfCreditMatured(uint256 lcId, uint256 presentationId, uint64 maturityDay, uint64 today);

    /// @notice No default to honour (Art 7a): the undertaking's `obligor` is the issuing bank itself, or its
    /// `maturityDay` has not ended by `today`.
    error LetterOfCreditNoDefault(uint256 lcId, uint256 presentationId, address obligor, uint64 maturityDay, uint64 today);

    /// @notice The discount is not below the amount of the undertaking.
    error LetterOfCreditInvalidDiscount(uint256 discount, uint256 amount);

    // ------------------------------------------------------------------ mutators

    /**
     * @notice Apply for a credit as its applicant (an active TRADER); the credit starts APPLIED.
     * @param terms The on-chain terms; `termsHash` is the canonical hash of the full off-chain terms.
     * @return lcId The new credit's id (1-based).
     */
    function applyForCredit(CreditTerms calldata terms) external returns (uint256 lcId);

    /// @notice Issue an APPLIED credit (issuing bank). Art 7d: the bank is irrevocably bound from now.
    function issue(uint256 lcId) external;

    /// @notice Decline an APPLIED credit (issuing bank); terminal.
    function declineApplication(uint256 lcId) external;

    /// @notice Withdraw an APPLIED credit before issuance (applicant); terminal.
    function withdrawApplication(uint256 lcId) external;

    /// @notice Advise an ISSUED credit to the beneficiary (advising bank, Art 9).
    function advise(uint256 lcId) external;

    /// @notice Add confirmation to an ADVISED credit (the named confirming bank, Art 8).
    function confirm(uint256 lcId) external;

    /**
     * @notice Issue an amendment to an operative credit (issuing bank). The credit's terms do not change
     * until the beneficiary accepts (Art 10c); several amendments may be in flight.
     * @param amendmentHash Canonical hash of the off-chain amendment (MT707-like) document.
     * @return amendmentId The amendment's id within the credit (1-based).
     */
    function issueAmendment(uint256 lcId, bytes32 amendmentHash, AmendmentTerms calldata changes)
        external
        returns (uint256 amendmentId);

    /**
     * @notice Respond to an amendment as beneficiary, accepting the changes flagged in `acceptedFields`.
     * @dev Accepting every change applies them; accepting only some is a rejection (Art 10e) and leaves the
     * terms as they were. There is no "deemed acceptance" (Art 10f).
     */
    function acceptAmendment(uint256 lcId, uint256 amendmentId, uint8 acceptedFields) external;

    /// @notice Reject an amendment (beneficiary); the credit keeps its terms (Art 10c).
    function rejectAmendment(uint256 lcId, uint256 amendmentId) external;

    /**
     * @notice Present documents under an operative credit (beneficiary). Registers the document hashes in the
     * DocumentRegistry (re-use across credits is flagged) and starts the 5-banking-day examination (Art 14b).
     * @param documentHashes Fingerprints of the presented documents, 1 to MAX_DOCUMENTS.
     * @param amount Drawing amount in minor units.
     * @param shipmentDate Date of shipment on the transport document (drives Art 14c).
     * @return presentationId The presentation's id within the credit (1-based).
     */
    function present(uint256 lcId, bytes32[] calldata documentHashes, uint256 amount, uint64 shipmentDate)
        external
        returns (uint256 presentationId);

    /**
     * @notice Present documents with the transferable record `recordId` among them (beneficiary, which must control
     * the HELD record): as `present`, and the record's control passes to the available-with bank until the
     * presentation is honoured (title against payment) or its documents are returned.
     * @return presentationId The presentation's id within the credit (1-based).
     */
    function presentWithRecord(
        uint256 lcId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) external returns (uint256 presentationId);

    /**
     * @notice Present documents that comply with the credit and with its pending amendment `amendmentId`
     * (beneficiary): the presentation is the beneficiary's acceptance and amends the credit at that moment (Art 10c).
     * Reverts unless the presentation complies both before and after the amendment.
     */
    function presentUnderAmendment(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external returns (uint256 presentationId);

    /**
     * @notice `presentUnderAmendment` with the transferable record `recordId` among the documents (beneficiary, which
     * must control the HELD record): the presentation accepts the amendment (Art 10c) and the record's control
     * passes to the available-with bank of the amended credit, as in `presentWithRecord`.
     * @return presentationId The presentation's id within the credit (1-based).
     */
    function presentUnderAmendmentWithRecord(
        uint256 lcId,
        uint256 amendmentId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate,
        uint256 recordId
    ) external returns (uint256 presentationId);

    /**
     * @notice Honour a complying presentation, or a waived one (issuing bank or a nominated bank). The issuing bank
     * pays the beneficiary from its account (LC_HONOUR; reverts if that leg fails) and then seeks reimbursement from
     * the applicant (LC_REIMBURSEMENT), opening a claim instead when its funds fall short (Art 7). A nominated bank
     * pays from its own account and forwards the documents: the issuing bank owes it reimbursement (Art 7c, 12, 15c).
     */
    function honour(uint256 lcId, uint256 presentationId) external;

    /**
     * @notice Refuse a discrepant presentation with the single notice Art 16 requires (issuing bank), no later
     * than the close of the 5th banking day following presentation.
     * @param discrepancies Every discrepancy code, 1 to MAX_DISCREPANCIES, none zero.
     * @param disposition What the bank does with the documents (Art 16c iii).
     */
    function refuse(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies, Disposition disposition)
        external;

    /// @notice Waive the discrepancies of a presentation held pending waiver or instructions (applicant).
    function waiveDiscrepancies(uint256 lcId, uint256 presentationId) external;

    /// @notice Return the documents of a refused or waived presentation (issuing bank); releases the drawing.
    function returnDocuments(uint256 lcId, uint256 presentationId) external;

    /**
     * @notice Invoke preclusion (beneficiary): the issuing bank neither honoured nor refused by the deadline,
     * so it can no longer claim non-compliance and must honour (Art 16f). Settles like `honour`.
     */
    function enforcePreclusion(uint256 lcId, uint256 presentationId) external;

    /// @notice Pay an open reimbursement claim in full (the claim's applicant).
    function settleReimbursementClaim(uint256 claimId) external;

    /**
     * @notice Reimburse the nominated bank that honoured a presentation (issuing bank, Art 7c; or the nominated bank
     * itself once the issuing bank's deadline passed, Art 16f). Pays it from the issuing bank's account
     * (LC_REIMBURSEMENT under `interbankReference`), then seeks the applicant's reimbursement as `honour` does. For
     * an undertaking incurred by the nominated bank: at maturity, once the nominated bank paid or prepaid it.
     */
    function reimburseNominatedBank(uint256 lcId, uint256 presentationId) external;

    /// @notice Refuse the nominated bank's forwarded documents with the single notice of Art 16 (issuing bank, by
    /// the deadline of its own examination).
    function refuseReimbursement(uint256 lcId, uint256 presentationId, bytes32[] calldata discrepancies) external;

    /// @notice Advise a pending amendment to the beneficiary (advising bank, Art 9d).
    function adviseAmendment(uint256 lcId, uint256 amendmentId) external;

    /// @notice Extend the confirmation to a pending amendment (`extend` true) or decline and say so (confirming
    /// bank of a confirmed credit, Art 10b).
    function decideAmendmentConfirmation(uint256 lcId, uint256 amendmentId, bool extend) external;

    /**
     * @notice Consent to cancel an operative credit (issuing bank, confirming bank if confirmed, beneficiary).
     * The credit is cancelled when the last required consent arrives (Art 10a).
     */
    function consentToCancellation(uint256 lcId) external;

    /// @notice Mark an operative credit EXPIRED once its last presentation day has passed (any party).
    function expire(uint256 lcId) external;

    /// @notice Close a FULLY_DRAWN or EXPIRED credit with no open presentation (issuing bank); terminal.
    function close(uint256 lcId) external;

    /**
     * @notice Pay a matured deferred undertaking or acceptance to the beneficiary (its obligor, or the beneficiary),
     * on or after its maturity day: the obligor pays (LC_HONOUR). When the issuing bank is the obligor, it then seeks
     * the applicant's reimbursement as `honour` does.
     */
    function payAtMaturity(uint256 lcId, uint256 presentationId) external;

    /**
     * @notice Prepay or purchase the nominated bank's own deferred undertaking or acceptance before maturity (that
     * nominated bank, Art 12b): it pays the beneficiary `amount - discount` now and is reimbursed `amount` by the
     * issuing bank at maturity (Art 7c, 8c).
     * @param discount What the nominated bank keeps for paying early, in minor units (below the amount).
     */
    function prepayDeferredPayment(uint256 lcId, uint256 presentationId, uint256 discount) external;

    /**
     * @notice Honour an undertaking the nominated bank incurred and did not pay by the end of its maturity day (the
     * issuing bank, or the beneficiary claiming from it; Art 7a iii, iv): the issuing bank pays the beneficiary (and
     * the second beneficiary and assignee their shares), the nominated bank's reimbursement claim lapses, and the
     * applicant reimburses the issuing bank. Not once the issuing bank refused the nominated bank's documents.
     */
    function honourDefaultedUndertaking(uint256 lcId, uint256 presentationId) external;

    // ------------------------------------------------------------------ views

    /// @notice A credit by id; reverts if unknown.
    function getCredit(uint256 lcId) external view returns (Credit memory);

    /// @notice An amendment by credit and id; reverts if unknown.
    function getAmendment(uint256 lcId, uint256 amendmentId) external view returns (Amendment memory);

    /// @notice A presentation by credit and id; reverts if unknown.
    function getPresentation(uint256 lcId, uint256 presentationId) external view returns (Presentation memory);

    /// @notice A reimbursement claim by id; reverts if unknown.
    function getReimbursementClaim(uint256 claimId) external view returns (ReimbursementClaim memory);

    /// @notice A nominated bank's reimbursement claim for a presentation; reverts if there is none.
    function getInterbankClaim(uint256 lcId, uint256 presentationId) external view returns (InterbankClaim memory);

    /// @notice The deferred undertaking incurred by honouring a presentation; reverts if there is none.
    function getDeferredPayment(uint256 lcId, uint256 presentationId) external view returns (DeferredPayment memory);

    /// @notice The transferable record a presentation carries (0 when none).
    function presentedRecord(uint256 lcId, uint256 presentationId) external view returns (uint256);

    /// @notice Number of credits applied for so far (ids run 1..creditCount).
    function creditCount() external view returns (uint256);

    /// @notice Number of reimbursement claims opened so far (ids run 1..claimCount).
    function claimCount() external view returns (uint256);

    /// @notice amount x (1 + plus tolerance), the most that may ever be drawn (Art 30, MT700 39A).
    function maximumDrawable(uint256 lcId) external view returns (uint256);

    /// @notice What can still be presented: maximum minus drawn minus reserved by open presentations.
    function availableAmount(uint256 lcId) external view returns (uint256);

    /// @notice Last day (UTC day number) on which the credit accepts a presentation (expiry, Art 29a).
    function lastPresentationDay(uint256 lcId) external view returns (uint64);

    /// @notice The Settlement reference of a drawing's honour and reimbursement legs: (lcId << 128) | presentationId.
    function paymentReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32);

    /// @notice The Settlement reference of the issuing bank's reimbursement of a nominated bank:
    /// (1 << 248) | (lcId << 128) | presentationId.
    function interbankReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32);
}
