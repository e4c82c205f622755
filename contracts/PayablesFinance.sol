// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IInvoices} from "./interfaces/IInvoices.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {IPayablesFinance} from "./interfaces/IPayablesFinance.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";

/// @title PayablesFinance: buyer-approved payables financed early by a bank (see IPayablesFinance)
/// @notice Holds SETTLER_ROLE on Settlement (the buyer's payment at maturity) and FINANCER_ROLE on DocumentRegistry
/// (the advance and the closing of the financing).
contract PayablesFinance is IPayablesFinance {
    /// @notice Marks the ledger references of payable legs: bytes32(REFERENCE_FLAG | payableId << 8 | leg), leg
    /// ADVANCE_LEG (financier -> supplier) or PAYMENT_LEG (buyer -> financier or supplier). The flag differs from
    /// PaymentUndertakings' (bit 255) so that statements tell the two apart.
    uint256 public constant REFERENCE_FLAG = 1 << 254;
    /// @notice Leg number of the early payment financier -> supplier.
    uint256 public constant ADVANCE_LEG = 1;
    /// @notice Leg number of the buyer's payment at maturity.
    uint256 public constant PAYMENT_LEG = 2;
    /// @notice Rates are basis points a year, at most 100%.
    uint256 public constant BPS = 10_000;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    IInvoices private immutable _invoices;
    IDocumentRegistry private immutable _documents;
    mapping(uint256 payableId => Payable) private _payables;
    mapping(uint256 invoiceId => uint256 payableId) private _payableOf;
    uint256 private _payableCount;

    /// @param membership_ the consortium registry
    /// @param settlement_ the cash ledger (this contract needs SETTLER_ROLE on it)
    /// @param invoices_ the invoices payables are approved for
    /// @param documents_ the duplicate-financing guard (this contract needs FINANCER_ROLE on it)
    constructor(IMembership membership_, ISettlement settlement_, IInvoices invoices_, IDocumentRegistry documents_) {
        _membership = membership_;
        _settlement = settlement_;
        _invoices = invoices_;
        _documents = documents_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @inheritdoc IPayablesFinance
    function getPayable(uint256 payableId) external view returns (Payable memory) {
        return _payables[payableId];
    }

    /// @inheritdoc IPayablesFinance
    function payableCount() external view returns (uint256) {
        return _payableCount;
    }

    /// @inheritdoc IPayablesFinance
    function payableOf(uint256 invoiceId) external view returns (uint256) {
        return _payableOf[invoiceId];
    }

    /// @inheritdoc IPayablesFinance
    function advanceFor(
        uint256 amount,
        uint16 rateBps,
        DayCount dayCount,
        uint32 daysToMaturity
    ) public pure returns (uint256) {
        uint256 denominator = BPS * (dayCount == DayCount.ACT_360 ? 360 : 365);
        uint256 discount = (2 * amount * rateBps * daysToMaturity + denominator) / (2 * denominator);
        return discount >= amount ? 0 : amount - discount;
    }

    // ---------------------------------------------------------------- mutators

    /// @inheritdoc IPayablesFinance
    function approve(
        uint256 invoiceId,
        uint256 amount,
        uint64 maturity,
        bytes32 termsHash
    ) external returns (uint256 payableId) {
        IInvoices.Invoice memory invoice = _invoices.invoice(invoiceId);
        if (msg.sender != invoice.buyer || !_membership.isActiveMember(msg.sender, IMembership.MemberKind.TRADER)) {
            revert PayablesFinanceUnauthorized(0, msg.sender);
        }
        uint256 prior = _payableOf[invoiceId];
        bool matched = invoice.state == IInvoices.InvoiceState.MATCHED ||
            invoice.state == IInvoices.InvoiceState.ACCEPTED;
        if (!matched || prior != 0) revert PayablesFinanceInvalidInvoice(invoiceId, prior);
        uint64 timestamp = uint64(block.timestamp);
        // the maturity is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (amount == 0 || amount > invoice.amount || maturity <= timestamp) {
            revert PayablesFinanceInvalidTerms(amount, invoice.amount, maturity, timestamp);
        }
        payableId = ++_payableCount;
        Payable storage stored = _payables[payableId];
        stored.invoiceId = invoiceId;
        stored.buyer = msg.sender;
        stored.supplier = invoice.seller;
        stored.currency = invoice.currency;
        stored.maturity = maturity;
        stored.amount = amount;
        stored.termsHash = termsHash;
        _payableOf[invoiceId] = payableId;
        _transition(payableId, PayableState.NONE, PayableState.APPROVED);
        emit PayableApproved(payableId, invoiceId, msg.sender, invoice.seller, invoice.currency, amount, maturity, termsHash);
    }

    /// @inheritdoc IPayablesFinance
    function finance(
        uint256 payableId,
        uint256 documentId,
        uint16 rateBps,
        DayCount dayCount,
        uint256 advance
    ) external returns (uint256 entryId) {
        if (!_membership.isActiveMember(msg.sender, IMembership.MemberKind.BANK)) {
            revert PayablesFinanceUnauthorized(payableId, msg.sender);
        }
        Payable storage stored = _payables[payableId];
        _requireState(payableId, stored.state == PayableState.APPROVED);
        _requireInvoiceDocument(payableId, stored, documentId);
        uint32 daysToMaturity = _daysToMaturity(stored.maturity);
        if (rateBps > BPS || daysToMaturity < 1) revert PayablesFinanceInvalidRate(payableId, rateBps, daysToMaturity);
        uint256 expected = advanceFor(stored.amount, rateBps, dayCount, daysToMaturity);
        if (advance != expected || advance == 0) {
            revert PayablesFinanceDiscountMismatch(payableId, advance, expected, daysToMaturity);
        }
        stored.financier = msg.sender;
        stored.documentId = documentId;
        stored.rateBps = rateBps;
        stored.dayCount = dayCount;
        stored.advance = advance;
        stored.financedAt = uint64(block.timestamp);
        _transition(payableId, PayableState.APPROVED, PayableState.FINANCED);
        entryId = _documents.financeFor(documentId, msg.sender, advance, _legReference(payableId, ADVANCE_LEG));
        // the event carries the entry id the registry returns; the registry is our own contract and the state is
        // final before the call (checks-effects-interactions), so a re-entered call finds the payable FINANCED
        // slither-disable-next-line reentrancy-events
        emit PayableFinanced(payableId, msg.sender, documentId, rateBps, dayCount, daysToMaturity, advance, entryId);
    }

    /// @inheritdoc IPayablesFinance
    function collect(uint256 payableId) external {
        Payable storage stored = _payables[payableId];
        PayableState state = stored.state;
        _requireState(
            payableId,
            state == PayableState.APPROVED || state == PayableState.FINANCED || state == PayableState.OVERDUE
        );
        address financier = stored.financier;
        address payee = financier == address(0) ? stored.supplier : financier;
        if (msg.sender != stored.buyer && msg.sender != payee) revert PayablesFinanceUnauthorized(payableId, msg.sender);
        uint64 timestamp = uint64(block.timestamp);
        uint64 maturity = stored.maturity;
        // the maturity is a calendar day; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        if (timestamp < maturity) revert PayablesFinanceNotDue(payableId, maturity, timestamp);
        uint256 amount = stored.amount;
        uint256 balance = _settlement.balanceOf(stored.buyer, stored.currency);
        if (balance < amount) {
            if (state != PayableState.OVERDUE) _transition(payableId, state, PayableState.OVERDUE);
            emit PayableOverdue(payableId, balance, timestamp);
            return;
        }
        _transition(payableId, state, PayableState.PAID);
        stored.paidAt = timestamp;
        ISettlement.PostingKind kind = financier == address(0)
            ? ISettlement.PostingKind.OPEN_ACCOUNT_PAYMENT
            : ISettlement.PostingKind.FINANCING_REPAYMENT;
        bytes32 ref = _legReference(payableId, PAYMENT_LEG);
        uint256 entryId = _settlement.settleLeg(stored.buyer, payee, stored.currency, amount, kind, ref);
        if (financier != address(0)) _documents.closeFor(stored.documentId, entryId);
        // the event carries the entry id Settlement returns; both callees are our own contracts and the state is
        // final before the calls (checks-effects-interactions)
        // slither-disable-next-line reentrancy-events
        emit PayablePaid(payableId, payee, amount, entryId, timestamp);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The registry document must be the payable's invoice, not yet financed: a REGISTERED invoice of the
    /// supplier in the payable's currency whose face value is the payable's amount.
    function _requireInvoiceDocument(uint256 payableId, Payable storage stored, uint256 documentId) private view {
        IDocumentRegistry.Document memory document = _documents.document(documentId);
        bool valid = document.state == IDocumentRegistry.DocumentState.REGISTERED &&
            document.kind == IDocumentRegistry.DocumentKind.INVOICE &&
            document.owner == stored.supplier &&
            document.currency == stored.currency &&
            document.faceValue == stored.amount;
        if (!valid) revert PayablesFinanceInvalidDocument(payableId, documentId);
    }

    /// @dev Whole UTC days from the block's day (the value date) to the maturity's day; zero once it is reached.
    function _daysToMaturity(uint64 maturity) private view returns (uint32) {
        uint64 today = uint64(block.timestamp) / 1 days;
        uint64 maturityDay = maturity / 1 days;
        // calendar days; validator clock drift of seconds does not matter here
        // slither-disable-next-line timestamp
        return maturityDay > today ? uint32(maturityDay - today) : 0;
    }

    /// @dev The ledger reference of a payable's leg (see REFERENCE_FLAG).
    function _legReference(uint256 payableId, uint256 leg) private pure returns (bytes32) {
        return bytes32(REFERENCE_FLAG | (payableId << 8) | leg);
    }

    function _requireState(uint256 payableId, bool allowed) private view {
        if (!allowed) revert PayablesFinanceInvalidState(payableId, _payables[payableId].state);
    }

    /// @dev The payable state machine: the only writer of `state`.
    function _transition(uint256 payableId, PayableState expected, PayableState next) private {
        PayableState current = _payables[payableId].state;
        if (current != expected) revert PayablesFinanceInvalidState(payableId, current);
        _payables[payableId].state = next;
    }
}
