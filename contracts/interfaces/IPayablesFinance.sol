// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IPayablesFinance: buyer-led supply-chain finance (payables finance) on open-account invoices
/// @notice The buyer approves a payable for the current invoice of one of its open-account orders once that invoice
/// matched its order (Invoices: MATCHED, or ACCEPTED by the buyer): an amount not above the invoice's and a maturity
/// day. The approval is irrevocable: no function withdraws or changes it. A financier (an active bank) may then pay
/// the supplier early: it registers the invoice in the DocumentRegistry (the duplicate-financing guard) and calls
/// `finance`, which checks the advance against the discount and finances that document through the registry in the
/// same transaction (`DocumentRegistry.financeFor`, the advance financier -> supplier settling there). The invoice's
/// fingerprints are locked to that financing, so no LC document financing, receivables discount or other payable
/// can finance the same invoice while it is open.
///
/// Discount (simple bank discount on the face value, in minor units, computed off chain and checked here):
/// discount = round_half_up(amount x rateBps x days / (10,000 x basis)), advance = amount - discount, with days the
/// actual calendar days from the value date (the block's UTC day) to the maturity day and basis 360 (ACT/360) or
/// 365 (ACT/365 fixed).
///
/// Payable graph (every edge only through its named function):
/// APPROVED -finance-> FINANCED;
/// APPROVED | FINANCED | OVERDUE -collect (on or after maturity)-> PAID when the buyer's balance covers the amount
/// (buyer -> financier FINANCING_REPAYMENT when financed, closing the registry's financing; else buyer -> supplier
/// OPEN_ACCOUNT_PAYMENT), else APPROVED | FINANCED -collect-> OVERDUE (nothing moves; collect again later).
/// PAID is final. Ledger references name the payable and the leg (PayablesFinance.REFERENCE_FLAG).
interface IPayablesFinance {
    enum PayableState {
        NONE,
        APPROVED,
        FINANCED,
        OVERDUE,
        PAID
    }

    enum DayCount {
        ACT_360,
        ACT_365
    }

    struct Payable {
        uint256 invoiceId;
        address buyer;
        address supplier;
        address financier;
        bytes3 currency;
        PayableState state;
        DayCount dayCount;
        uint16 rateBps;
        uint64 maturity;
        uint64 financedAt;
        uint64 paidAt;
        uint256 amount;
        uint256 advance;
        uint256 documentId;
        bytes32 termsHash;
    }

    /// @notice The buyer approved a payable of `amount` to `supplier` at `maturity` for `invoiceId`.
    event PayableApproved(
        uint256 indexed payableId,
        uint256 indexed invoiceId,
        address indexed buyer,
        address supplier,
        bytes3 currency,
        uint256 amount,
        uint64 maturity,
        bytes32 termsHash
    );

    /// @notice `financier` paid the supplier `advance` early against registry document `documentId`.
    event PayableFinanced(
        uint256 indexed payableId,
        address indexed financier,
        uint256 indexed documentId,
        uint16 rateBps,
        DayCount dayCount,
        uint32 daysToMaturity,
        uint256 advance,
        uint256 entryId
    );

    /// @notice The payable fell due and the buyer's `balance` did not cover it: nothing moved.
    event PayableOverdue(uint256 indexed payableId, uint256 balance, uint64 at);

    /// @notice The buyer paid `amount` to `payee` (the financier, or the supplier when unfinanced); `entryId` is the leg.
    event PayablePaid(uint256 indexed payableId, address indexed payee, uint256 amount, uint256 entryId, uint64 at);

    /// @notice The caller may not do this to `payableId` (zero: to any payable).
    error PayablesFinanceUnauthorized(uint256 payableId, address caller);

    /// @notice The invoice is not a current invoice matched to its order, or already has a payable (`payableId`).
    error PayablesFinanceInvalidInvoice(uint256 invoiceId, uint256 payableId);

    /// @notice Amount 0 or above the invoice's, or a maturity not after now.
    error PayablesFinanceInvalidTerms(uint256 amount, uint256 invoiceAmount, uint64 maturity, uint64 timestamp);

    /// @notice The payable is not in a state the operation starts from.
    error PayablesFinanceInvalidState(uint256 payableId, PayableState current);

    /// @notice The registry document is not this payable's invoice (a REGISTERED invoice of the supplier in the
    /// payable's currency with the payable's amount as face value).
    error PayablesFinanceInvalidDocument(uint256 payableId, uint256 documentId);

    /// @notice The stated advance is not the amount less the discount computed here.
    error PayablesFinanceDiscountMismatch(uint256 payableId, uint256 advance, uint256 expected, uint32 daysToMaturity);

    /// @notice The rate is above 10,000 basis points a year, or the maturity day is today or past.
    error PayablesFinanceInvalidRate(uint256 payableId, uint16 rateBps, uint32 daysToMaturity);

    /// @notice The payable falls due at `maturity`, after `timestamp`.
    error PayablesFinanceNotDue(uint256 payableId, uint64 maturity, uint64 timestamp);

    /// @notice A payable.
    function getPayable(uint256 payableId) external view returns (Payable memory);

    /// @notice Number of payables approved (ids are 1..payableCount).
    function payableCount() external view returns (uint256);

    /// @notice The payable approved for `invoiceId` (zero if none).
    function payableOf(uint256 invoiceId) external view returns (uint256);

    /// @notice The advance for `amount` at `rateBps` for `daysToMaturity` days under `dayCount` (the check `finance`
    /// makes).
    function advanceFor(
        uint256 amount,
        uint16 rateBps,
        DayCount dayCount,
        uint32 daysToMaturity
    ) external pure returns (uint256);

    /// @notice The buyer (an active trader) approves a payable for the current, matched invoice of its order;
    /// irrevocable.
    /// @return payableId the new payable's id
    function approve(
        uint256 invoiceId,
        uint256 amount,
        uint64 maturity,
        bytes32 termsHash
    ) external returns (uint256 payableId);

    /// @notice An active bank pays the supplier `advance` early against registry document `documentId` (the invoice it
    /// registered); refused unless `advance` is the amount less the discount from the value date (today) to maturity.
    /// @return entryId the advance's ledger entry
    function finance(
        uint256 payableId,
        uint256 documentId,
        uint16 rateBps,
        DayCount dayCount,
        uint256 advance
    ) external returns (uint256 entryId);

    /// @notice On or after maturity, the buyer or the payee (financier, else supplier) collects the buyer's payment;
    /// marks the payable OVERDUE instead when the buyer's balance is short.
    function collect(uint256 payableId) external;
}
