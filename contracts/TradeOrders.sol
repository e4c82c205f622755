// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {ITradeOrders} from "./interfaces/ITradeOrders.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/// @title TradeOrders: purchase orders between SME traders (see ITradeOrders)
/// @notice Holds SETTLER_ROLE on Settlement for open-account payments. Every trader mutator requires the caller to
/// be an active trader and the party the step belongs to; UNDERTAKING_ROLE (granted to PaymentUndertakings) marks
/// an order paid by its bank payment undertaking.
contract TradeOrders is ITradeOrders, AccessControlDefaultAdminRules {
    /// @notice The role of the contract whose settlements pay orders (PaymentUndertakings).
    bytes32 public constant UNDERTAKING_ROLE = keccak256("UNDERTAKING_ROLE");

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    mapping(uint256 orderId => Order) private _orders;
    mapping(uint256 orderId => uint256 undertakingId) private _coveringUndertaking;
    uint256 private _orderCount;

    /// @param membership_ the consortium registry
    /// @param settlement_ the cash ledger (this contract needs SETTLER_ROLE on it)
    /// @param initialAdminDelay delay of a two-step default-admin transfer
    constructor(
        IMembership membership_,
        ISettlement settlement_,
        uint48 initialAdminDelay
    ) AccessControlDefaultAdminRules(initialAdminDelay, msg.sender) {
        _membership = membership_;
        _settlement = settlement_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The cash ledger open-account orders are paid through.
    function settlement() external view returns (ISettlement) {
        return _settlement;
    }

    /// @inheritdoc ITradeOrders
    function order(uint256 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    /// @inheritdoc ITradeOrders
    function orderCount() external view returns (uint256) {
        return _orderCount;
    }

    /// @inheritdoc ITradeOrders
    function coveringUndertakingOf(uint256 orderId) external view returns (uint256) {
        return _coveringUndertaking[orderId];
    }

    // ---------------------------------------------------------------- mutators

    /// @inheritdoc ITradeOrders
    function createOrder(
        address seller,
        uint256 amount,
        bytes3 currency,
        bytes32 termsHash,
        uint64 latestShipment,
        PaymentTerms paymentTerms,
        uint64 dueDate
    ) external returns (uint256 orderId) {
        _requireActiveTrader();
        if (seller == msg.sender || !_membership.isActiveMember(seller, IMembership.MemberKind.TRADER)) {
            revert TradeOrdersInvalidCounterparty(seller);
        }
        if (amount == 0) revert TradeOrdersInvalidAmount(amount);
        if (!CurrencyCode.isValid(currency)) revert TradeOrdersInvalidCurrency(currency);
        uint64 timestamp = uint64(block.timestamp);
        bool openAccount = paymentTerms == PaymentTerms.OPEN_ACCOUNT;
        // dates are whole days apart; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        bool datesValid = latestShipment > timestamp && (openAccount ? dueDate >= latestShipment : dueDate == 0);
        if (!datesValid) revert TradeOrdersInvalidDates(latestShipment, dueDate, timestamp);

        orderId = ++_orderCount;
        Order storage stored = _orders[orderId];
        stored.buyer = msg.sender;
        stored.seller = seller;
        stored.currency = currency;
        stored.paymentTerms = paymentTerms;
        stored.latestShipment = latestShipment;
        stored.dueDate = dueDate;
        stored.amount = amount;
        stored.termsHash = termsHash;
        _transition(orderId, OrderState.NONE, OrderState.CREATED);
        emit OrderCreated(orderId, msg.sender, seller, amount, currency, termsHash, latestShipment, paymentTerms, dueDate);
    }

    /// @inheritdoc ITradeOrders
    function acceptOrder(uint256 orderId) external {
        _requireParty(orderId, _orders[orderId].seller);
        _transition(orderId, OrderState.CREATED, OrderState.ACCEPTED);
        emit OrderAccepted(orderId, msg.sender);
    }

    /// @inheritdoc ITradeOrders
    function rejectOrder(uint256 orderId) external {
        _requireParty(orderId, _orders[orderId].seller);
        _transition(orderId, OrderState.CREATED, OrderState.REJECTED);
        emit OrderRejected(orderId, msg.sender);
    }

    /// @inheritdoc ITradeOrders
    function recordShipment(uint256 orderId, bytes32 transportDocumentHash) external {
        Order storage stored = _orders[orderId];
        _requireParty(orderId, stored.seller);
        uint64 timestamp = uint64(block.timestamp);
        _transition(orderId, OrderState.ACCEPTED, OrderState.SHIPPED);
        // the latest shipment date is a calendar day; validator clock drift of seconds does not matter
        // slither-disable-next-line timestamp
        if (timestamp > stored.latestShipment) revert TradeOrdersShipmentLate(orderId, stored.latestShipment, timestamp);
        stored.transportDocumentHash = transportDocumentHash;
        stored.shippedAt = timestamp;
        emit OrderShipped(orderId, msg.sender, transportDocumentHash, timestamp);
    }

    /// @inheritdoc ITradeOrders
    function confirmDelivery(uint256 orderId) external {
        Order storage stored = _orders[orderId];
        _requireParty(orderId, stored.buyer);
        uint64 timestamp = uint64(block.timestamp);
        _transition(orderId, OrderState.SHIPPED, OrderState.DELIVERED);
        stored.deliveredAt = timestamp;
        emit OrderDelivered(orderId, msg.sender, timestamp);
    }

    /// @inheritdoc ITradeOrders
    function payOrder(uint256 orderId) external returns (uint256 entryId) {
        _requireActiveTrader();
        Order storage stored = _orders[orderId];
        address buyer = stored.buyer;
        address seller = stored.seller;
        if (msg.sender == seller) {
            // the due date is a calendar day; validator clock drift of seconds does not matter
            // slither-disable-next-line timestamp
            if (block.timestamp < stored.dueDate) {
                revert TradeOrdersPaymentNotDue(orderId, stored.dueDate, uint64(block.timestamp));
            }
        } else if (msg.sender != buyer) {
            revert TradeOrdersNotParty(orderId, msg.sender, buyer);
        }
        if (stored.paymentTerms != PaymentTerms.OPEN_ACCOUNT) revert TradeOrdersNotOpenAccount(orderId);
        _requireNotCovered(orderId);
        _transition(orderId, OrderState.DELIVERED, OrderState.PAID);
        uint256 amount = stored.amount;
        entryId = _settlement.settleLeg(
            buyer,
            seller,
            stored.currency,
            amount,
            ISettlement.PostingKind.OPEN_ACCOUNT_PAYMENT,
            bytes32(orderId)
        );
        // the event carries the entry id Settlement returns; Settlement is our own contract, state is final
        // before the call (checks-effects-interactions), so a re-entered call finds the order PAID
        // slither-disable-next-line reentrancy-events
        emit OrderPaid(orderId, buyer, seller, amount, entryId);
    }

    /// @inheritdoc ITradeOrders
    function recordPaymentByUndertaking(
        uint256 orderId,
        uint256 undertakingId,
        uint256 entryId
    ) external onlyRole(UNDERTAKING_ROLE) {
        Order storage stored = _orders[orderId];
        if (stored.paymentTerms != PaymentTerms.OPEN_ACCOUNT) revert TradeOrdersNotOpenAccount(orderId);
        OrderState state = stored.state;
        if (state != OrderState.ACCEPTED && state != OrderState.SHIPPED && state != OrderState.DELIVERED) {
            revert TradeOrdersInvalidState(orderId, state, OrderState.DELIVERED);
        }
        _transition(orderId, state, OrderState.PAID);
        delete _coveringUndertaking[orderId];
        emit OrderPaidByUndertaking(orderId, undertakingId, entryId);
    }

    /// @inheritdoc ITradeOrders
    function recordUndertaking(uint256 orderId, uint256 undertakingId) external onlyRole(UNDERTAKING_ROLE) {
        _requireNotCovered(orderId);
        _coveringUndertaking[orderId] = undertakingId;
        emit OrderUndertakingRecorded(orderId, undertakingId);
    }

    /// @inheritdoc ITradeOrders
    function releaseUndertaking(uint256 orderId, uint256 undertakingId) external onlyRole(UNDERTAKING_ROLE) {
        uint256 covering = _coveringUndertaking[orderId];
        if (covering != undertakingId) revert TradeOrdersCoveredByUndertaking(orderId, covering);
        delete _coveringUndertaking[orderId];
        emit OrderUndertakingReleased(orderId, undertakingId);
    }

    /// @inheritdoc ITradeOrders
    function requestCancellation(uint256 orderId) external {
        _requireActiveTrader();
        Order storage stored = _orders[orderId];
        bool isBuyer = msg.sender == stored.buyer;
        if (!isBuyer && msg.sender != stored.seller) revert TradeOrdersNotParty(orderId, msg.sender, stored.buyer);
        OrderState state = stored.state;
        if (state != OrderState.CREATED && state != OrderState.ACCEPTED) {
            revert TradeOrdersInvalidState(orderId, state, OrderState.ACCEPTED);
        }
        _requireNotCovered(orderId);
        if (isBuyer ? stored.buyerConsentsToCancel : stored.sellerConsentsToCancel) {
            revert TradeOrdersAlreadyConsented(orderId, msg.sender);
        }
        if (isBuyer) stored.buyerConsentsToCancel = true;
        else stored.sellerConsentsToCancel = true;
        emit OrderCancellationRequested(orderId, msg.sender);
        if (stored.buyerConsentsToCancel && stored.sellerConsentsToCancel) {
            _transition(orderId, state, OrderState.CANCELLED);
            emit OrderCancelled(orderId);
        }
    }

    // ---------------------------------------------------------------- internals

    function _requireActiveTrader() private view {
        if (!_membership.isActiveMember(msg.sender, IMembership.MemberKind.TRADER)) {
            revert TradeOrdersUnauthorized(msg.sender);
        }
    }

    function _requireParty(uint256 orderId, address party) private view {
        _requireActiveTrader();
        // an address comparison; Slither's taint analysis links it to the timestamp of recordShipment
        // slither-disable-next-line timestamp
        if (msg.sender != party) revert TradeOrdersNotParty(orderId, msg.sender, party);
    }

    function _requireNotCovered(uint256 orderId) private view {
        uint256 covering = _coveringUndertaking[orderId];
        if (covering != 0) revert TradeOrdersCoveredByUndertaking(orderId, covering);
    }

    /// @dev The order state machine: the only writer of `state`.
    function _transition(uint256 orderId, OrderState expected, OrderState next) private {
        Order storage stored = _orders[orderId];
        if (stored.state != expected) revert TradeOrdersInvalidState(orderId, stored.state, expected);
        stored.state = next;
    }
}
