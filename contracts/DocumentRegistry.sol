// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IDocumentRegistry} from "./interfaces/IDocumentRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {ITransferableRecords} from "./interfaces/ITransferableRecords.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";

/// @title DocumentRegistry: the duplicate-financing guard (see IDocumentRegistry)
/// @notice Holds SETTLER_ROLE on Settlement (disbursements and repayments) and TITLE_AGENT_ROLE on
/// TransferableRecords (financing against a record pledges it); grants PRESENTER_ROLE to the LetterOfCredit contract.
contract DocumentRegistry is IDocumentRegistry, AccessControlDefaultAdminRules {
    /// @notice The LetterOfCredit contract: records presented fingerprints.
    bytes32 public constant PRESENTER_ROLE = keccak256("PRESENTER_ROLE");
    /// @notice Most fingerprints one document is registered with (bounds the lock loops).
    uint256 public constant MAX_FINGERPRINTS = 16;
    /// @notice Most fingerprints one presentation records.
    uint256 public constant MAX_PRESENTED = 64;

    IMembership private immutable _membership;
    ISettlement private immutable _settlement;
    ITransferableRecords private immutable _records;
    mapping(uint256 documentId => Document) private _documents;
    mapping(uint256 documentId => bytes32[]) private _fingerprints;
    mapping(bytes32 fingerprint => uint256 documentId) private _financedDocument;
    mapping(bytes32 fingerprint => uint256 documentId) private _latestDocument;
    mapping(bytes32 fingerprint => bytes32 lcKey) private _presentedUnder;
    mapping(uint256 documentId => uint256 recordId) private _recordOf;
    uint256 private _documentCount;

    /// @param membership_ the consortium registry
    /// @param settlement_ the cash ledger (this contract needs SETTLER_ROLE on it)
    /// @param records_ the transferable records (this contract needs TITLE_AGENT_ROLE on it)
    /// @param initialAdminDelay delay (seconds) of a default-admin transfer
    constructor(IMembership membership_, ISettlement settlement_, ITransferableRecords records_, uint48 initialAdminDelay)
        AccessControlDefaultAdminRules(initialAdminDelay, msg.sender)
    {
        _membership = membership_;
        _settlement = settlement_;
        _records = records_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The consortium registry this contract asks for authorization.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The cash ledger financings settle through.
    function settlement() external view returns (ISettlement) {
        return _settlement;
    }

    /// @notice The transferable records whose records financed documents pledge.
    function transferableRecords() external view returns (ITransferableRecords) {
        return _records;
    }

    /// @inheritdoc IDocumentRegistry
    function document(uint256 documentId) external view returns (Document memory) {
        return _documents[documentId];
    }

    /// @inheritdoc IDocumentRegistry
    function fingerprintsOf(uint256 documentId) external view returns (bytes32[] memory) {
        return _fingerprints[documentId];
    }

    /// @inheritdoc IDocumentRegistry
    function documentCount() external view returns (uint256) {
        return _documentCount;
    }

    /// @inheritdoc IDocumentRegistry
    function financedDocumentOf(bytes32 fingerprint) external view returns (uint256) {
        return _financedDocument[fingerprint];
    }

    /// @inheritdoc IDocumentRegistry
    function latestDocumentOf(bytes32 fingerprint) external view returns (uint256) {
        return _latestDocument[fingerprint];
    }

    /// @inheritdoc IDocumentRegistry
    function recordOf(uint256 documentId) external view returns (uint256) {
        return _recordOf[documentId];
    }

    /// @inheritdoc IDocumentRegistry
    function presentedUnder(bytes32 fingerprint) external view returns (bytes32) {
        return _presentedUnder[fingerprint];
    }

    // ---------------------------------------------------------------- mutators

    /// @inheritdoc IDocumentRegistry
    function registerDocument(
        address owner,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] calldata fingerprints
    ) external returns (uint256 documentId) {
        return _register(owner, kind, currency, faceValue, fingerprints);
    }

    /// @inheritdoc IDocumentRegistry
    function registerDocumentWithRecord(
        address owner,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] calldata fingerprints,
        uint256 recordId
    ) external returns (uint256 documentId) {
        if (_records.record(recordId).state == ITransferableRecords.RecordState.NONE) {
            revert DocumentRegistryUnknownRecord(recordId);
        }
        documentId = _register(owner, kind, currency, faceValue, fingerprints);
        _recordOf[documentId] = recordId;
        emit DocumentRecordLinked(documentId, recordId);
    }

    /// @inheritdoc IDocumentRegistry
    function finance(uint256 documentId, uint256 amount, bytes32 ref) external returns (uint256 entryId) {
        if (!_membership.isActiveMember(msg.sender, IMembership.MemberKind.BANK)) {
            revert DocumentRegistryUnauthorized(msg.sender);
        }
        Document storage stored = _documents[documentId];
        if (stored.state != DocumentState.REGISTERED) {
            revert DocumentRegistryInvalidState(documentId, stored.state, DocumentState.REGISTERED);
        }
        if (amount == 0) revert DocumentRegistryInvalidAmount(amount);
        if (amount > stored.faceValue) revert DocumentRegistryExceedsFaceValue(documentId, stored.faceValue, amount);
        bytes32[] storage fingerprints = _fingerprints[documentId];
        uint256 count = fingerprints.length;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 fingerprint = fingerprints[i];
            uint256 prior = _financedDocument[fingerprint];
            if (prior != 0 && prior != documentId) {
                revert DocumentRegistryAlreadyFinanced(fingerprint, prior, _documents[prior].financier);
            }
            _financedDocument[fingerprint] = documentId;
        }
        address owner = stored.owner;
        uint256 recordId = _recordOf[documentId];
        if (recordId != 0) {
            ITransferableRecords.Record memory held = _records.record(recordId);
            if (held.state != ITransferableRecords.RecordState.HELD || held.controller != owner) {
                revert DocumentRegistryInvalidRecordState(documentId, recordId, held.state, held.controller);
            }
        }
        stored.financier = msg.sender;
        stored.financedAmount = amount;
        stored.outstanding = amount;
        _transition(documentId, DocumentState.REGISTERED, DocumentState.FINANCED);
        entryId = _settlement.settleLeg(
            msg.sender,
            owner,
            stored.currency,
            amount,
            ISettlement.PostingKind.FINANCING_DISBURSEMENT,
            ref
        );
        // the event carries the entry id Settlement returns; Settlement is our own contract and all state is
        // written before the call (checks-effects-interactions)
        // slither-disable-next-line reentrancy-events
        emit DocumentFinanced(documentId, msg.sender, owner, amount, entryId);
        if (recordId != 0) {
            // the record's control passes to the financier with the disbursement
            _records.pledgeAsSecurity(recordId, owner, msg.sender, _securityKey(documentId));
            // announced after the pledge it reports; TransferableRecords is our own contract and every state of this
            // financing is written above (checks-effects-interactions)
            // slither-disable-next-line reentrancy-events
            emit DocumentRecordPledged(documentId, recordId, msg.sender);
        }
    }

    /// @inheritdoc IDocumentRegistry
    function repay(uint256 documentId, uint256 amount, bytes32 ref) external returns (uint256 entryId) {
        Document storage stored = _documents[documentId];
        if (msg.sender != stored.owner) revert DocumentRegistryNotOwner(documentId, msg.sender, stored.owner);
        if (stored.state != DocumentState.FINANCED) {
            revert DocumentRegistryInvalidState(documentId, stored.state, DocumentState.FINANCED);
        }
        uint256 outstanding = stored.outstanding;
        if (amount == 0) revert DocumentRegistryInvalidAmount(amount);
        if (amount > outstanding) revert DocumentRegistryExceedsOutstanding(documentId, outstanding, amount);
        unchecked {
            outstanding -= amount;
        }
        stored.outstanding = outstanding;
        if (outstanding == 0) {
            _unlock(documentId);
            _transition(documentId, DocumentState.FINANCED, DocumentState.REPAID);
        }
        address financier = stored.financier;
        entryId = _settlement.settleLeg(
            msg.sender,
            financier,
            stored.currency,
            amount,
            ISettlement.PostingKind.FINANCING_REPAYMENT,
            ref
        );
        // the event carries the entry id Settlement returns; Settlement is our own contract and all state is
        // written before the call (checks-effects-interactions)
        // slither-disable-next-line reentrancy-events
        emit DocumentRepaid(documentId, financier, amount, outstanding, entryId);
        if (outstanding == 0) _releaseRecord(documentId, stored.owner);
    }

    /// @inheritdoc IDocumentRegistry
    function release(uint256 documentId) external {
        Document storage stored = _documents[documentId];
        DocumentState state = stored.state;
        if (state == DocumentState.FINANCED) {
            if (msg.sender != stored.financier) revert DocumentRegistryNotFinancier(documentId, msg.sender, stored.financier);
            _unlock(documentId);
        } else if (state == DocumentState.REGISTERED) {
            if (msg.sender != stored.owner && msg.sender != stored.registrar) {
                revert DocumentRegistryNotOwner(documentId, msg.sender, stored.owner);
            }
        } else {
            revert DocumentRegistryInvalidState(documentId, state, DocumentState.REGISTERED);
        }
        _transition(documentId, state, DocumentState.RELEASED);
        emit DocumentReleased(documentId, msg.sender, stored.outstanding);
        if (state == DocumentState.FINANCED) _releaseRecord(documentId, stored.owner);
    }

    /// @inheritdoc IDocumentRegistry
    function recordPresentation(
        bytes32 lcKey,
        bytes32[] calldata fingerprints
    ) external onlyRole(PRESENTER_ROLE) returns (uint256 reusedCount) {
        if (lcKey == bytes32(0)) revert DocumentRegistryInvalidLcKey(lcKey);
        uint256 count = fingerprints.length;
        if (count == 0 || count > MAX_PRESENTED) revert DocumentRegistryInvalidFingerprints(count);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 fingerprint = fingerprints[i];
            if (fingerprint == bytes32(0)) revert DocumentRegistryInvalidFingerprints(count);
            bytes32 prior = _presentedUnder[fingerprint];
            if (prior == bytes32(0)) {
                _presentedUnder[fingerprint] = lcKey;
                emit DocumentPresented(lcKey, fingerprint);
            } else if (prior != lcKey) {
                ++reusedCount;
                emit DocumentReuseFlagged(fingerprint, lcKey, prior);
            }
        }
    }

    // ---------------------------------------------------------------- internals

    /// @dev The registration behind `registerDocument` and `registerDocumentWithRecord`.
    function _register(
        address owner,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] calldata fingerprints
    ) private returns (uint256 documentId) {
        bool isBank = _membership.isActiveMember(msg.sender, IMembership.MemberKind.BANK);
        if (!isBank && !(owner == msg.sender && _membership.isActiveMember(msg.sender, IMembership.MemberKind.TRADER))) {
            revert DocumentRegistryUnauthorized(msg.sender);
        }
        if (!_membership.isActiveMember(owner, IMembership.MemberKind.TRADER)) revert DocumentRegistryInvalidAccount(owner);
        if (!CurrencyCode.isValid(currency)) revert DocumentRegistryInvalidCurrency(currency);
        if (faceValue == 0) revert DocumentRegistryInvalidAmount(faceValue);
        uint256 count = fingerprints.length;
        if (count == 0 || count > MAX_FINGERPRINTS) revert DocumentRegistryInvalidFingerprints(count);

        documentId = ++_documentCount;
        Document storage stored = _documents[documentId];
        stored.owner = owner;
        stored.registrar = msg.sender;
        stored.kind = kind;
        stored.currency = currency;
        stored.faceValue = faceValue;
        _transition(documentId, DocumentState.NONE, DocumentState.REGISTERED);
        _fingerprints[documentId] = fingerprints;
        emit DocumentRegistered(documentId, owner, msg.sender, kind, currency, faceValue, fingerprints);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 fingerprint = fingerprints[i];
            if (fingerprint == bytes32(0)) revert DocumentRegistryInvalidFingerprints(count);
            uint256 prior = _latestDocument[fingerprint];
            if (prior == documentId) continue; // repeated within this document
            _latestDocument[fingerprint] = documentId;
            if (prior != 0) emit FingerprintReused(fingerprint, documentId, prior);
        }
    }

    /// @dev The pledge of a document's record is held under a key no other title agent (the LetterOfCredit
    /// contract keys its escrows by payment reference) and no other document can produce.
    function _securityKey(uint256 documentId) private view returns (bytes32) {
        return keccak256(abi.encode(address(this), documentId));
    }

    /// @dev The financing ended: its pledge over the document's record (if any, and still in place) ends too, the
    /// owner controls the record again. Nothing happens when the financier already released or enforced it.
    function _releaseRecord(uint256 documentId, address owner) private {
        uint256 recordId = _recordOf[documentId];
        if (recordId == 0) return;
        if (_records.releaseSecurity(recordId, _securityKey(documentId))) {
            emit DocumentRecordReleased(documentId, recordId, owner);
        }
    }

    /// @dev Frees the fingerprints locked by a closing financing (bounded by MAX_FINGERPRINTS).
    function _unlock(uint256 documentId) private {
        bytes32[] storage fingerprints = _fingerprints[documentId];
        uint256 count = fingerprints.length;
        for (uint256 i = 0; i < count; ++i) {
            delete _financedDocument[fingerprints[i]];
        }
    }

    /// @dev The document state machine: the only writer of `state`.
    function _transition(uint256 documentId, DocumentState expected, DocumentState next) private {
        Document storage stored = _documents[documentId];
        if (stored.state != expected) revert DocumentRegistryInvalidState(documentId, stored.state, expected);
        stored.state = next;
    }
}
