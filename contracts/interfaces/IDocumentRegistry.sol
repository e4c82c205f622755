// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ITransferableRecords} from "./ITransferableRecords.sol";

/// @title IDocumentRegistry: the duplicate-financing guard
/// @notice A document (invoice, bill of lading, ...) is registered with its face value, currency and the keyed
/// HMAC fingerprints of its canonical fields computed off chain (several per document, so that lightly
/// altered copies still collide). Document graph: REGISTERED -> FINANCED -> REPAID | RELEASED, and
/// REGISTERED -> RELEASED (withdrawn); REPAID and RELEASED are final.
///
/// A document is financed once, by one financier, for an amount not above its face value; the disbursement
/// financier -> owner and every repayment owner -> financier settle through Settlement in the same
/// transaction. While a document is FINANCED each of its fingerprints is locked to it: financing any other
/// document sharing a fingerprint is refused with `DocumentRegistryAlreadyFinanced` naming the prior financing,
/// so no fingerprint ever has two open financings. REPAID (outstanding reaches zero) or RELEASED (the financier
/// gives up its claim) unlocks the fingerprints. Registering a fingerprint seen before emits `FingerprintReused`.
///
/// A document that is (or carries) a transferable record is linked to it at registration
/// (`registerDocumentWithRecord`); the link is permanent. Financing it pledges the record to the financier in the
/// same transaction (this contract holds TITLE_AGENT_ROLE on TransferableRecords): the owner must control the HELD
/// record, so a record already pledged (to this financier, another, or for another document's financing) or lodged
/// under a letter of credit cannot back a second financing (`DocumentRegistryInvalidRecordState`). The pledge
/// carries the security key `keccak256(abi.encode(address(this), documentId))`. Full repayment, or the financier's
/// release, gives control back to the owner. On default the financier enforces the pledge itself
/// (`TransferableRecords.enforcePledge`, or gives it up with `releasePledge`): the financing stays open for what is
/// outstanding and a later repayment or release finds no security left to release.
///
/// LC presentations record their documents' fingerprints (by the LetterOfCredit contract, PRESENTER_ROLE);
/// a fingerprint presented under a different LC is flagged with `DocumentReuseFlagged`.
interface IDocumentRegistry {
    enum DocumentKind {
        INVOICE,
        BILL_OF_LADING,
        PURCHASE_ORDER,
        WAREHOUSE_RECEIPT,
        OTHER
    }

    enum DocumentState {
        NONE,
        REGISTERED,
        FINANCED,
        REPAID,
        RELEASED
    }

    struct Document {
        address owner;
        address registrar;
        DocumentKind kind;
        DocumentState state;
        bytes3 currency;
        address financier;
        uint256 faceValue;
        uint256 financedAmount;
        uint256 outstanding;
    }

