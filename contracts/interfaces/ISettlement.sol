// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ISettlement: the on-chain cash ledger (tokenized deposits) of the consortium
/// @notice Multi-currency accounts keyed by member address and ISO 4217 code (bytes3, e.g. "USD"), amounts
/// in minor units. Every balance movement emits exactly one `Posted` with a gapless entry id starting at 1:
/// this event stream is the ledger statements are built from. Per currency,
/// sum(balances) == totalIssued - totalRedeemed and no balance is ever negative.
///
/// Who moves money:
/// - ISSUE / REDEEM (fiat deposited / withdrawn off chain): a bank's account by the settlement agent, i.e. a
///   holder of SETTLEMENT_AGENT_ROLE, designated by the operator (the default admin) with `grantRole`; a
///   trader's account by its sponsor bank.
/// - TRANSFER: by the owner of the debited account (an active bank or trader) to an active bank or trader.
/// - settleLeg: by business contracts holding SETTLER_ROLE (TradeOrders, DocumentRegistry, LetterOfCredit,
///   Undertakings, granted at deployment), atomically with the business state change.
///
/// Payments made outside the chain (SWIFT, CIPS, RTGS) do not move on-chain balances: they are a separate
/// record (`ExternalPayment`, own id sequence) that the payer creates with the rail's reference hash and
/// the payee confirms or rejects. They never emit `Posted`, so the `Posted` stream is exactly the balance
/// ledger; PostingKind.EXTERNAL_PAYMENT is reserved and never posted by this contract. An external payment
/// still RECORDED (not confirmed) is a reconciliation break.
interface ISettlement {
    enum PostingKind {
        ISSUE,
        REDEEM,
        TRANSFER,
        LC_HONOUR,
        LC_REIMBURSEMENT,
        FINANCING_DISBURSEMENT,
        FINANCING_REPAYMENT,
        OPEN_ACCOUNT_PAYMENT,
        EXTERNAL_PAYMENT,
        UNDERTAKING_PAYMENT,
        UNDERTAKING_REIMBURSEMENT
    }

    enum ExternalRail {
        SWIFT,
        CIPS,
        RTGS,
        OTHER
    }

    enum ExternalPaymentState {
        NONE,
        RECORDED,
        CONFIRMED,
        REJECTED
    }

    struct ExternalPayment {
        address payer;
        address payee;
        bytes3 currency;
        ExternalRail rail;
        ExternalPaymentState state;
        uint256 amount;
        bytes32 railReference;
        bytes32 ref;
    }

    /// @notice One ledger entry. ISSUE has debitAccount zero, REDEEM has creditAccount zero.
    event Posted(
        uint256 indexed entryId,
        address indexed debitAccount,
        address indexed creditAccount,
        bytes3 currency,
        uint256 amount,
        PostingKind kind,
        bytes32 ref
    );

    /// @notice The payer recorded a payment made outside the chain; `railReference` hashes the rail's reference.
    event ExternalPaymentRecorded(
        uint256 indexed paymentId,
        address indexed payer,
        address indexed payee,
        bytes3 currency,
        uint256 amount,
        ExternalRail rail,
        bytes32 railReference,
        bytes32 ref
    );

    /// @notice The payee confirmed it received the external payment.
    event ExternalPaymentConfirmed(uint256 indexed paymentId, address indexed payee);

    /// @notice The payee declared it did not receive the external payment.
    event ExternalPaymentRejected(uint256 indexed paymentId, address indexed payee);

    /// @notice `account` holds `balance` of `currency`, less than the `needed` amount.
    error SettlementInsufficientBalance(address account, bytes3 currency, uint256 balance, uint256 needed);

    /// @notice The caller is not an active bank or trader.
    error SettlementUnauthorized(address caller);

    /// @notice The caller may not issue to / redeem from `account` (not the agent for a bank, not the sponsor for a trader).
    error SettlementUnauthorizedIssuer(address caller, address account);

    /// @notice `account` cannot take part in this movement (zero, not a member, inactive, or the caller itself).
    error SettlementInvalidAccount(address account);

    /// @notice Amounts are positive minor units.
    error SettlementInvalidAmount(uint256 amount);

    /// @notice Currency codes are three upper-case ASCII letters (ISO 4217).
    error SettlementInvalidCurrency(bytes3 currency);

    /// @notice The external payment is not in the state the operation starts from.
    error SettlementInvalidPaymentState(uint256 paymentId, ExternalPaymentState current, ExternalPaymentState expected);

    /// @notice Only the payee confirms or rejects an external payment.
    error SettlementNotPayee(uint256 paymentId, address caller, address payee);

    /// @notice Balance of `account` in `currency`, in minor units.
    function balanceOf(address account, bytes3 currency) external view returns (uint256);

    /// @notice Total ever issued in `currency`.
    function totalIssued(bytes3 currency) external view returns (uint256);

    /// @notice Total ever redeemed in `currency`.
    function totalRedeemed(bytes3 currency) external view returns (uint256);

    /// @notice Id of the last ledger entry (entry ids are 1..lastEntryId, gapless).
    function lastEntryId() external view returns (uint256);

    /// @notice Number of external payments recorded (ids are 1..externalPaymentCount).
    function externalPaymentCount() external view returns (uint256);

    /// @notice An external payment record.
    function externalPayment(uint256 paymentId) external view returns (ExternalPayment memory);

    /// @notice Credit `account` with fiat deposited off chain (agent for banks, sponsor bank for traders).
    /// @return entryId the ledger entry
    function issue(address account, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId);

    /// @notice Debit `account` for fiat withdrawn off chain (agent for banks, sponsor bank for traders).
    /// @return entryId the ledger entry
    function redeem(address account, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId);

    /// @notice Move the caller's own funds to an active bank or trader.
    /// @return entryId the ledger entry
    function transfer(address to, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId);

    /// @notice Moved by business contracts holding SETTLER_ROLE (granted at deployment);
    /// reverts SettlementInsufficientBalance(account, currency, balance, needed).
    /// @return entryId the ledger entry
    function settleLeg(
        address debitAccount,
        address creditAccount,
        bytes3 currency,
        uint256 amount,
        PostingKind kind,
        bytes32 ref
    ) external returns (uint256 entryId);

    /// @notice The caller (payer, an active bank or trader) records a payment it made outside the chain.
    /// @return paymentId the external payment's id
    function recordExternalPayment(
        address payee,
        bytes3 currency,
        uint256 amount,
        ExternalRail rail,
        bytes32 railReference,
        bytes32 ref
    ) external returns (uint256 paymentId);

    /// @notice The payee confirms receipt of an external payment (RECORDED -> CONFIRMED).
    function confirmExternalPayment(uint256 paymentId) external;

    /// @notice The payee declares an external payment not received (RECORDED -> REJECTED).
    function rejectExternalPayment(uint256 paymentId) external;
}
