// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IInvoices} from "./interfaces/IInvoices.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ITradeOrders} from "./interfaces/ITradeOrders.sol";

/// @title Invoices: open-account invoices, versions and data-match anchors (see IInvoices)
contract Invoices is IInvoices {
    IMembership private immutable _membership;
    ITradeOrders private immutable _orders;
    mapping(uint256 invoiceId => Invoice) private _invoices;
    mapping(uint256 orderId => uint256 invoiceId) private _currentInvoice;
    uint256 private _invoiceCount;

    /// @param membership_ the consortium registry
    /// @param orders_ the purchase orders invoices belong to
    constructor(IMembership membership_, ITradeOrders orders_) {
        _membership = membership_;
        _orders = orders_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The purchase orders invoices belong to.
    function tradeOrders() external view returns (ITradeOrders) {
        return _orders;
    }

    /// @inheritdoc IInvoices
    function invoice(uint256 invoiceId) external view returns (Invoice memory) {
        return _invoices[invoiceId];
    }

    /// @inheritdoc IInvoices
    function invoiceCount() external view returns (uint256) {
        return _invoiceCount;
    }

    /// @inheritdoc IInvoices
    function currentInvoiceOf(uint256 orderId) external view returns (uint256) {
        return _currentInvoice[orderId];
    }

    /// @inheritdoc IInvoices
    function matchedAt(uint256 orderId) external view returns (uint64) {
        return _invoices[_currentInvoice[orderId]].matchedAt;
    }

    // ---------------------------------------------------------------- mutators

    /// @inheritdoc IInvoices
    function issueInvoice(uint256 orderId, InvoiceData calldata data) external returns (uint256 invoiceId) {
        _requireActiveTrader();
        ITradeOrders.Order memory order = _orders.order(orderId);
        if (msg.sender != order.seller) revert InvoicesNotParty(orderId, msg.sender);
        ITradeOrders.OrderState state = order.state;
        bool invoiceable = order.paymentTerms == ITradeOrders.PaymentTerms.OPEN_ACCOUNT &&
            (state == ITradeOrders.OrderState.ACCEPTED ||
                state == ITradeOrders.OrderState.SHIPPED ||
                state == ITradeOrders.OrderState.DELIVERED);
        uint256 current = _currentInvoice[orderId];
        if (!invoiceable || current != 0) revert InvoicesInvalidOrder(orderId, current);
        invoiceId = _store(orderId, order, 1, 0, data);
    }

    /// @inheritdoc IInvoices
    function correctInvoice(uint256 invoiceId, InvoiceData calldata data) external returns (uint256 successorId) {
        _requireActiveTrader();
        Invoice storage previous = _invoices[invoiceId];
        if (msg.sender != previous.seller) revert InvoicesNotParty(invoiceId, msg.sender);
        InvoiceState state = previous.state;
        if (state != InvoiceState.ISSUED && state != InvoiceState.MISMATCHED) {
            revert InvoicesInvalidState(invoiceId, state, InvoiceState.ISSUED);
        }
        uint256 orderId = previous.orderId;
        successorId = _store(orderId, _orders.order(orderId), previous.version + 1, invoiceId, data);
        _transition(invoiceId, state, InvoiceState.SUPERSEDED);
        emit InvoiceSuperseded(invoiceId, successorId);
    }

    /// @inheritdoc IInvoices
    function recordMatch(uint256 invoiceId, bool matched, bytes32 reportHash) external {
        _requireActiveTrader();
        Invoice storage stored = _invoices[invoiceId];
        if (msg.sender != stored.seller && msg.sender != stored.buyer) revert InvoicesNotParty(invoiceId, msg.sender);
        if (reportHash == bytes32(0)) revert InvoicesInvalidReport(invoiceId, reportHash);
        uint64 timestamp = uint64(block.timestamp);
        _transition(invoiceId, InvoiceState.ISSUED, matched ? InvoiceState.MATCHED : InvoiceState.MISMATCHED);
        stored.matchReportHash = reportHash;
        if (matched) stored.matchedAt = timestamp;
        emit InvoiceMatchRecorded(invoiceId, msg.sender, matched, reportHash, timestamp);
    }

    /// @inheritdoc IInvoices
    function acceptMismatch(uint256 invoiceId, bytes32 reportHash) external {
        _requireActiveTrader();
        Invoice storage stored = _invoices[invoiceId];
        if (msg.sender != stored.buyer) revert InvoicesNotParty(invoiceId, msg.sender);
        _transition(invoiceId, InvoiceState.MISMATCHED, InvoiceState.ACCEPTED);
        if (reportHash != stored.matchReportHash) revert InvoicesInvalidReport(invoiceId, reportHash);
        uint64 timestamp = uint64(block.timestamp);
        stored.matchedAt = timestamp;
        emit InvoiceMismatchAccepted(invoiceId, msg.sender, reportHash, timestamp);
    }

    // ---------------------------------------------------------------- internals

    function _store(
        uint256 orderId,
        ITradeOrders.Order memory order,
        uint32 version,
        uint256 supersedes,
        InvoiceData calldata data
    ) private returns (uint256 invoiceId) {
        // the issue date is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        bool valid = data.amount != 0 &&
            data.invoiceHash != bytes32(0) &&
            data.linesHash != bytes32(0) &&
            data.issueDate <= block.timestamp;
        if (!valid) revert InvoicesInvalidInvoice(data.amount, data.invoiceHash, data.issueDate);
        invoiceId = ++_invoiceCount;
        Invoice storage stored = _invoices[invoiceId];
        stored.orderId = orderId;
        stored.seller = order.seller;
        stored.buyer = order.buyer;
        stored.currency = order.currency;
        stored.version = version;
        stored.issueDate = data.issueDate;
        stored.amount = data.amount;
        stored.quantityTotal = data.quantityTotal;
        stored.invoiceHash = data.invoiceHash;
        stored.linesHash = data.linesHash;
        stored.supersedes = supersedes;
        _currentInvoice[orderId] = invoiceId;
        _transition(invoiceId, InvoiceState.NONE, InvoiceState.ISSUED);
        emit InvoiceIssued(invoiceId, orderId, order.seller, version, order.currency, supersedes, data);
    }

    function _requireActiveTrader() private view {
        if (!_membership.isActiveMember(msg.sender, IMembership.MemberKind.TRADER)) {
            revert InvoicesUnauthorized(msg.sender);
        }
    }

    /// @dev The invoice state machine: the only writer of `state`.
    function _transition(uint256 invoiceId, InvoiceState expected, InvoiceState next) private {
        Invoice storage stored = _invoices[invoiceId];
        if (stored.state != expected) revert InvoicesInvalidState(invoiceId, stored.state, expected);
        stored.state = next;
    }
}
