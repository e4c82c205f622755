// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IMembership: the consortium registry every other contract asks for authorization
/// @notice Members have one kind: the OPERATOR that deploys, BANKs, TRADERs (SME clients onboarded by a
/// sponsor bank) and AUDITORs. Banks and auditors are admitted, suspended, reinstated and removed by a
/// majority of the active banks (proposal, votes tallied incrementally, executed by the vote that reaches
/// the majority). A bank onboards, suspends, reinstates and offboards its own traders.
///
/// Member status graph: NONE -> ACTIVE -> SUSPENDED -> ACTIVE; ACTIVE|SUSPENDED -> REMOVED (terminal).
/// A removed address can never be admitted again.
///
/// Proposals carry the bank-set epoch they were created in; every change of the active bank set starts a
/// new epoch and makes the open proposals of older epochs STALE, so that every tally counts votes of the
/// current active banks only and the majority is always taken over the current active bank count.
interface IMembership {
    enum MemberKind {
        NONE,
        OPERATOR,
        BANK,
        TRADER,
        AUDITOR
    }

    enum MemberStatus {
        NONE,
        ACTIVE,
        SUSPENDED,
        REMOVED
    }

    enum ProposalAction {
        ADMIT_BANK,
        SUSPEND_BANK,
        REINSTATE_BANK,
        REMOVE_BANK,
        ADMIT_AUDITOR,
        SUSPEND_AUDITOR,
        REINSTATE_AUDITOR,
        REMOVE_AUDITOR
    }

    enum ProposalState {
        NONE,
        OPEN,
        EXECUTED,
        STALE
    }

    struct Member {
        MemberKind kind;
        MemberStatus status;
        address sponsor;
    }

    struct Proposal {
        ProposalAction action;
        ProposalState state;
        address subject;
        address proposer;
        uint64 epoch;
        uint32 votes;
    }

    /// @notice A member's status changed (admission is NONE -> ACTIVE). `sponsor` is the trader's bank, else zero.
    event MemberStatusChanged(
        address indexed account,
        MemberKind kind,
        MemberStatus previous,
        MemberStatus current,
        address indexed sponsor
    );

    /// @notice A bank proposed a change of the bank or auditor set; `epoch` is the bank-set epoch it is valid in.
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalAction action,
        address indexed subject,
        address indexed proposer,
        uint64 epoch
    );

    /// @notice An active bank voted for a proposal; `votes` is the tally after this vote.
    event ProposalVoted(uint256 indexed proposalId, address indexed voter, uint32 votes);

    /// @notice A proposal reached the majority of active banks and was carried out.
    event ProposalExecuted(uint256 indexed proposalId, ProposalAction action, address indexed subject);

    /// @notice The caller is not an active member of the required kind.
    error MembershipUnauthorized(address caller, MemberKind required);

    /// @notice The caller is not the sponsor bank of `trader`.
    error MembershipNotSponsor(address trader, address caller, address sponsor);

    /// @notice `account` is of the wrong kind for the operation.
    error MembershipInvalidKind(address account, MemberKind current, MemberKind expected);

    /// @notice `account` is not in the status the operation starts from.
    error MembershipInvalidStatus(address account, MemberStatus current, MemberStatus expected);

    /// @notice The zero address cannot be a member.
    error MembershipInvalidAccount(address account);

    /// @notice The founding bank has already been admitted; banks are now admitted by vote only.
    error MembershipFoundingClosed(address foundingBank);

    /// @notice The proposal cannot be voted on in its current state (unknown, executed or stale).
    error MembershipInvalidProposalState(uint256 proposalId, ProposalState current);

    /// @notice The bank has already voted for this proposal.
    error MembershipAlreadyVoted(uint256 proposalId, address bank);

    /// @notice Suspending or removing the last active bank would leave nobody able to govern.
    error MembershipLastActiveBank(address bank);

    /// @notice Whether `account` is an ACTIVE member of `kind`.
    function isActiveMember(address account, MemberKind kind) external view returns (bool);

    /// @notice The sponsor bank of `trader` (zero if `trader` is not a trader).
    function sponsorOf(address trader) external view returns (address);

    /// @notice Kind, status and sponsor of `account` (all zero for a non-member).
    function memberOf(address account) external view returns (Member memory);

    /// @notice Number of ACTIVE banks: the electorate of every proposal.
    function activeBankCount() external view returns (uint32);

    /// @notice The current bank-set epoch; proposals of older epochs are stale.
    function bankSetEpoch() external view returns (uint64);

    /// @notice The founding bank admitted by the operator (zero before the founding).
    function foundingBank() external view returns (address);

    /// @notice Number of proposals ever created (ids are 1..proposalCount).
    function proposalCount() external view returns (uint256);

    /// @notice A proposal with its current state (STALE when its epoch has passed).
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Whether `bank` voted for `proposalId`.
    function hasVoted(uint256 proposalId, address bank) external view returns (bool);

    /// @notice Admit the founding bank of the consortium; callable once, by the operator (default admin).
    function admitFoundingBank(address bank) external;

    /// @notice Propose a change of the bank or auditor set; the proposer's own vote is counted at once.
    /// @return proposalId the new proposal's id
    function propose(ProposalAction action, address subject) external returns (uint256 proposalId);

    /// @notice Vote for an open proposal of the current epoch; executes it when the majority is reached.
    function vote(uint256 proposalId) external;

    /// @notice Onboard an SME trader; the calling active bank becomes its sponsor.
    function onboardTrader(address trader) external;

    /// @notice Suspend one of the caller's own traders (ACTIVE -> SUSPENDED).
    function suspendTrader(address trader) external;

    /// @notice Reinstate one of the caller's own traders (SUSPENDED -> ACTIVE).
    function reinstateTrader(address trader) external;

    /// @notice Offboard one of the caller's own traders (ACTIVE|SUSPENDED -> REMOVED, final).
    function offboardTrader(address trader) external;
}
