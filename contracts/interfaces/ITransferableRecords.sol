// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITransferableRecords: electronic transferable records with exclusive control
/// @notice One record per document (a bill of lading first; a warehouse receipt or a promissory note has the same
/// shape), in the sense of UNCITRAL's Model Law on Electronic Transferable Records (MLETR) and the UK Electronic
/// Trade Documents Act 2023: the record is identified by the document's hash (the document itself stays off
/// chain), and exactly one party has exclusive control of it at any time: `controller` is never zero once the
/// record exists, and only the controller can make it move.
///
/// The issuer (a carrier onboarded as a member, or a bank acting for one) issues the record to its first holder.
/// An order document passes by endorsement: the holder endorses it to a named endorsee, who receives control, or
/// endorses it in blank, after which it passes by transfer of control alone like a bearer document (a named
/// endorsement makes it an order document again). The holder may pledge the record to a bank, which controls it
/// until it releases the pledge; the holder surrenders it to the issuer at delivery of the goods, and the issuer
/// voids a surrendered record (or rejects the surrender, giving control back to the holder).
///
/// Record graph: NONE -> HELD; HELD -> HELD (endorsement, transfer); HELD -> PLEDGED -> HELD (released, or enforced by the pledgee, which then holds it);
/// HELD -> PLEDGED (pledged by a title agent to the bank financing the document the record backs) -> HELD
/// (financing repaid or released, or the pledge released or enforced by the pledgee);
/// HELD -> ESCROWED (lodged under a letter of credit) -> HELD (documents returned, or title passed with payment)
/// or -> PLEDGED (title passed to the applicant, the bank keeping control as security);
/// HELD -> SURRENDERED -> VOID | HELD (surrender rejected). VOID is final.
///
/// Holder and controller: while HELD they are the same party; while PLEDGED the holder is the pledgor and the
/// pledgee bank controls; while ESCROWED the holder is the presenter and the examining bank controls; once
/// SURRENDERED or VOID the issuer controls.
///
/// Title agents (TITLE_AGENT_ROLE, granted to the platform's LetterOfCredit contract and DocumentRegistry) move
/// records inside the transactions that move money: lodge at presentation, return on refusal, pass title at honour,
/// release the bank's security when the applicant reimburses it; pledge a record to the bank that finances the
/// document it backs (`pledgeAsSecurity`, under a security key of the financing), and release it when the
/// financing is repaid or released. A pledge under a security key ends only through the agent that made it
/// (`releaseSecurity` with that key) or through the pledgee itself (`releasePledge`, or `enforcePledge` on default).
interface ITransferableRecords {
    enum RecordKind {
        BILL_OF_LADING,
        WAREHOUSE_RECEIPT,
        PROMISSORY_NOTE,
        OTHER
    }

    enum RecordState {
        NONE,
        HELD,
        PLEDGED,
        ESCROWED,
        SURRENDERED,
        VOID
    }

    struct Record {
        address issuer;
        RecordKind kind;
        RecordState state;
        bool toOrder;
        bool blankEndorsed;
        address holder;
        address controller;
        uint64 issuedAt;
        uint32 endorsements;
        bytes32 documentHash;
        bytes32 escrowKey;
    }

    /// @notice The issuer issued a record of the document with hash `documentHash` to its first holder.
    event RecordIssued(
        uint256 indexed recordId,
        address indexed issuer,
        address indexed holder,
        RecordKind kind,
        bool toOrder,
        bytes32 documentHash
    );

    /// @notice The holder endorsed the record to `endorsee`, who now controls it; zero: endorsed in blank,
    /// control unchanged.
    event RecordEndorsed(uint256 indexed recordId, address indexed endorser, address indexed endorsee, uint32 sequence);

    /// @notice Control of a bearer (or blank-endorsed) record passed from `from` to `to`.
    event RecordTransferred(uint256 indexed recordId, address indexed from, address indexed to);

    /// @notice The holder pledged the record to `pledgee`, which now controls it. `escrowKey` is zero for the
    /// holder's own pledge, and the financing's security key when a title agent pledged it for a financing.
    event RecordPledged(uint256 indexed recordId, address indexed holder, address indexed pledgee, bytes32 escrowKey);

    /// @notice The pledgee released its pledge: the holder controls the record again.
    event RecordPledgeReleased(uint256 indexed recordId, address indexed pledgee, address indexed holder);

    /// @notice The pledgee enforced its pledge (the pledgor defaulted): the pledgee now holds the record.
    event RecordPledgeEnforced(uint256 indexed recordId, address indexed pledgee, address indexed pledgor);

    /// @notice The holder surrendered the record to its issuer (delivery of the goods).
    event RecordSurrendered(uint256 indexed recordId, address indexed holder, address indexed issuer);

    /// @notice The issuer rejected the surrender: the holder controls the record again.
    event RecordSurrenderRejected(uint256 indexed recordId, address indexed issuer, address indexed holder);

    /// @notice The issuer voided the surrendered record; it can never be used again.
    event RecordVoided(uint256 indexed recordId, address indexed issuer);

    /// @notice The record was lodged with `bank` in the presentation of `presenter` under the LC `escrowKey`.
    event RecordLodged(uint256 indexed recordId, address indexed presenter, address indexed bank, bytes32 escrowKey);

