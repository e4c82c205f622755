// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IMembership} from "./interfaces/IMembership.sol";
import {IReconciliationAnchor} from "./interfaces/IReconciliationAnchor.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/// @title ReconciliationAnchor: immutable statement anchors, confirmed bilaterally (see IReconciliationAnchor)
/// @notice Active banks and traders anchor statements of their own accounts; auditors and everyone read them.
contract ReconciliationAnchor is IReconciliationAnchor {
    IMembership private immutable _membership;
    mapping(uint256 anchorId => Statement) private _statements;
    mapping(uint256 anchorId => uint64) private _anchoredAt;
    mapping(uint256 anchorId => uint256) private _mirrors;
    mapping(bytes32 statementKey => uint256 anchorId) private _anchorIds;
    uint256 private _anchorCount;

    /// @param membership_ the consortium registry
    constructor(IMembership membership_) {
        _membership = membership_;
    }

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @inheritdoc IReconciliationAnchor
    function anchor(Statement calldata statement) external returns (uint256 anchorId) {
        address account = statement.account;
        if (
            account != msg.sender ||
            !(_membership.isActiveMember(account, IMembership.MemberKind.BANK) ||
                _membership.isActiveMember(account, IMembership.MemberKind.TRADER))
        ) revert ReconciliationAnchorUnauthorized(msg.sender, account);
        if (statement.periodStart >= statement.periodEnd) {
            revert ReconciliationAnchorInvalidPeriod(statement.periodStart, statement.periodEnd);
        }
        address counterparty = statement.counterparty;
        if (
            counterparty == account ||
            (counterparty != address(0) && _membership.memberOf(counterparty).kind == IMembership.MemberKind.NONE)
        ) revert ReconciliationAnchorInvalidCounterparty(counterparty);
        if (!CurrencyCode.isValid(statement.currency)) revert ReconciliationAnchorInvalidCurrency(statement.currency);
        if (statement.merkleRoot == bytes32(0) || statement.manifestHash == bytes32(0)) {
            revert ReconciliationAnchorInvalidHash(statement.merkleRoot, statement.manifestHash);
        }
        bytes32 key = _key(statement.periodStart, statement.periodEnd, account, counterparty, statement.currency);
        uint256 existing = _anchorIds[key];
        if (existing != 0) revert ReconciliationAnchorAlreadyAnchored(existing);

        anchorId = ++_anchorCount;
        _anchorIds[key] = anchorId;
        _statements[anchorId] = statement;
        _anchoredAt[anchorId] = uint64(block.timestamp);
        emit StatementAnchored(anchorId, account, counterparty, statement);

        if (counterparty == address(0)) return anchorId;
        uint256 mirrorId = _anchorIds[
            _key(statement.periodStart, statement.periodEnd, counterparty, account, statement.currency)
        ];
        if (mirrorId == 0) return anchorId;
        _mirrors[anchorId] = mirrorId;
        _mirrors[mirrorId] = anchorId;
        bytes32 mirrorRoot = _statements[mirrorId].merkleRoot;
        if (mirrorRoot == statement.merkleRoot) {
            emit ReconciliationAgreed(anchorId, mirrorId, mirrorRoot);
        } else {
            emit ReconciliationDisputed(anchorId, mirrorId, statement.merkleRoot, mirrorRoot);
        }
    }

    /// @inheritdoc IReconciliationAnchor
    function anchorOf(uint256 anchorId) external view returns (Anchor memory) {
        if (anchorId == 0 || anchorId > _anchorCount) revert ReconciliationAnchorUnknownAnchor(anchorId);
        return Anchor({statement: _statements[anchorId], anchoredAt: _anchoredAt[anchorId], mirrorAnchorId: _mirrors[anchorId]});
    }

    /// @inheritdoc IReconciliationAnchor
    function anchorCount() external view returns (uint256) {
        return _anchorCount;
    }

    /// @inheritdoc IReconciliationAnchor
    function anchorIdOf(
        uint64 periodStart,
        uint64 periodEnd,
        address account,
        address counterparty,
        bytes3 currency
    ) external view returns (uint256) {
        return _anchorIds[_key(periodStart, periodEnd, account, counterparty, currency)];
    }

    /// @inheritdoc IReconciliationAnchor
    function reconciliationStatus(uint256 anchorId) external view returns (ReconciliationStatus) {
        if (anchorId == 0 || anchorId > _anchorCount) return ReconciliationStatus.NONE;
        Statement storage statement = _statements[anchorId];
        if (statement.counterparty == address(0)) return ReconciliationStatus.UNILATERAL;
        uint256 mirrorId = _mirrors[anchorId];
        if (mirrorId == 0) return ReconciliationStatus.PENDING;
        return
            _statements[mirrorId].merkleRoot == statement.merkleRoot
                ? ReconciliationStatus.AGREED
                : ReconciliationStatus.DISPUTED;
    }

    function _key(
        uint64 periodStart,
        uint64 periodEnd,
        address account,
        address counterparty,
        bytes3 currency
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(periodStart, periodEnd, account, counterparty, currency));
    }
}
