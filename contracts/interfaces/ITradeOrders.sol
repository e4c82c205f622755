// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITradeOrders: purchase orders between SME traders
/// @notice Order graph (every edge only through its named function):
/// CREATED -acceptOrder-> ACCEPTED -recordShipment-> SHIPPED -confirmDelivery-> DELIVERED -payOrder-> PAID;
/// CREATED -rejectOrder-> REJECTED; CREATED|ACCEPTED -requestCancellation by both parties-> CANCELLED.
/// REJECTED, CANCELLED and PAID are final; DELIVERED is final for LETTER_OF_CREDIT orders (paid under the LC).
/// Open-account orders are paid through Settlement (TradeOrders holds SETTLER_ROLE) by the buyer once
/// delivered, or collected by the seller from the buyer's account once the agreed due date has come.
/// ACCEPTED|SHIPPED|DELIVERED -recordPaymentByUndertaking-> PAID: an open-account order whose bank payment
/// undertaking settled is paid (only the holder of UNDERTAKING_ROLE, PaymentUndertakings, takes this edge), so
/// it can never be paid a second time through payOrder. While a live undertaking covers the order (from its
/// establishment until it settles or expires: recordUndertaking / releaseUndertaking, UNDERTAKING_ROLE only),
/// payOrder and cancellation are refused: the order's payment belongs to the undertaking, whose settlement would
/// otherwise revert for good (URBPO 750: the obligor bank's undertaking is irrevocable).
interface ITradeOrders {
    enum PaymentTerms {
        LETTER_OF_CREDIT,
        OPEN_ACCOUNT
    }

    enum OrderState {
        NONE,
        CREATED,
        ACCEPTED,
        REJECTED,
        SHIPPED,
        DELIVERED,
        PAID,
        CANCELLED
    }

    struct Order {
        address buyer;
        address seller;
        bytes3 currency;
        PaymentTerms paymentTerms;
        OrderState state;
        bool buyerConsentsToCancel;
        bool sellerConsentsToCancel;
        uint64 latestShipment;
        uint64 dueDate;
        uint64 shippedAt;
        uint64 deliveredAt;
        uint256 amount;
        bytes32 termsHash;
        bytes32 transportDocumentHash;
    }

    /// @notice The buyer created a purchase order; `termsHash` hashes the full off-chain terms.
    event OrderCreated(
        uint256 indexed orderId,
        address indexed buyer,
        address indexed seller,
        uint256 amount,
        bytes3 currency,
        bytes32 termsHash,
        uint64 latestShipment,
        PaymentTerms paymentTerms,
        uint64 dueDate
    );

    /// @notice The seller accepted the order.
    event OrderAccepted(uint256 indexed orderId, address indexed seller);

    /// @notice The seller rejected the order.
    event OrderRejected(uint256 indexed orderId, address indexed seller);

    /// @notice The seller recorded the shipment with the transport document's hash.
    event OrderShipped(uint256 indexed orderId, address indexed seller, bytes32 transportDocumentHash, uint64 shippedAt);

    /// @notice The buyer confirmed delivery.
    event OrderDelivered(uint256 indexed orderId, address indexed buyer, uint64 deliveredAt);

    /// @notice The open-account order was paid; `entryId` is the payment's ledger entry.
    event OrderPaid(uint256 indexed orderId, address indexed buyer, address indexed seller, uint256 amount, uint256 entryId);

    /// @notice The order was paid by the settlement of bank payment undertaking `undertakingId`; `entryId` is the
    /// ledger entry of its payment leg (obligor bank -> recipient bank).
    event OrderPaidByUndertaking(uint256 indexed orderId, uint256 indexed undertakingId, uint256 entryId);

    /// @notice Bank payment undertaking `undertakingId` now covers the order: until it settles or expires, the order
    /// is neither paid through payOrder nor cancelled.
    event OrderUndertakingRecorded(uint256 indexed orderId, uint256 indexed undertakingId);

    /// @notice The covering undertaking expired unpaid: the order's parties may pay or cancel it again.
    event OrderUndertakingReleased(uint256 indexed orderId, uint256 indexed undertakingId);

    /// @notice One party consented to cancel the order.
    event OrderCancellationRequested(uint256 indexed orderId, address indexed party);

