// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IInvoices} from "./interfaces/IInvoices.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPaymentUndertakings} from "./interfaces/IPaymentUndertakings.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {ITradeOrders} from "./interfaces/ITradeOrders.sol";

/// @title PaymentUndertakings: bank payment undertakings on open-account orders (see IPaymentUndertakings)
/// @notice Holds SETTLER_ROLE on Settlement for the settlement legs.
contract PaymentUndertakings is IPaymentUndertakings {
    /// @notice Marks the ledger references of undertaking legs: bytes32(REFERENCE_FLAG | undertakingId << 8 | leg),
    /// leg PAYMENT_LEG (obligor -> recipient) or CREDIT_LEG (recipient -> payee), so that statements tell the two
    /// legs apart from each other and from an order paid through TradeOrders (bytes32(orderId)).
    uint256 public constant REFERENCE_FLAG = 1 << 255;
    /// @notice Leg number of obligor bank -> recipient bank.
    uint256 public constant PAYMENT_LEG = 1;
    /// @notice Leg number of recipient bank -> payee (the seller, or the financier).
    uint256 public constant CREDIT_LEG = 2;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    ITradeOrders private immutable _orders;
    IInvoices private immutable _invoices;
    IDocumentRegistry private immutable _documents;
    mapping(uint256 undertakingId => Undertaking) private _undertakings;
    mapping(uint256 undertakingId => Amendment) private _pending;
    mapping(uint256 undertakingId => MismatchAcceptance) private _acceptances;
    mapping(uint256 orderId => uint256 undertakingId) private _undertakingOf;
    uint256 private _undertakingCount;

    /// @param membership_ the consortium registry
    /// @param settlement_ the cash ledger (this contract needs SETTLER_ROLE on it)
    /// @param orders_ the purchase orders undertakings are given on
    /// @param invoices_ the invoices whose data match makes an undertaking payable
    /// @param documents_ the duplicate-financing guard discounting goes through
    constructor(
        IMembership membership_,
        ISettlement settlement_,
        ITradeOrders orders_,
        IInvoices invoices_,
        IDocumentRegistry documents_
    ) {
        _membership = membership_;
        _settlement = settlement_;
        _orders = orders_;
        _invoices = invoices_;
        _documents = documents_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The cash ledger undertakings settle through.
    function settlement() external view returns (ISettlement) {
        return _settlement;
    }

    /// @inheritdoc IPaymentUndertakings
    function undertaking(uint256 undertakingId) external view returns (Undertaking memory) {
        return _undertakings[undertakingId];
    }

    /// @inheritdoc IPaymentUndertakings
    function pendingAmendment(uint256 undertakingId) external view returns (Amendment memory) {
        return _pending[undertakingId];
    }

    /// @inheritdoc IPaymentUndertakings
    function mismatchAcceptance(uint256 undertakingId) external view returns (MismatchAcceptance memory) {
        return _acceptances[undertakingId];
    }

    /// @inheritdoc IPaymentUndertakings
    function undertakingCount() external view returns (uint256) {
        return _undertakingCount;
    }

    /// @inheritdoc IPaymentUndertakings
    function undertakingOf(uint256 orderId) external view returns (uint256) {
        return _undertakingOf[orderId];
    }

    // ---------------------------------------------------------------- mutators

    /// @inheritdoc IPaymentUndertakings
    function establish(
        uint256 orderId,
        address recipientBank,
        uint256 amount,
        uint64 dueDate,
        uint64 expiry,
        bytes32 termsHash
    ) external returns (uint256 undertakingId) {
        ITradeOrders.Order memory order = _orders.order(orderId);
        if (!_isActiveBank(msg.sender) || _membership.sponsorOf(order.buyer) != msg.sender) {
            revert PaymentUndertakingsUnauthorized(0, msg.sender);
        }
        ITradeOrders.OrderState orderState = order.state;
        uint256 live = _undertakingOf[orderId];
        bool open = order.paymentTerms == ITradeOrders.PaymentTerms.OPEN_ACCOUNT &&
            (orderState == ITradeOrders.OrderState.ACCEPTED ||
                orderState == ITradeOrders.OrderState.SHIPPED ||
                orderState == ITradeOrders.OrderState.DELIVERED);
        if (!open || (live != 0 && _undertakings[live].state != UndertakingState.EXPIRED)) {
            revert PaymentUndertakingsInvalidOrder(orderId, live);
        }
        if (recipientBank == msg.sender || !_isActiveBank(recipientBank)) {
            revert PaymentUndertakingsInvalidRecipient(recipientBank);
        }
        _requireValidTerms(amount, dueDate, expiry);

        undertakingId = ++_undertakingCount;
        Undertaking storage stored = _undertakings[undertakingId];
        stored.orderId = orderId;
        stored.obligorBank = msg.sender;
        stored.recipientBank = recipientBank;
        stored.buyer = order.buyer;
        stored.seller = order.seller;
        stored.payee = order.seller;
        stored.currency = order.currency;
        stored.dueDate = dueDate;
        stored.expiry = expiry;
        stored.amount = amount;
        stored.termsHash = termsHash;
        _undertakingOf[orderId] = undertakingId;
        _transition(undertakingId, UndertakingState.NONE, UndertakingState.ESTABLISHED);
        emit UndertakingEstablished(
            undertakingId,
            orderId,
            msg.sender,
            recipientBank,
            amount,
            order.currency,
            dueDate,
            expiry,
            termsHash
        );
        // the order is now paid only by this undertaking: TradeOrders refuses payOrder and cancellation until it
        // settles or expires (our own contract; the undertaking is stored and announced before the call)
        _orders.recordUndertaking(orderId, undertakingId);
    }

    /// @inheritdoc IPaymentUndertakings
    function proposeAmendment(uint256 undertakingId, uint256 amount, uint64 dueDate, uint64 expiry) external {
        Undertaking storage stored = _undertakings[undertakingId];
        _requireBankOf(undertakingId, stored);
        _requireState(undertakingId, UndertakingState.ESTABLISHED);
        _requireValidTerms(amount, dueDate, expiry);
        _pending[undertakingId] = Amendment({proposer: msg.sender, dueDate: dueDate, expiry: expiry, amount: amount});
        emit UndertakingAmendmentProposed(undertakingId, msg.sender, amount, dueDate, expiry);
    }

    /// @inheritdoc IPaymentUndertakings
    function consentToAmendment(uint256 undertakingId) external {
        Undertaking storage stored = _undertakings[undertakingId];
        _requireBankOf(undertakingId, stored);
        _requireState(undertakingId, UndertakingState.ESTABLISHED);
        Amendment memory amendment = _pending[undertakingId];
        if (amendment.proposer == address(0) || amendment.proposer == msg.sender) {
            revert PaymentUndertakingsNoAmendmentToConsent(undertakingId, msg.sender);
        }
        // the proposal was valid when made; the dates must still lie ahead when the second bank consents
        _requireValidTerms(amendment.amount, amendment.dueDate, amendment.expiry);
        delete _pending[undertakingId];
        uint32 count = stored.amendmentCount + 1;
        stored.amendmentCount = count;
        stored.amount = amendment.amount;
        stored.dueDate = amendment.dueDate;
        stored.expiry = amendment.expiry;
        emit UndertakingAmended(undertakingId, msg.sender, count, amendment.amount, amendment.dueDate, amendment.expiry);
    }

    /// @inheritdoc IPaymentUndertakings
    function assignProceeds(uint256 undertakingId, uint256 documentId) external {
        if (!_isActiveBank(msg.sender)) revert PaymentUndertakingsUnauthorized(undertakingId, msg.sender);
        _requireState(undertakingId, UndertakingState.ESTABLISHED);
        Undertaking storage stored = _undertakings[undertakingId];
        IDocumentRegistry.Document memory document = _documents.document(documentId);
        bool valid = stored.payee == stored.seller &&
            document.state == IDocumentRegistry.DocumentState.FINANCED &&
            document.kind == IDocumentRegistry.DocumentKind.INVOICE &&
            document.financier == msg.sender &&
            document.owner == stored.seller &&
            document.currency == stored.currency;
        if (!valid) revert PaymentUndertakingsInvalidFinancing(undertakingId, documentId);
        stored.payee = msg.sender;
        stored.financedDocumentId = documentId;
        emit UndertakingProceedsAssigned(undertakingId, msg.sender, documentId);
    }

    /// @inheritdoc IPaymentUndertakings
    function acceptMismatch(uint256 undertakingId, bytes32 reportHash) external {
        Undertaking storage stored = _undertakings[undertakingId];
        if (msg.sender != stored.obligorBank || !_isActiveBank(msg.sender)) {
            revert PaymentUndertakingsUnauthorized(undertakingId, msg.sender);
        }
        _requireState(undertakingId, UndertakingState.ESTABLISHED);
        uint64 timestamp = uint64(block.timestamp);
        uint64 expiry = stored.expiry;
        // the expiry is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (timestamp > expiry) revert PaymentUndertakingsAcceptanceTooLate(undertakingId, expiry, timestamp);
        uint256 invoiceId = _invoices.currentInvoiceOf(stored.orderId);
        IInvoices.Invoice memory current = _invoices.invoice(invoiceId);
        bool mismatched = current.state == IInvoices.InvoiceState.MISMATCHED ||
            current.state == IInvoices.InvoiceState.ACCEPTED;
        // ids and hashes compared, no balance: Slither's taint from the stored acceptance time is spurious here
        // slither-disable-next-line incorrect-equality
        if (!mismatched || current.matchReportHash != reportHash || _acceptances[undertakingId].invoiceId == invoiceId) {
            revert PaymentUndertakingsInvalidMismatch(undertakingId, invoiceId, reportHash);
        }
        _acceptances[undertakingId] = MismatchAcceptance({invoiceId: invoiceId, acceptedAt: timestamp});
        emit UndertakingMismatchAccepted(undertakingId, invoiceId, msg.sender, reportHash, timestamp);
    }

    /// @inheritdoc IPaymentUndertakings
    function settle(uint256 undertakingId) external {
        Undertaking storage stored = _undertakings[undertakingId];
        _requireBankOf(undertakingId, stored);
        uint64 timestamp = uint64(block.timestamp);
        uint64 dueDate = stored.dueDate;
        // the due date is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (timestamp < dueDate) revert PaymentUndertakingsNotDue(undertakingId, dueDate, timestamp);
        uint64 matched = _dataMatchedAt(undertakingId, stored.orderId);
        // the match time against the expiry day, both block times; drift of seconds does not matter here; zero
        // means "not matched" (a sentinel, not a balance)
        // slither-disable-next-line timestamp,incorrect-equality
        if (matched == 0 || matched > stored.expiry) {
            revert PaymentUndertakingsDataNotMatched(undertakingId, matched, stored.expiry);
        }
        _transition(undertakingId, UndertakingState.ESTABLISHED, UndertakingState.SETTLED);
        stored.settledAt = timestamp;
        (uint256 paymentEntryId, uint256 creditEntryId) = _pay(undertakingId, stored);
        // the order is paid by this settlement: TradeOrders refuses to pay it again (and reverts this settlement
        // if the buyer already paid the order directly)
        _orders.recordPaymentByUndertaking(stored.orderId, undertakingId, paymentEntryId);
        // the event carries the entry ids Settlement returns; Settlement is our own contract and the state is
        // final before the calls (checks-effects-interactions), so a re-entered call finds the undertaking SETTLED
        // slither-disable-next-line reentrancy-events
        emit UndertakingSettled(
            undertakingId,
            stored.obligorBank,
            stored.payee,
            stored.amount,
            paymentEntryId,
            creditEntryId,
            timestamp
        );
    }

    /// @inheritdoc IPaymentUndertakings
    function expire(uint256 undertakingId) external {
        Undertaking storage stored = _undertakings[undertakingId];
        _requireBankOf(undertakingId, stored);
        uint64 timestamp = uint64(block.timestamp);
        uint64 expiry = stored.expiry;
        uint64 matched = _dataMatchedAt(undertakingId, stored.orderId);
        // the expiry is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (timestamp <= expiry || (matched != 0 && matched <= expiry)) {
            revert PaymentUndertakingsNotExpired(undertakingId, expiry, matched, timestamp);
        }
        _transition(undertakingId, UndertakingState.ESTABLISHED, UndertakingState.EXPIRED);
        delete _pending[undertakingId];
        emit UndertakingExpired(undertakingId, timestamp);
        // the order is free again: its parties may pay or cancel it (our own contract; state final before the call)
        _orders.releaseUndertaking(stored.orderId, undertakingId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev When the undertaking's data matched: the current invoice's match time if it MATCHED, else the obligor
    /// bank's acceptance time if it accepted that invoice's mismatch, else zero. A buyer's acceptance alone counts
    /// for nothing here (URBPO 750: a mismatch binds only the obligor bank that accepted it).
    function _dataMatchedAt(uint256 undertakingId, uint256 orderId) private view returns (uint64) {
        uint256 invoiceId = _invoices.currentInvoiceOf(orderId);
        if (invoiceId == 0) return 0;
        IInvoices.Invoice memory current = _invoices.invoice(invoiceId);
        if (current.state == IInvoices.InvoiceState.MATCHED) return current.matchedAt;
        MismatchAcceptance memory acceptance = _acceptances[undertakingId];
        // invoice ids compared, no balance: Slither's taint from the stored acceptance time is spurious here
        // slither-disable-next-line incorrect-equality
        return acceptance.invoiceId == invoiceId ? acceptance.acceptedAt : 0;
    }

    /// @dev The settlement legs: obligor -> recipient, then recipient -> payee unless the recipient is the payee.
    function _pay(
        uint256 undertakingId,
        Undertaking storage stored
    ) private returns (uint256 paymentEntryId, uint256 creditEntryId) {
        address recipient = stored.recipientBank;
        paymentEntryId = _leg(
            stored,
            stored.obligorBank,
            recipient,
            ISettlement.PostingKind.OPEN_ACCOUNT_PAYMENT,
            _legReference(undertakingId, PAYMENT_LEG)
        );
        address payee = stored.payee;
        if (payee != recipient) {
            ISettlement.PostingKind kind = payee == stored.seller
                ? ISettlement.PostingKind.OPEN_ACCOUNT_PAYMENT
                : ISettlement.PostingKind.FINANCING_REPAYMENT;
            creditEntryId = _leg(stored, recipient, payee, kind, _legReference(undertakingId, CREDIT_LEG));
        }
    }

    /// @dev One leg of the undertaking's amount and currency through Settlement.
    function _leg(
        Undertaking storage stored,
        address debit,
        address credit,
        ISettlement.PostingKind kind,
        bytes32 ref
    ) private returns (uint256 entryId) {
        entryId = _settlement.settleLeg(debit, credit, stored.currency, stored.amount, kind, ref);
    }

    /// @dev The ledger reference of a settlement leg (see REFERENCE_FLAG).
    function _legReference(uint256 undertakingId, uint256 leg) private pure returns (bytes32) {
        return bytes32(REFERENCE_FLAG | (undertakingId << 8) | leg);
    }

    function _isActiveBank(address account) private view returns (bool) {
        return _membership.isActiveMember(account, IMembership.MemberKind.BANK);
    }

    function _requireBankOf(uint256 undertakingId, Undertaking storage stored) private view {
        bool party = msg.sender == stored.obligorBank || msg.sender == stored.recipientBank;
        if (!party || !_isActiveBank(msg.sender)) revert PaymentUndertakingsUnauthorized(undertakingId, msg.sender);
    }

    function _requireState(uint256 undertakingId, UndertakingState expected) private view {
        UndertakingState current = _undertakings[undertakingId].state;
        if (current != expected) revert PaymentUndertakingsInvalidState(undertakingId, current, expected);
    }

    function _requireValidTerms(uint256 amount, uint64 dueDate, uint64 expiry) private view {
        uint64 timestamp = uint64(block.timestamp);
        // dates are calendar days; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (amount == 0 || dueDate < timestamp || expiry < timestamp) {
            revert PaymentUndertakingsInvalidTerms(amount, dueDate, expiry, timestamp);
        }
    }

    /// @dev The undertaking state machine: the only writer of `state`.
    function _transition(uint256 undertakingId, UndertakingState expected, UndertakingState next) private {
        _requireState(undertakingId, expected);
        _undertakings[undertakingId].state = next;
    }
}