    /// @notice A document was registered with its fingerprints.
    event DocumentRegistered(
        uint256 indexed documentId,
        address indexed owner,
        address indexed registrar,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] fingerprints
    );

    /// @notice A fingerprint of `documentId` was already registered with `priorDocumentId`.
    event FingerprintReused(bytes32 indexed fingerprint, uint256 indexed documentId, uint256 indexed priorDocumentId);

    /// @notice The document was financed; `entryId` is the disbursement's ledger entry.
    event DocumentFinanced(
        uint256 indexed documentId,
        address indexed financier,
        address indexed owner,
        uint256 amount,
        uint256 entryId
    );

    /// @notice The owner repaid `amount`; `outstanding` is what remains (zero: the document is REPAID).
    event DocumentRepaid(uint256 indexed documentId, address indexed financier, uint256 amount, uint256 outstanding, uint256 entryId);

    /// @notice The document was released (withdrawn before financing, or the financier gave up its claim).
    event DocumentReleased(uint256 indexed documentId, address indexed by, uint256 outstanding);

    /// @notice The document is (or carries) the transferable record `recordId`: financing it pledges the record.
    event DocumentRecordLinked(uint256 indexed documentId, uint256 indexed recordId);

    /// @notice Financing the document pledged its record to `financier` (emitted right after DocumentFinanced).
    event DocumentRecordPledged(uint256 indexed documentId, uint256 indexed recordId, address indexed financier);

    /// @notice The financing ended (repaid or released): the record's pledge was released to the owner.
    event DocumentRecordReleased(uint256 indexed documentId, uint256 indexed recordId, address indexed owner);

    /// @notice A fingerprint was presented under an LC for the first time.
    event DocumentPresented(bytes32 indexed lcKey, bytes32 indexed fingerprint);

    /// @notice A fingerprint presented under `lcKey` was first presented under `priorLcKey`.
    event DocumentReuseFlagged(bytes32 indexed fingerprint, bytes32 indexed lcKey, bytes32 indexed priorLcKey);

    /// @notice The caller is not an active member allowed to do this.
    error DocumentRegistryUnauthorized(address caller);

    /// @notice The document is not in the state the operation starts from.
    error DocumentRegistryInvalidState(uint256 documentId, DocumentState current, DocumentState expected);

    /// @notice `fingerprint` is locked by the open financing of `priorDocumentId` by `priorFinancier`.
    error DocumentRegistryAlreadyFinanced(bytes32 fingerprint, uint256 priorDocumentId, address priorFinancier);

    /// @notice The financing amount exceeds the document's face value.
    error DocumentRegistryExceedsFaceValue(uint256 documentId, uint256 faceValue, uint256 amount);

    /// @notice The repayment exceeds what is outstanding.
    error DocumentRegistryExceedsOutstanding(uint256 documentId, uint256 outstanding, uint256 amount);

    /// @notice A document has 1..MAX_FINGERPRINTS non-zero fingerprints, a presentation 1..MAX_PRESENTED.
    error DocumentRegistryInvalidFingerprints(uint256 count);

    /// @notice Amounts and face values are positive minor units.
    error DocumentRegistryInvalidAmount(uint256 amount);

    /// @notice Currency codes are three upper-case ASCII letters (ISO 4217).
    error DocumentRegistryInvalidCurrency(bytes3 currency);

    /// @notice `account` cannot own or finance this document.
    error DocumentRegistryInvalidAccount(address account);

    /// @notice Only the document's owner may do this.
    error DocumentRegistryNotOwner(uint256 documentId, address caller, address owner);

    /// @notice Only the document's financier may do this.
    error DocumentRegistryNotFinancier(uint256 documentId, address caller, address financier);

    /// @notice No transferable record has the id `recordId`.
    error DocumentRegistryUnknownRecord(uint256 recordId);

    /// @notice The document's record is not HELD under the owner's control (`controller` controls it in `state`):
    /// it cannot be pledged to back this financing.
    error DocumentRegistryInvalidRecordState(
        uint256 documentId,
        uint256 recordId,
        ITransferableRecords.RecordState state,
        address controller
    );

    /// @notice The LC key is zero.
    error DocumentRegistryInvalidLcKey(bytes32 lcKey);

    /// @notice A registered document.
    function document(uint256 documentId) external view returns (Document memory);

    /// @notice The fingerprints a document was registered with.
    function fingerprintsOf(uint256 documentId) external view returns (bytes32[] memory);

    /// @notice Number of documents registered (ids are 1..documentCount).
    function documentCount() external view returns (uint256);

    /// @notice The FINANCED document a fingerprint is locked to (zero if none).
    function financedDocumentOf(bytes32 fingerprint) external view returns (uint256);

    /// @notice The latest document registered with a fingerprint (zero if none).
    function latestDocumentOf(bytes32 fingerprint) external view returns (uint256);

    /// @notice The transferable record a document is linked to (zero if none).
    function recordOf(uint256 documentId) external view returns (uint256);

    /// @notice The LC a fingerprint was first presented under (zero if never presented).
    function presentedUnder(bytes32 fingerprint) external view returns (bytes32);

    /// @notice Register a document: by an active bank for an active trader `owner`, or by an active trader for itself.
    /// @return documentId the new document's id
    function registerDocument(
        address owner,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] calldata fingerprints
    ) external returns (uint256 documentId);

    /// @notice Register a document that is (or carries) the transferable record `recordId`, linked to it: as
    /// `registerDocument`; financing the document will pledge the record to the financier.
    /// @return documentId the new document's id
    function registerDocumentWithRecord(
        address owner,
        DocumentKind kind,
        bytes3 currency,
        uint256 faceValue,
        bytes32[] calldata fingerprints,
        uint256 recordId
    ) external returns (uint256 documentId);

    /// @notice Finance a REGISTERED document: the calling active bank disburses `amount` to the owner; the
    /// document's record (if any) is pledged to the bank in the same transaction.
    /// Refused when any fingerprint is locked by another open financing, or the record is not HELD by the owner.
    /// @return entryId the disbursement's ledger entry
    function finance(uint256 documentId, uint256 amount, bytes32 ref) external returns (uint256 entryId);

    /// @notice The owner repays its financier; the document is REPAID when nothing is outstanding, and its record's
    /// pledge (if still in place) is released to the owner.
    /// @return entryId the repayment's ledger entry
    function repay(uint256 documentId, uint256 amount, bytes32 ref) external returns (uint256 entryId);

    /// @notice Release a document: the financier of a FINANCED one (its record's pledge, if still in place, is
    /// released to the owner), or the owner or registrar of a REGISTERED one.
    function release(uint256 documentId) external;

    /// @notice called by the LetterOfCredit contract (PRESENTER_ROLE granted at deployment) for each presentation;
    /// returns how many fingerprints were already presented under a different lcKey, emitting DocumentReuseFlagged for each
    function recordPresentation(bytes32 lcKey, bytes32[] calldata fingerprints) external returns (uint256 reusedCount);
}
