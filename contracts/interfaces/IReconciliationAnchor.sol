// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IReconciliationAnchor: statements anchored on chain and confirmed bilaterally
/// @notice A member anchors the Merkle root (RFC 6962) of a statement of its own account over a period, with
/// entry count, totals and the hash of the signed manifest. A bilateral statement names the counterparty;
/// the counterparty anchors its mirror (same period and currency, account and counterparty swapped). Equal
/// roots emit `ReconciliationAgreed`, different roots `ReconciliationDisputed`. Anchors are immutable: one
/// anchor per (period, account, counterparty, currency), and nothing changes or deletes it.
interface IReconciliationAnchor {
    enum ReconciliationStatus {
        NONE,
        UNILATERAL,
        PENDING,
        AGREED,
        DISPUTED
    }

    struct Statement {
        uint64 periodStart;
        uint64 periodEnd;
        address account;
        address counterparty;
        bytes3 currency;
        bytes32 merkleRoot;
        uint64 entryCount;
        uint256 totalDebits;
        uint256 totalCredits;
        bytes32 manifestHash;
    }

    struct Anchor {
        Statement statement;
        uint64 anchoredAt;
        uint256 mirrorAnchorId;
    }

    /// @notice A statement was anchored.
    event StatementAnchored(
        uint256 indexed anchorId,
        address indexed account,
        address indexed counterparty,
        Statement statement
    );

    /// @notice Both sides anchored the same root.
    event ReconciliationAgreed(uint256 indexed anchorId, uint256 indexed mirrorAnchorId, bytes32 merkleRoot);

    /// @notice The two sides anchored different roots.
    event ReconciliationDisputed(
        uint256 indexed anchorId,
        uint256 indexed mirrorAnchorId,
        bytes32 merkleRoot,
        bytes32 mirrorMerkleRoot
    );

    /// @notice The caller is not an active bank or trader anchoring its own account.
    error ReconciliationAnchorUnauthorized(address caller, address account);

    /// @notice periodStart must be before periodEnd.
    error ReconciliationAnchorInvalidPeriod(uint64 periodStart, uint64 periodEnd);

    /// @notice The counterparty is neither zero nor another member.
    error ReconciliationAnchorInvalidCounterparty(address counterparty);

    /// @notice Currency codes are three upper-case ASCII letters (ISO 4217).
    error ReconciliationAnchorInvalidCurrency(bytes3 currency);

    /// @notice The merkle root and manifest hash must be non-zero.
    error ReconciliationAnchorInvalidHash(bytes32 merkleRoot, bytes32 manifestHash);

    /// @notice This statement is already anchored as `anchorId`; anchors are immutable.
    error ReconciliationAnchorAlreadyAnchored(uint256 anchorId);

    /// @notice No anchor has this id.
    error ReconciliationAnchorUnknownAnchor(uint256 anchorId);

    /// @notice Anchor a statement of the caller's own account; returns its id.
    /// @return anchorId the new anchor's id
    function anchor(Statement calldata statement) external returns (uint256 anchorId);

    /// @notice An anchor with its mirror's id (zero if none yet).
    function anchorOf(uint256 anchorId) external view returns (Anchor memory);

    /// @notice Number of anchors (ids are 1..anchorCount).
    function anchorCount() external view returns (uint256);

    /// @notice The anchor id of a statement key (zero if not anchored).
    function anchorIdOf(
        uint64 periodStart,
        uint64 periodEnd,
        address account,
        address counterparty,
        bytes3 currency
    ) external view returns (uint256);

    /// @notice Reconciliation status of an anchor: UNILATERAL (no counterparty), PENDING, AGREED or DISPUTED.
    function reconciliationStatus(uint256 anchorId) external view returns (ReconciliationStatus);
}