    /// @notice Both parties consented: the order is cancelled.
    event OrderCancelled(uint256 indexed orderId);

    /// @notice The caller is not an active trader.
    error TradeOrdersUnauthorized(address caller);

    /// @notice The caller is not the party the operation belongs to.
    error TradeOrdersNotParty(uint256 orderId, address caller, address party);

    /// @notice The order is not in the state the operation starts from.
    error TradeOrdersInvalidState(uint256 orderId, OrderState current, OrderState expected);

    /// @notice The seller must be an active trader other than the buyer.
    error TradeOrdersInvalidCounterparty(address seller);

    /// @notice Amounts are positive minor units.
    error TradeOrdersInvalidAmount(uint256 amount);

    /// @notice Currency codes are three upper-case ASCII letters (ISO 4217).
    error TradeOrdersInvalidCurrency(bytes3 currency);

    /// @notice latestShipment must be in the future; open account needs dueDate >= latestShipment, LC dueDate 0.
    error TradeOrdersInvalidDates(uint64 latestShipment, uint64 dueDate, uint64 timestamp);

    /// @notice The shipment is recorded after the latest shipment date.
    error TradeOrdersShipmentLate(uint256 orderId, uint64 latestShipment, uint64 timestamp);

    /// @notice Only open-account orders are paid through TradeOrders.
    error TradeOrdersNotOpenAccount(uint256 orderId);

    /// @notice The seller may collect only once the due date has come.
    error TradeOrdersPaymentNotDue(uint256 orderId, uint64 dueDate, uint64 timestamp);

    /// @notice The party already consented to cancel.
    error TradeOrdersAlreadyConsented(uint256 orderId, address party);

    /// @notice A live bank payment undertaking covers the order: it is paid by that undertaking's settlement.
    error TradeOrdersCoveredByUndertaking(uint256 orderId, uint256 undertakingId);

    /// @notice An order.
    function order(uint256 orderId) external view returns (Order memory);

    /// @notice Number of orders (ids are 1..orderCount).
    function orderCount() external view returns (uint256);

    /// @notice The live bank payment undertaking covering the order (zero if none).
    function coveringUndertakingOf(uint256 orderId) external view returns (uint256);

    /// @notice The buyer (an active trader) creates a purchase order for `seller`.
    /// @return orderId the new order's id
    function createOrder(
        address seller,
        uint256 amount,
        bytes3 currency,
        bytes32 termsHash,
        uint64 latestShipment,
        PaymentTerms paymentTerms,
        uint64 dueDate
    ) external returns (uint256 orderId);

    /// @notice The seller accepts a CREATED order.
    function acceptOrder(uint256 orderId) external;

    /// @notice The seller rejects a CREATED order (final).
    function rejectOrder(uint256 orderId) external;

    /// @notice The seller records the shipment of an ACCEPTED order, no later than the latest shipment date.
    function recordShipment(uint256 orderId, bytes32 transportDocumentHash) external;

    /// @notice The buyer confirms delivery of a SHIPPED order.
    function confirmDelivery(uint256 orderId) external;

    /// @notice Pay a DELIVERED open-account order through Settlement: by the buyer, or by the seller once due.
    /// @return entryId the payment's ledger entry
    function payOrder(uint256 orderId) external returns (uint256 entryId);

    /// @notice The undertakings contract (UNDERTAKING_ROLE) marks an ACCEPTED, SHIPPED or DELIVERED open-account
    /// order PAID in the transaction that settled its bank payment undertaking.
    function recordPaymentByUndertaking(uint256 orderId, uint256 undertakingId, uint256 entryId) external;

    /// @notice The undertakings contract (UNDERTAKING_ROLE) records that undertaking `undertakingId`, just
    /// established, covers the order.
    function recordUndertaking(uint256 orderId, uint256 undertakingId) external;

    /// @notice The undertakings contract (UNDERTAKING_ROLE) records that the covering undertaking expired.
    function releaseUndertaking(uint256 orderId, uint256 undertakingId) external;

    /// @notice A party consents to cancel a CREATED or ACCEPTED order; the second consent cancels it.
    function requestCancellation(uint256 orderId) external;
}