    /// @notice The bank gave the record back to the presenter (documents returned on refusal).
    event RecordReturned(uint256 indexed recordId, address indexed bank, address indexed presenter, bytes32 escrowKey);

    /// @notice Title passed with payment to `holder`; `securedBy` (zero if none) keeps control as security.
    event RecordTitlePassed(uint256 indexed recordId, address indexed holder, address indexed securedBy, bytes32 escrowKey);

    /// @notice The caller is not an active bank or trader.
    error TransferableRecordsUnauthorized(address caller);

    /// @notice Only the record's controller may do this.
    error TransferableRecordsNotController(uint256 recordId, address caller, address controller);

    /// @notice Only the record's issuer may do this.
    error TransferableRecordsNotIssuer(uint256 recordId, address caller, address issuer);

    /// @notice The record is not in the state the operation starts from.
    error TransferableRecordsInvalidState(uint256 recordId, RecordState current, RecordState expected);

    /// @notice `account` cannot hold (or, for a pledge, take) this record.
    error TransferableRecordsInvalidParty(uint256 recordId, address account);

    /// @notice A document hash is non-zero.
    error TransferableRecordsInvalidDocumentHash(bytes32 documentHash);

    /// @notice The document already has a record.
    error TransferableRecordsDuplicateDocument(bytes32 documentHash, uint256 recordId);

    /// @notice An order document passes by endorsement, not by transfer (unless it was endorsed in blank).
    error TransferableRecordsEndorsementRequired(uint256 recordId);

    /// @notice Only order documents are endorsed.
    error TransferableRecordsNotOrderDocument(uint256 recordId);

    /// @notice The record is held under another letter of credit (or none).
    error TransferableRecordsEscrowMismatch(uint256 recordId, bytes32 escrowKey, bytes32 expected);

    /// @notice A title agent's pledge carries a non-zero security key.
    error TransferableRecordsInvalidSecurityKey(uint256 recordId, bytes32 securityKey);

    /// @notice A record.
    function record(uint256 recordId) external view returns (Record memory);

    /// @notice The party with exclusive control of the record (zero only if the record does not exist).
    function controllerOf(uint256 recordId) external view returns (address);

    /// @notice The record of a document hash (zero if none).
    function recordOfDocument(bytes32 documentHash) external view returns (uint256);

    /// @notice Number of records issued (ids are 1..recordCount).
    function recordCount() external view returns (uint256);

    /// @notice Issue a record of a document to its first holder; by an active bank or trader (the carrier).
    /// @return recordId the new record's id
    function issue(
        RecordKind kind,
        bytes32 documentHash,
        address holder,
        bool toOrder
    ) external returns (uint256 recordId);

    /// @notice The holder of a HELD order document endorses it to `endorsee` (who then controls it), or in
    /// blank (`endorsee` zero), after which it passes by transfer.
    function endorse(uint256 recordId, address endorsee) external;

    /// @notice The holder of a HELD bearer or blank-endorsed record transfers control to `to`.
    function transfer(uint256 recordId, address to) external;

    /// @notice The holder of a HELD record pledges it to the active bank `pledgee`.
    function pledge(uint256 recordId, address pledgee) external;

    /// @notice The pledgee of a PLEDGED record releases it to the holder.
    function releasePledge(uint256 recordId) external;

    /// @notice The pledgee of a PLEDGED record enforces the pledge and becomes its holder.
    function enforcePledge(uint256 recordId) external;

    /// @notice The holder of a HELD record surrenders it to the issuer (delivery of the goods).
    function surrender(uint256 recordId) external;

    /// @notice The issuer of a SURRENDERED record gives control back to the holder.
    function rejectSurrender(uint256 recordId) external;

    /// @notice The issuer voids a SURRENDERED record.
    function voidRecord(uint256 recordId) external;

    /// @notice A title agent lodges the HELD record of `presenter` with `bank` under `escrowKey` (presentation).
    function lodge(uint256 recordId, address presenter, address bank, bytes32 escrowKey) external;

    /// @notice A title agent returns an ESCROWED record to its presenter (refusal, documents returned).
    function returnToPresenter(uint256 recordId, bytes32 escrowKey) external;

    /// @notice A title agent passes the title of an ESCROWED record to `holder` with the payment; when `securedBy`
    /// is non-zero that bank keeps control as security (PLEDGED) until `releaseSecurity`.
    function passTitle(uint256 recordId, bytes32 escrowKey, address holder, address securedBy) external;

    /// @notice A title agent pledges the HELD record of `pledgor` (who must control it) to the active bank `pledgee`
    /// under `securityKey` (a financing against the document the record backs); `releaseSecurity` ends it.
    function pledgeAsSecurity(uint256 recordId, address pledgor, address pledgee, bytes32 securityKey) external;

    /// @notice A title agent releases the security held under `escrowKey` (the applicant reimbursed the bank, or
    /// the financing the record backs was repaid or released).
    /// @return released false when the record is no longer pledged under `escrowKey` (nothing to do)
    function releaseSecurity(uint256 recordId, bytes32 escrowKey) external returns (bool released);
}
