// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IPaymentUndertakings: bank payment undertakings on open-account orders (URBPO 750)
/// @notice The buyer's bank (the obligor bank: the buyer's sponsor in Membership) undertakes to pay the
/// recipient bank (another active bank, the seller's) `amount` on `dueDate`, provided that no later than `expiry`
/// the order's data match (Invoices: the current invoice MATCHED) or the obligor bank accepts the data mismatch of
/// the current invoice (`acceptMismatch`). URBPO 750: the undertaking is irrevocable once established; it is
/// payable upon a data match or the obligor bank's acceptance of a data mismatch, and a mismatch binds no bank that
/// has not accepted it: the buyer's own acceptance in Invoices (a waiver between the trading parties) does not make
/// the undertaking payable by itself. It expires only when neither happened by the expiry date, never once one did.
///
/// Undertaking graph (every edge only through its named function):
/// ESTABLISHED -settle (on or after dueDate, data matched by expiry)-> SETTLED, marking the order PAID in
/// TradeOrders in the same transaction (an order is paid once: by its undertaking or by payOrder, never both);
/// ESTABLISHED -expire (after expiry, data not matched by expiry)-> EXPIRED. SETTLED and EXPIRED are final.
/// Establishing covers the order in TradeOrders (recordUndertaking: the buyer can no longer pay it directly nor the
/// parties cancel it, so the settlement cannot be pre-empted); expiry releases it (releaseUndertaking).
/// "Data matched by expiry" means: the current invoice MATCHED by then, or the obligor bank accepted the current
/// invoice's mismatch report by then (an acceptance names the invoice version; a corrected invoice needs its own).
/// Amendments (amount, due date, expiry) need both banks (URBPO 750): one bank proposes, the other
/// consents, and only then do the terms change; a new proposal replaces a pending one.
///
/// Settlement moves, in one transaction: obligor bank -> recipient bank (OPEN_ACCOUNT_PAYMENT), then recipient
/// bank -> payee (OPEN_ACCOUNT_PAYMENT to the seller, or FINANCING_REPAYMENT to the financier the proceeds were
/// assigned to), unless the recipient bank is itself the payee. Their ledger references name the undertaking and
/// the leg (PaymentUndertakings.REFERENCE_FLAG). Receivables discounting: a bank finances the
/// invoice in the DocumentRegistry (the duplicate-financing guard; the advance settles there) and then takes
/// the undertaking's proceeds with `assignProceeds`, once.
interface IPaymentUndertakings {
    enum UndertakingState {
        NONE,
        ESTABLISHED,
        SETTLED,
        EXPIRED
    }

    struct Undertaking {
        uint256 orderId;
        address obligorBank;
        address recipientBank;
        address buyer;
        address seller;
        address payee;
        bytes3 currency;
        UndertakingState state;
        uint32 amendmentCount;
        uint64 dueDate;
        uint64 expiry;
        uint64 settledAt;
        uint256 amount;
        bytes32 termsHash;
        uint256 financedDocumentId;
    }

    /// @notice The obligor bank's acceptance of a data mismatch: the invoice version it accepted, and when.
    struct MismatchAcceptance {
        uint256 invoiceId;
        uint64 acceptedAt;
    }

    /// @notice Proposed new terms, waiting for the other bank's consent.
    struct Amendment {
        address proposer;
        uint64 dueDate;
        uint64 expiry;
        uint256 amount;
    }

    /// @notice The obligor bank established an undertaking on `orderId` in favour of `recipientBank`.
    event UndertakingEstablished(
        uint256 indexed undertakingId,
        uint256 indexed orderId,
        address indexed obligorBank,
        address recipientBank,
        uint256 amount,
        bytes3 currency,
        uint64 dueDate,
        uint64 expiry,
        bytes32 termsHash
    );

    /// @notice A bank proposed new terms.
    event UndertakingAmendmentProposed(
        uint256 indexed undertakingId,
        address indexed proposer,
        uint256 amount,
        uint64 dueDate,
        uint64 expiry
    );

    /// @notice The other bank consented: the terms are now these (`amendmentCount` amendments so far).
    event UndertakingAmended(
        uint256 indexed undertakingId,
        address indexed consentedBy,
        uint32 amendmentCount,
        uint256 amount,
        uint64 dueDate,
        uint64 expiry
    );

    /// @notice The obligor bank accepted the data mismatch of invoice `invoiceId` (its match report `reportHash`):
    /// the undertaking is payable on its due date as if the data had matched.
    event UndertakingMismatchAccepted(
        uint256 indexed undertakingId,
        uint256 indexed invoiceId,
        address indexed obligorBank,
        bytes32 reportHash,
        uint64 acceptedAt
    );

    /// @notice A financier that financed the invoice document `documentId` now receives the proceeds.
    event UndertakingProceedsAssigned(uint256 indexed undertakingId, address indexed financier, uint256 documentId);

