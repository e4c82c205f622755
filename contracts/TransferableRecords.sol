// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ITransferableRecords} from "./interfaces/ITransferableRecords.sol";

/// @title TransferableRecords: electronic transferable records with exclusive control (see ITransferableRecords)
/// @notice Grants TITLE_AGENT_ROLE to the LetterOfCredit contract (title against payment) and to DocumentRegistry
/// (financing against a record pledges it).
contract TransferableRecords is ITransferableRecords, AccessControlDefaultAdminRules {
    /// @notice Contracts that move records with payments (the LetterOfCredit contract, DocumentRegistry).
    bytes32 public constant TITLE_AGENT_ROLE = keccak256("TITLE_AGENT_ROLE");

    IMembership private immutable _membership;
    mapping(uint256 recordId => Record) private _records;
    mapping(bytes32 documentHash => uint256 recordId) private _recordOfDocument;
    uint256 private _recordCount;

    /// @param membership_ the consortium registry
    /// @param initialAdminDelay delay (seconds) of a default-admin transfer
    constructor(IMembership membership_, uint48 initialAdminDelay) AccessControlDefaultAdminRules(initialAdminDelay, msg.sender) {
        _membership = membership_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @inheritdoc ITransferableRecords
    function record(uint256 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @inheritdoc ITransferableRecords
    function controllerOf(uint256 recordId) external view returns (address) {
        return _records[recordId].controller;
    }

    /// @inheritdoc ITransferableRecords
    function recordOfDocument(bytes32 documentHash) external view returns (uint256) {
        return _recordOfDocument[documentHash];
    }

    /// @inheritdoc ITransferableRecords
    function recordCount() external view returns (uint256) {
        return _recordCount;
    }

    // ---------------------------------------------------------------- holders, pledgees, issuers

    /// @inheritdoc ITransferableRecords
    function issue(RecordKind kind, bytes32 documentHash, address holder, bool toOrder) external returns (uint256 recordId) {
        if (!_isParty(msg.sender)) revert TransferableRecordsUnauthorized(msg.sender);
        if (documentHash == bytes32(0)) revert TransferableRecordsInvalidDocumentHash(documentHash);
        uint256 prior = _recordOfDocument[documentHash];
        if (prior != 0) revert TransferableRecordsDuplicateDocument(documentHash, prior);
        recordId = ++_recordCount;
        if (!_isParty(holder)) revert TransferableRecordsInvalidParty(recordId, holder);
        _recordOfDocument[documentHash] = recordId;
        Record storage stored = _records[recordId];
        stored.issuer = msg.sender;
        stored.kind = kind;
        stored.toOrder = toOrder;
        stored.issuedAt = uint64(block.timestamp);
        stored.documentHash = documentHash;
        _transition(recordId, RecordState.NONE, RecordState.HELD, holder, holder);
        emit RecordIssued(recordId, msg.sender, holder, kind, toOrder, documentHash);
    }

    /// @inheritdoc ITransferableRecords
    function endorse(uint256 recordId, address endorsee) external {
        Record storage stored = _held(recordId);
        if (!stored.toOrder) revert TransferableRecordsNotOrderDocument(recordId);
        uint32 sequence = ++stored.endorsements;
        if (endorsee == address(0)) {
            stored.blankEndorsed = true;
        } else {
            _requireNewHolder(recordId, stored, endorsee);
            stored.blankEndorsed = false;
            _transition(recordId, RecordState.HELD, RecordState.HELD, endorsee, endorsee);
        }
        emit RecordEndorsed(recordId, msg.sender, endorsee, sequence);
    }

    /// @inheritdoc ITransferableRecords
    function transfer(uint256 recordId, address to) external {
        Record storage stored = _held(recordId);
        if (stored.toOrder && !stored.blankEndorsed) revert TransferableRecordsEndorsementRequired(recordId);
        _requireNewHolder(recordId, stored, to);
        _transition(recordId, RecordState.HELD, RecordState.HELD, to, to);
        emit RecordTransferred(recordId, msg.sender, to);
    }

    /// @inheritdoc ITransferableRecords
    function pledge(uint256 recordId, address pledgee) external {
        _held(recordId);
        if (!_membership.isActiveMember(pledgee, IMembership.MemberKind.BANK) || pledgee == msg.sender) {
            revert TransferableRecordsInvalidParty(recordId, pledgee);
        }
        _transition(recordId, RecordState.HELD, RecordState.PLEDGED, msg.sender, pledgee);
        emit RecordPledged(recordId, msg.sender, pledgee, bytes32(0));
    }

    /// @inheritdoc ITransferableRecords
    function releasePledge(uint256 recordId) external {
        Record storage stored = _controlled(recordId, RecordState.PLEDGED);
        address holder = stored.holder;
        stored.escrowKey = bytes32(0);
        _transition(recordId, RecordState.PLEDGED, RecordState.HELD, holder, holder);
        emit RecordPledgeReleased(recordId, msg.sender, holder);
    }

    /// @inheritdoc ITransferableRecords
    function enforcePledge(uint256 recordId) external {
        Record storage stored = _controlled(recordId, RecordState.PLEDGED);
        address pledgor = stored.holder;
        stored.escrowKey = bytes32(0);
        _transition(recordId, RecordState.PLEDGED, RecordState.HELD, msg.sender, msg.sender);
        emit RecordPledgeEnforced(recordId, msg.sender, pledgor);
    }

    /// @inheritdoc ITransferableRecords
    function surrender(uint256 recordId) external {
        Record storage stored = _held(recordId);
        address issuer = stored.issuer;
        _transition(recordId, RecordState.HELD, RecordState.SURRENDERED, msg.sender, issuer);
        emit RecordSurrendered(recordId, msg.sender, issuer);
    }

    /// @inheritdoc ITransferableRecords
    function rejectSurrender(uint256 recordId) external {
        Record storage stored = _controlled(recordId, RecordState.SURRENDERED);
        address holder = stored.holder;
        _transition(recordId, RecordState.SURRENDERED, RecordState.HELD, holder, holder);
        emit RecordSurrenderRejected(recordId, msg.sender, holder);
    }

    /// @inheritdoc ITransferableRecords
    function voidRecord(uint256 recordId) external {
        Record storage stored = _controlled(recordId, RecordState.SURRENDERED);
        _transition(recordId, RecordState.SURRENDERED, RecordState.VOID, stored.holder, msg.sender);
        emit RecordVoided(recordId, msg.sender);
    }

    // ---------------------------------------------------------------- title agents (letters of credit)

    /// @inheritdoc ITransferableRecords
    function lodge(uint256 recordId, address presenter, address bank, bytes32 escrowKey) external onlyRole(TITLE_AGENT_ROLE) {
        Record storage stored = _records[recordId];
        _requireState(recordId, stored, RecordState.HELD);
        if (stored.controller != presenter) revert TransferableRecordsNotController(recordId, presenter, stored.controller);
        if (!_membership.isActiveMember(bank, IMembership.MemberKind.BANK) || bank == presenter) {
            revert TransferableRecordsInvalidParty(recordId, bank);
        }
        stored.escrowKey = escrowKey;
        _transition(recordId, RecordState.HELD, RecordState.ESCROWED, presenter, bank);
        emit RecordLodged(recordId, presenter, bank, escrowKey);
    }

    /// @inheritdoc ITransferableRecords
    function returnToPresenter(uint256 recordId, bytes32 escrowKey) external onlyRole(TITLE_AGENT_ROLE) {
        Record storage stored = _escrowed(recordId, escrowKey);
        address presenter = stored.holder;
        address bank = stored.controller;
        stored.escrowKey = bytes32(0);
        _transition(recordId, RecordState.ESCROWED, RecordState.HELD, presenter, presenter);
        emit RecordReturned(recordId, bank, presenter, escrowKey);
    }

    /// @inheritdoc ITransferableRecords
    function passTitle(uint256 recordId, bytes32 escrowKey, address holder, address securedBy) external onlyRole(TITLE_AGENT_ROLE) {
        Record storage stored = _escrowed(recordId, escrowKey);
        if (!_isParty(holder)) revert TransferableRecordsInvalidParty(recordId, holder);
        if (securedBy == address(0)) {
            stored.escrowKey = bytes32(0);
            _transition(recordId, RecordState.ESCROWED, RecordState.HELD, holder, holder);
        } else {
            if (!_membership.isActiveMember(securedBy, IMembership.MemberKind.BANK) || securedBy == holder) {
                revert TransferableRecordsInvalidParty(recordId, securedBy);
            }
            _transition(recordId, RecordState.ESCROWED, RecordState.PLEDGED, holder, securedBy);
        }
        emit RecordTitlePassed(recordId, holder, securedBy, escrowKey);
    }

    /// @inheritdoc ITransferableRecords
    function pledgeAsSecurity(uint256 recordId, address pledgor, address pledgee, bytes32 securityKey)
        external
        onlyRole(TITLE_AGENT_ROLE)
    {
        Record storage stored = _records[recordId];
        _requireState(recordId, stored, RecordState.HELD);
        if (stored.controller != pledgor) revert TransferableRecordsNotController(recordId, pledgor, stored.controller);
        if (!_membership.isActiveMember(pledgee, IMembership.MemberKind.BANK) || pledgee == pledgor) {
            revert TransferableRecordsInvalidParty(recordId, pledgee);
        }
        if (securityKey == bytes32(0)) revert TransferableRecordsInvalidSecurityKey(recordId, securityKey);
        stored.escrowKey = securityKey;
        _transition(recordId, RecordState.HELD, RecordState.PLEDGED, pledgor, pledgee);
        emit RecordPledged(recordId, pledgor, pledgee, securityKey);
    }

    /// @inheritdoc ITransferableRecords
    function releaseSecurity(uint256 recordId, bytes32 escrowKey) external onlyRole(TITLE_AGENT_ROLE) returns (bool released) {
        Record storage stored = _records[recordId];
        if (stored.state != RecordState.PLEDGED || escrowKey == bytes32(0) || stored.escrowKey != escrowKey) {
            return false;
        }
        address holder = stored.holder;
        address pledgee = stored.controller;
        stored.escrowKey = bytes32(0);
        _transition(recordId, RecordState.PLEDGED, RecordState.HELD, holder, holder);
        emit RecordPledgeReleased(recordId, pledgee, holder);
        return true;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Active banks and traders may issue, hold and act on records.
    function _isParty(address account) private view returns (bool) {
        return _membership.isActiveMember(account, IMembership.MemberKind.BANK)
            || _membership.isActiveMember(account, IMembership.MemberKind.TRADER);
    }

    /// @dev A HELD record the (active) caller controls.
    function _held(uint256 recordId) private view returns (Record storage) {
        return _controlled(recordId, RecordState.HELD);
    }

    /// @dev A record in `expected` state that the active caller controls.
    function _controlled(uint256 recordId, RecordState expected) private view returns (Record storage stored) {
        if (!_isParty(msg.sender)) revert TransferableRecordsUnauthorized(msg.sender);
        stored = _records[recordId];
        _requireState(recordId, stored, expected);
        if (stored.controller != msg.sender) revert TransferableRecordsNotController(recordId, msg.sender, stored.controller);
    }

    /// @dev An ESCROWED record held under `escrowKey`.
    function _escrowed(uint256 recordId, bytes32 escrowKey) private view returns (Record storage stored) {
        stored = _records[recordId];
        _requireState(recordId, stored, RecordState.ESCROWED);
        if (stored.escrowKey != escrowKey) revert TransferableRecordsEscrowMismatch(recordId, stored.escrowKey, escrowKey);
    }

    function _requireState(uint256 recordId, Record storage stored, RecordState expected) private view {
        if (stored.state != expected) revert TransferableRecordsInvalidState(recordId, stored.state, expected);
    }

    function _requireNewHolder(uint256 recordId, Record storage stored, address to) private view {
        if (to == stored.holder || !_isParty(to)) revert TransferableRecordsInvalidParty(recordId, to);
    }

    /// @dev The record state machine: the only writer of `state`, `holder` and `controller`, so that a record
    /// has exactly one controller (never zero) from its issue on.
    function _transition(uint256 recordId, RecordState expected, RecordState next, address holder, address controller) private {
        Record storage stored = _records[recordId];
        _requireState(recordId, stored, expected);
        stored.state = next;
        stored.holder = holder;
        stored.controller = controller;
    }
}
