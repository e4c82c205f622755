// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/// @title Settlement: the on-chain cash ledger (see ISettlement)
/// @notice The operator (default admin) designates the settlement agent with
/// `grantRole(SETTLEMENT_AGENT_ROLE, agent)` and grants SETTLER_ROLE to the business contracts.
contract Settlement is ISettlement, AccessControlDefaultAdminRules {
    /// @notice Business contracts that move settlement legs (TradeOrders, DocumentRegistry, LetterOfCredit).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice The consortium's settlement agent: issues to and redeems from banks' accounts.
    bytes32 public constant SETTLEMENT_AGENT_ROLE = keccak256("SETTLEMENT_AGENT_ROLE");

    IMembership private immutable _membership;
    mapping(address account => mapping(bytes3 currency => uint256)) private _balances;
    mapping(bytes3 currency => uint256) private _issued;
    mapping(bytes3 currency => uint256) private _redeemed;
    mapping(uint256 paymentId => ExternalPayment) private _payments;
    uint256 private _lastEntryId;
    uint256 private _paymentCount;

    /// @param membership_ the consortium registry
    /// @param initialAdminDelay delay (seconds) of a default-admin transfer
    constructor(IMembership membership_, uint48 initialAdminDelay)
        AccessControlDefaultAdminRules(initialAdminDelay, msg.sender)
    {
        _membership = membership_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this ledger asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @inheritdoc ISettlement
    function balanceOf(address account, bytes3 currency) external view returns (uint256) {
        return _balances[account][currency];
    }

    /// @inheritdoc ISettlement
    function totalIssued(bytes3 currency) external view returns (uint256) {
        return _issued[currency];
    }

    /// @inheritdoc ISettlement
    function totalRedeemed(bytes3 currency) external view returns (uint256) {
        return _redeemed[currency];
    }

    /// @inheritdoc ISettlement
    function lastEntryId() external view returns (uint256) {
        return _lastEntryId;
    }

    /// @inheritdoc ISettlement
    function externalPaymentCount() external view returns (uint256) {
        return _paymentCount;
    }

    /// @inheritdoc ISettlement
    function externalPayment(uint256 paymentId) external view returns (ExternalPayment memory) {
        return _payments[paymentId];
    }

    // ---------------------------------------------------------------- issue, redeem, transfer

    /// @inheritdoc ISettlement
    function issue(address account, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId) {
        IMembership.Member memory member = _membership.memberOf(account);
        if (member.status != IMembership.MemberStatus.ACTIVE) revert SettlementInvalidAccount(account);
        _requireIssuer(account, member);
        return _post(address(0), account, currency, amount, PostingKind.ISSUE, ref);
    }

    /// @inheritdoc ISettlement
    function redeem(address account, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId) {
        _requireIssuer(account, _membership.memberOf(account));
        return _post(account, address(0), currency, amount, PostingKind.REDEEM, ref);
    }

    /// @inheritdoc ISettlement
    function transfer(address to, bytes3 currency, uint256 amount, bytes32 ref) external returns (uint256 entryId) {
        if (!_isActiveAccountHolder(msg.sender)) revert SettlementUnauthorized(msg.sender);
        if (to == msg.sender || !_isActiveAccountHolder(to)) revert SettlementInvalidAccount(to);
        return _post(msg.sender, to, currency, amount, PostingKind.TRANSFER, ref);
    }

    /// @inheritdoc ISettlement
    function settleLeg(
        address debitAccount,
        address creditAccount,
        bytes3 currency,
        uint256 amount,
        PostingKind kind,
        bytes32 ref
    ) external onlyRole(SETTLER_ROLE) returns (uint256 entryId) {
        if (debitAccount == address(0)) revert SettlementInvalidAccount(debitAccount);
        if (creditAccount == address(0) || creditAccount == debitAccount) revert SettlementInvalidAccount(creditAccount);
        return _post(debitAccount, creditAccount, currency, amount, kind, ref);
    }

    // ---------------------------------------------------------------- external rails

    /// @inheritdoc ISettlement
    function recordExternalPayment(
        address payee,
        bytes3 currency,
        uint256 amount,
        ExternalRail rail,
        bytes32 railReference,
        bytes32 ref
    ) external returns (uint256 paymentId) {
        if (!_isActiveAccountHolder(msg.sender)) revert SettlementUnauthorized(msg.sender);
        if (payee == msg.sender || !_isActiveAccountHolder(payee)) revert SettlementInvalidAccount(payee);
        if (!CurrencyCode.isValid(currency)) revert SettlementInvalidCurrency(currency);
        if (amount == 0) revert SettlementInvalidAmount(amount);
        paymentId = ++_paymentCount;
        _payments[paymentId] = ExternalPayment({
            payer: msg.sender,
            payee: payee,
            currency: currency,
            rail: rail,
            state: ExternalPaymentState.RECORDED,
            amount: amount,
            railReference: railReference,
            ref: ref
        });
        emit ExternalPaymentRecorded(paymentId, msg.sender, payee, currency, amount, rail, railReference, ref);
    }

    /// @inheritdoc ISettlement
    function confirmExternalPayment(uint256 paymentId) external {
        _transition(paymentId, ExternalPaymentState.CONFIRMED);
        emit ExternalPaymentConfirmed(paymentId, msg.sender);
    }

    /// @inheritdoc ISettlement
    function rejectExternalPayment(uint256 paymentId) external {
        _transition(paymentId, ExternalPaymentState.REJECTED);
        emit ExternalPaymentRejected(paymentId, msg.sender);
    }

    // ---------------------------------------------------------------- internals

    function _isActiveAccountHolder(address account) private view returns (bool) {
        return
            _membership.isActiveMember(account, IMembership.MemberKind.BANK) ||
            _membership.isActiveMember(account, IMembership.MemberKind.TRADER);
    }

    /// @dev A bank's account is served by the settlement agent, a trader's by its active sponsor bank.
    function _requireIssuer(address account, IMembership.Member memory member) private view {
        if (member.kind == IMembership.MemberKind.BANK) {
            if (!hasRole(SETTLEMENT_AGENT_ROLE, msg.sender)) revert SettlementUnauthorizedIssuer(msg.sender, account);
        } else if (member.kind == IMembership.MemberKind.TRADER) {
            if (member.sponsor != msg.sender || !_membership.isActiveMember(msg.sender, IMembership.MemberKind.BANK)) {
                revert SettlementUnauthorizedIssuer(msg.sender, account);
            }
        } else {
            revert SettlementInvalidAccount(account);
        }
    }

    /// @dev The external-payment state machine: RECORDED -> CONFIRMED | REJECTED, by the payee only.
    function _transition(uint256 paymentId, ExternalPaymentState next) private {
        ExternalPayment storage payment = _payments[paymentId];
        if (payment.state != ExternalPaymentState.RECORDED) {
            revert SettlementInvalidPaymentState(paymentId, payment.state, ExternalPaymentState.RECORDED);
        }
        if (msg.sender != payment.payee) revert SettlementNotPayee(paymentId, msg.sender, payment.payee);
        payment.state = next;
    }

    /// @dev The only writer of balances and totals: one movement, one `Posted`.
    function _post(
        address debitAccount,
        address creditAccount,
        bytes3 currency,
        uint256 amount,
        PostingKind kind,
        bytes32 ref
    ) private returns (uint256 entryId) {
        if (!CurrencyCode.isValid(currency)) revert SettlementInvalidCurrency(currency);
        if (amount == 0) revert SettlementInvalidAmount(amount);
        if (debitAccount == address(0)) {
            _issued[currency] += amount;
        } else {
            uint256 balance = _balances[debitAccount][currency];
            if (balance < amount) revert SettlementInsufficientBalance(debitAccount, currency, balance, amount);
            unchecked {
                _balances[debitAccount][currency] = balance - amount;
            }
        }
        if (creditAccount == address(0)) {
            _redeemed[currency] += amount;
        } else {
            _balances[creditAccount][currency] += amount;
        }
        entryId = ++_lastEntryId;
        emit Posted(entryId, debitAccount, creditAccount, currency, amount, kind, ref);
    }
}
