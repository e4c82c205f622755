// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IInvoices: commercial invoices of open-account orders, their versions and their data match
/// @notice The seller of an accepted open-account order (TradeOrders) issues an invoice: the hash of the full
/// invoice document and the fields data matching needs (amount, currency of the order, hash of the lines
/// with their quantities, total quantity, issue date). One invoice per order is current; a correction is a new
/// version with a new id that supersedes the previous one.
///
/// Invoice graph (every edge only through its named function):
/// ISSUED -recordMatch(matched)-> MATCHED; ISSUED -recordMatch(not matched)-> MISMATCHED;
/// MISMATCHED -acceptMismatch (buyer)-> ACCEPTED; ISSUED|MISMATCHED -correctInvoice (seller)-> SUPERSEDED.
/// MATCHED and ACCEPTED are final (the data match; a payment undertaking becomes payable); SUPERSEDED is final.
///
/// The match itself is computed off chain by a pure function over the order, the invoice and the transport or
/// delivery data (tradeledger.invoices.matching); its report (every field compared, every mismatch) is anchored
/// here by its hash. A party of the order (buyer or seller) records it; the buyer alone accepts a mismatch,
/// naming the report it accepts.
interface IInvoices {
    enum InvoiceState {
        NONE,
        ISSUED,
        MATCHED,
        MISMATCHED,
        ACCEPTED,
        SUPERSEDED
    }

    struct Invoice {
        uint256 orderId;
        address seller;
        address buyer;
        bytes3 currency;
        InvoiceState state;
        uint32 version;
        uint64 issueDate;
        uint64 matchedAt;
        uint256 amount;
        uint256 quantityTotal;
        bytes32 invoiceHash;
        bytes32 linesHash;
        bytes32 matchReportHash;
        uint256 supersedes;
    }

    /// @notice What the seller states of one invoice version: the full document's hash, the amount in minor
    /// units (the order's currency), the total quantity, the hash of the lines (description, quantity, unit
    /// price per line) and the issue date.
    struct InvoiceData {
        uint256 amount;
        uint256 quantityTotal;
        bytes32 invoiceHash;
        bytes32 linesHash;
        uint64 issueDate;
    }

    /// @notice The seller issued version `version` of the invoice of `orderId` (`supersedes` is the previous
    /// version's id, zero for the first); `data` is what the seller states, in the order's `currency`.
    event InvoiceIssued(
        uint256 indexed invoiceId,
        uint256 indexed orderId,
        address indexed seller,
        uint32 version,
        bytes3 currency,
        uint256 supersedes,
        InvoiceData data
    );

    /// @notice A correction replaced the invoice by `successorId`.
    event InvoiceSuperseded(uint256 indexed invoiceId, uint256 indexed successorId);

    /// @notice A party recorded the data match of the invoice: `matched` or not, `reportHash` hashes the report.
    event InvoiceMatchRecorded(
        uint256 indexed invoiceId,
        address indexed by,
        bool matched,
        bytes32 reportHash,
        uint64 matchedAt
    );

    /// @notice The buyer accepted the mismatches listed in the report `reportHash` (a waiver).
    event InvoiceMismatchAccepted(uint256 indexed invoiceId, address indexed buyer, bytes32 reportHash, uint64 acceptedAt);

    /// @notice The caller is not an active trader.
    error InvoicesUnauthorized(address caller);

    /// @notice The caller is not the party the operation belongs to.
    error InvoicesNotParty(uint256 id, address caller);

    /// @notice The invoice is not in the state the operation starts from.
    error InvoicesInvalidState(uint256 invoiceId, InvoiceState current, InvoiceState expected);

    /// @notice Only accepted, shipped or delivered open-account orders are invoiced, once at a time.
    error InvoicesInvalidOrder(uint256 orderId, uint256 currentInvoiceId);

    /// @notice Amounts are positive minor units, hashes non-zero, the issue date not in the future.
    error InvoicesInvalidInvoice(uint256 amount, bytes32 invoiceHash, uint64 issueDate);

    /// @notice The report hash is zero, or not the one recorded with the mismatch.
    error InvoicesInvalidReport(uint256 invoiceId, bytes32 reportHash);

    /// @notice An invoice (zero fields if none).
    function invoice(uint256 invoiceId) external view returns (Invoice memory);

    /// @notice Number of invoices (ids are 1..invoiceCount; every version has its own id).
    function invoiceCount() external view returns (uint256);

    /// @notice The current (latest) invoice version of an order (zero if none).
    function currentInvoiceOf(uint256 orderId) external view returns (uint256);

    /// @notice Whether the current invoice of `orderId` matched (or its mismatch was accepted), and when.
    function matchedAt(uint256 orderId) external view returns (uint64);

    /// @notice The seller of an ACCEPTED, SHIPPED or DELIVERED open-account order issues its first invoice.
    /// @return invoiceId the new invoice's id
    function issueInvoice(uint256 orderId, InvoiceData calldata data) external returns (uint256 invoiceId);

    /// @notice The seller corrects an ISSUED or MISMATCHED invoice by a new version (the old one is SUPERSEDED).
    /// @return successorId the new version's id
    function correctInvoice(uint256 invoiceId, InvoiceData calldata data) external returns (uint256 successorId);

    /// @notice The buyer or seller records the data match of an ISSUED invoice.
    function recordMatch(uint256 invoiceId, bool matched, bytes32 reportHash) external;

    /// @notice The buyer accepts the mismatches of a MISMATCHED invoice, naming the report it read.
    function acceptMismatch(uint256 invoiceId, bytes32 reportHash) external;
}