    /// @notice The undertaking was paid: `paymentEntryId` obligor -> recipient, `creditEntryId` recipient -> payee
    /// (zero when the recipient bank is the payee).
    event UndertakingSettled(
        uint256 indexed undertakingId,
        address indexed obligorBank,
        address indexed payee,
        uint256 amount,
        uint256 paymentEntryId,
        uint256 creditEntryId,
        uint64 settledAt
    );

    /// @notice The data did not match by the expiry date: the undertaking lapsed.
    event UndertakingExpired(uint256 indexed undertakingId, uint64 expiredAt);

    /// @notice The caller is not an active bank, or not the bank the operation belongs to.
    error PaymentUndertakingsUnauthorized(uint256 undertakingId, address caller);

    /// @notice The undertaking is not in the state the operation starts from.
    error PaymentUndertakingsInvalidState(uint256 undertakingId, UndertakingState current, UndertakingState expected);

    /// @notice The order is not an accepted, shipped or delivered open-account order without a live undertaking.
    error PaymentUndertakingsInvalidOrder(uint256 orderId, uint256 liveUndertakingId);

    /// @notice The recipient must be an active bank other than the obligor bank.
    error PaymentUndertakingsInvalidRecipient(address recipientBank);

    /// @notice Amounts are positive; the due date and expiry are not in the past.
    error PaymentUndertakingsInvalidTerms(uint256 amount, uint64 dueDate, uint64 expiry, uint64 timestamp);

    /// @notice Settlement before the due date.
    error PaymentUndertakingsNotDue(uint256 undertakingId, uint64 dueDate, uint64 timestamp);

    /// @notice Settlement needs the data matched by the expiry date (`matchedAt` zero: not matched).
    error PaymentUndertakingsDataNotMatched(uint256 undertakingId, uint64 matchedAt, uint64 expiry);

    /// @notice Expiry needs the expiry date passed without a data match by then.
    error PaymentUndertakingsNotExpired(uint256 undertakingId, uint64 expiry, uint64 matchedAt, uint64 timestamp);

    /// @notice No amendment is pending, or the caller proposed it (the other bank consents).
    error PaymentUndertakingsNoAmendmentToConsent(uint256 undertakingId, address caller);

    /// @notice The document is not FINANCED by the caller for the seller in the undertaking's currency, or the
    /// proceeds are already assigned.
    error PaymentUndertakingsInvalidFinancing(uint256 undertakingId, uint256 documentId);

    /// @notice The invoice is not the order's current one with a recorded mismatch whose report is `reportHash`, or
    /// the obligor bank already accepted it.
    error PaymentUndertakingsInvalidMismatch(uint256 undertakingId, uint256 invoiceId, bytes32 reportHash);

    /// @notice A mismatch is accepted no later than the expiry date.
    error PaymentUndertakingsAcceptanceTooLate(uint256 undertakingId, uint64 expiry, uint64 timestamp);

    /// @notice An undertaking (zero fields if none).
    function undertaking(uint256 undertakingId) external view returns (Undertaking memory);

    /// @notice The obligor bank's mismatch acceptance (zero fields if none).
    function mismatchAcceptance(uint256 undertakingId) external view returns (MismatchAcceptance memory);

    /// @notice The amendment waiting for consent (zero proposer if none).
    function pendingAmendment(uint256 undertakingId) external view returns (Amendment memory);

    /// @notice Number of undertakings (ids are 1..undertakingCount).
    function undertakingCount() external view returns (uint256);

    /// @notice The latest undertaking established on an order (zero if none).
    function undertakingOf(uint256 orderId) external view returns (uint256);

    /// @notice The buyer's sponsor bank establishes an undertaking on an open-account order.
    /// @return undertakingId the new undertaking's id
    function establish(
        uint256 orderId,
        address recipientBank,
        uint256 amount,
        uint64 dueDate,
        uint64 expiry,
        bytes32 termsHash
    ) external returns (uint256 undertakingId);

    /// @notice The obligor or recipient bank proposes new terms for an ESTABLISHED undertaking.
    function proposeAmendment(uint256 undertakingId, uint256 amount, uint64 dueDate, uint64 expiry) external;

    /// @notice The bank that did not propose the pending amendment consents: the terms change.
    function consentToAmendment(uint256 undertakingId) external;

    /// @notice The financier of the invoice document (FINANCED in DocumentRegistry, owner the seller) takes the
    /// proceeds of an ESTABLISHED undertaking not yet assigned.
    function assignProceeds(uint256 undertakingId, uint256 documentId) external;

    /// @notice The obligor bank accepts the data mismatch of the order's current invoice (MISMATCHED, or ACCEPTED by
    /// the buyer), naming its match report, no later than the undertaking's expiry (URBPO 750: only the obligor
    /// bank's acceptance of a mismatch makes its undertaking payable).
    function acceptMismatch(uint256 undertakingId, bytes32 reportHash) external;

    /// @notice The obligor or recipient bank settles an ESTABLISHED undertaking on or after its due date.
    function settle(uint256 undertakingId) external;

    /// @notice The obligor or recipient bank records that an undertaking lapsed (no data match by expiry).
    function expire(uint256 undertakingId) external;
}
