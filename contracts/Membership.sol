// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IMembership} from "./interfaces/IMembership.sol";

/// @title Membership: the consortium registry (see IMembership)
/// @notice The deployer is the OPERATOR and the default admin (two-step transfer with a delay); its only
/// business power is admitting the founding bank once. Everything after is decided by the active banks.
contract Membership is IMembership, AccessControlDefaultAdminRules {
    mapping(address account => Member) private _members;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address bank => bool)) private _votes;
    uint256 private _proposalCount;
    address private _foundingBank;
    uint64 private _bankSetEpoch;
    uint32 private _activeBankCount;

    /// @param initialAdminDelay delay (seconds) of a default-admin transfer
    constructor(uint48 initialAdminDelay) AccessControlDefaultAdminRules(initialAdminDelay, msg.sender) {
        _members[msg.sender].kind = MemberKind.OPERATOR;
        _transition(msg.sender, MemberStatus.NONE, MemberStatus.ACTIVE);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMembership
    function isActiveMember(address account, MemberKind kind) external view returns (bool) {
        Member storage member = _members[account];
        return member.status == MemberStatus.ACTIVE && member.kind == kind;
    }

    /// @inheritdoc IMembership
    function sponsorOf(address trader) external view returns (address) {
        return _members[trader].sponsor;
    }

    /// @inheritdoc IMembership
    function memberOf(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IMembership
    function activeBankCount() external view returns (uint32) {
        return _activeBankCount;
    }

    /// @inheritdoc IMembership
    function bankSetEpoch() external view returns (uint64) {
        return _bankSetEpoch;
    }

    /// @inheritdoc IMembership
    function foundingBank() external view returns (address) {
        return _foundingBank;
    }

    /// @inheritdoc IMembership
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IMembership
    function proposal(uint256 proposalId) external view returns (Proposal memory result) {
        result = _proposals[proposalId];
        result.state = _proposalState(proposalId);
    }

    /// @inheritdoc IMembership
    function hasVoted(uint256 proposalId, address bank) external view returns (bool) {
        return _votes[proposalId][bank];
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IMembership
    function admitFoundingBank(address bank) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_foundingBank != address(0)) revert MembershipFoundingClosed(_foundingBank);
        if (bank == address(0)) revert MembershipInvalidAccount(bank);
        _foundingBank = bank;
        _admit(bank, MemberKind.BANK, address(0));
    }

    /// @inheritdoc IMembership
    function propose(ProposalAction action, address subject) external returns (uint256 proposalId) {
        _requireActive(msg.sender, MemberKind.BANK);
        _checkAction(action, subject);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal({
            action: action,
            state: ProposalState.OPEN,
            subject: subject,
            proposer: msg.sender,
            epoch: _bankSetEpoch,
            votes: 0
        });
        emit ProposalCreated(proposalId, action, subject, msg.sender, _bankSetEpoch);
        _vote(proposalId, msg.sender);
    }

    /// @inheritdoc IMembership
    function vote(uint256 proposalId) external {
        _requireActive(msg.sender, MemberKind.BANK);
        ProposalState state = _proposalState(proposalId);
        if (state != ProposalState.OPEN) revert MembershipInvalidProposalState(proposalId, state);
        _vote(proposalId, msg.sender);
    }

    // ---------------------------------------------------------------- traders

    /// @inheritdoc IMembership
    function onboardTrader(address trader) external {
        _requireActive(msg.sender, MemberKind.BANK);
        if (trader == address(0)) revert MembershipInvalidAccount(trader);
        _admit(trader, MemberKind.TRADER, msg.sender);
    }

    /// @inheritdoc IMembership
    function suspendTrader(address trader) external {
        _requireSponsor(trader);
        _transition(trader, MemberStatus.ACTIVE, MemberStatus.SUSPENDED);
    }

    /// @inheritdoc IMembership
    function reinstateTrader(address trader) external {
        _requireSponsor(trader);
        _transition(trader, MemberStatus.SUSPENDED, MemberStatus.ACTIVE);
    }

    /// @inheritdoc IMembership
    function offboardTrader(address trader) external {
        _requireSponsor(trader);
        _remove(trader);
    }

    // ---------------------------------------------------------------- internals

    function _requireActive(address account, MemberKind kind) private view {
        Member storage member = _members[account];
        if (member.status != MemberStatus.ACTIVE || member.kind != kind) revert MembershipUnauthorized(account, kind);
    }

    function _requireSponsor(address trader) private view {
        _requireActive(msg.sender, MemberKind.BANK);
        Member storage member = _members[trader];
        if (member.kind != MemberKind.TRADER) revert MembershipInvalidKind(trader, member.kind, MemberKind.TRADER);
        if (member.sponsor != msg.sender) revert MembershipNotSponsor(trader, msg.sender, member.sponsor);
    }

    function _requireKind(address account, MemberKind kind) private view {
        MemberKind current = _members[account].kind;
        if (current != kind) revert MembershipInvalidKind(account, current, kind);
    }

    function _requireStatus(address account, MemberStatus expected) private view {
        MemberStatus current = _members[account].status;
        if (current != expected) revert MembershipInvalidStatus(account, current, expected);
    }

    function _requireRemovable(address account) private view {
        MemberStatus current = _members[account].status;
        if (current != MemberStatus.ACTIVE && current != MemberStatus.SUSPENDED) {
            revert MembershipInvalidStatus(account, current, MemberStatus.ACTIVE);
        }
    }

    /// @dev Validates that `action` can apply to `subject` now (checked again when executed).
    function _checkAction(ProposalAction action, address subject) private view {
        MemberKind kind = action <= ProposalAction.REMOVE_BANK ? MemberKind.BANK : MemberKind.AUDITOR;
        if (action == ProposalAction.ADMIT_BANK || action == ProposalAction.ADMIT_AUDITOR) {
            if (subject == address(0)) revert MembershipInvalidAccount(subject);
            _requireStatus(subject, MemberStatus.NONE);
            return;
        }
        _requireKind(subject, kind);
        if (action == ProposalAction.SUSPEND_BANK || action == ProposalAction.SUSPEND_AUDITOR) {
            _requireStatus(subject, MemberStatus.ACTIVE);
        } else if (action == ProposalAction.REINSTATE_BANK || action == ProposalAction.REINSTATE_AUDITOR) {
            _requireStatus(subject, MemberStatus.SUSPENDED);
        } else {
            _requireRemovable(subject);
        }
    }

    function _proposalState(uint256 proposalId) private view returns (ProposalState) {
        Proposal storage stored = _proposals[proposalId];
        if (stored.state == ProposalState.OPEN && stored.epoch != _bankSetEpoch) return ProposalState.STALE;
        return stored.state;
    }

    function _vote(uint256 proposalId, address bank) private {
        if (_votes[proposalId][bank]) revert MembershipAlreadyVoted(proposalId, bank);
        _votes[proposalId][bank] = true;
        Proposal storage stored = _proposals[proposalId];
        uint32 votes = ++stored.votes;
        emit ProposalVoted(proposalId, bank, votes);
        if (uint256(votes) * 2 > _activeBankCount) _execute(proposalId);
    }

    function _execute(uint256 proposalId) private {
        Proposal storage stored = _proposals[proposalId];
        stored.state = ProposalState.EXECUTED;
        ProposalAction action = stored.action;
        address subject = stored.subject;
        _checkAction(action, subject);
        if (action == ProposalAction.ADMIT_BANK) {
            _admit(subject, MemberKind.BANK, address(0));
        } else if (action == ProposalAction.ADMIT_AUDITOR) {
            _admit(subject, MemberKind.AUDITOR, address(0));
        } else if (action == ProposalAction.SUSPEND_BANK || action == ProposalAction.SUSPEND_AUDITOR) {
            _transition(subject, MemberStatus.ACTIVE, MemberStatus.SUSPENDED);
        } else if (action == ProposalAction.REINSTATE_BANK || action == ProposalAction.REINSTATE_AUDITOR) {
            _transition(subject, MemberStatus.SUSPENDED, MemberStatus.ACTIVE);
        } else {
            _remove(subject);
        }
        emit ProposalExecuted(proposalId, action, subject);
    }

    function _admit(address account, MemberKind kind, address sponsor) private {
        _requireStatus(account, MemberStatus.NONE);
        Member storage member = _members[account];
        member.kind = kind;
        member.sponsor = sponsor;
        _transition(account, MemberStatus.NONE, MemberStatus.ACTIVE);
    }

    function _remove(address account) private {
        _requireRemovable(account);
        _transition(account, _members[account].status, MemberStatus.REMOVED);
    }

    /// @dev The member status machine: the only writer of `status`, of the active bank count and of the epoch.
    function _transition(address account, MemberStatus expected, MemberStatus next) private {
        Member storage member = _members[account];
        MemberStatus current = member.status;
        if (current != expected) revert MembershipInvalidStatus(account, current, expected);
        member.status = next;
        if (member.kind == MemberKind.BANK) {
            if (current == MemberStatus.ACTIVE) {
                if (_activeBankCount == 1) revert MembershipLastActiveBank(account);
                --_activeBankCount;
                ++_bankSetEpoch;
            } else if (next == MemberStatus.ACTIVE) {
                ++_activeBankCount;
                ++_bankSetEpoch;
            }
        }
        emit MemberStatusChanged(account, member.kind, current, next, member.sponsor);
    }
}
