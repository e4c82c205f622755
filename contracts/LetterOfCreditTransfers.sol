// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILetterOfCredit} from "./interfaces/ILetterOfCredit.sol";
import {ILetterOfCreditTransfers} from "./interfaces/ILetterOfCreditTransfers.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {LetterOfCreditDrawings} from "./LetterOfCreditDrawings.sol";

/**
 * @title LetterOfCreditTransfers
 * @notice Transferable credits (UCP 600 Art 38) and assignment of proceeds (Art 39) under a LetterOfCredit; see
 * {ILetterOfCreditTransfers} for the rules, the state machines, the events and the errors.
 * @dev An external library like {LetterOfCreditDrawings}: LetterOfCredit delegate-calls it on its own storage (the
 * `TransferBook` of each credit in the drawings' `Book`), so events come from LetterOfCredit. Presentations under
 * the credit made from a transferred credit go through the drawings' one `lodgePresentation`; the honour there pays
 * the shares recorded here.
 */
library LetterOfCreditTransfers {
    uint64 private constant _DAY = 86_400;

    // ================================================================== transfer (Art 38a, b, d, g)

    /// @notice {ILetterOfCreditTransfers-requestTransfer} on the credit's storage.
    function requestTransfer(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        ILetterOfCreditTransfers.TransferTerms calldata terms
    ) external returns (uint256 transferId) {
        ILetterOfCredit.Credit storage lc = LetterOfCreditDrawings.credit(book, lcId);
        _requireBeneficiary(s, lcId, lc);
        if (!lc.terms.transferable) revert ILetterOfCreditTransfers.LetterOfCreditNotTransferable(lcId);
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        // Art 38d: more than one second beneficiary only when partial drawings are allowed.
        if (!lc.terms.partialDrawingsAllowed && tb.liveTransfers != 0) {
            revert ILetterOfCreditTransfers.LetterOfCreditTransferToSeveralProhibited(lcId, tb.liveTransfers);
        }
        address second = terms.secondBeneficiary;
        if (second == lc.terms.beneficiary) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidSecondBeneficiary(lcId, second);
        }
        LetterOfCreditDrawings.requireMember(s, second, IMembership.MemberKind.TRADER);
        if (terms.termsHash == bytes32(0)) revert ILetterOfCredit.LetterOfCreditEmptyTermsHash();
        _checkReduced(lcId, lc, tb.transferredAmount, terms);

        transferId = ++tb.transferCount;
        ILetterOfCreditTransfers.Transfer storage t = tb.transfers[transferId];
        t.terms = terms;
        t.transferringBank = lc.terms.availableWithBank;
        ++tb.liveTransfers;
        tb.transferredAmount += terms.amount;
        _transitionTransfer(tb, lcId, transferId, ILetterOfCreditTransfers.TransferState.REQUESTED);
        emit ILetterOfCreditTransfers.TransferRequested(lcId, transferId, t.transferringBank, terms);
    }

    /// @notice {ILetterOfCreditTransfers-decideTransfer} on the credit's storage.
    function decideTransfer(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 transferId,
        bool consent
    ) external {
        ILetterOfCredit.Credit storage lc = LetterOfCreditDrawings.credit(book, lcId);
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        ILetterOfCreditTransfers.Transfer storage t = _transfer(tb, lcId, transferId);
        _requireTransferringBank(s, lcId, t.transferringBank);
        if (consent) {
            // Art 38a: the bank is bound only by what it expressly consents to, and only while the credit runs.
            LetterOfCreditDrawings.requireOperative(lcId, lc);
            _transitionTransfer(tb, lcId, transferId, ILetterOfCreditTransfers.TransferState.TRANSFERRED);
        } else {
            --tb.liveTransfers;
            tb.transferredAmount -= t.terms.amount;
            _transitionTransfer(tb, lcId, transferId, ILetterOfCreditTransfers.TransferState.DECLINED);
        }
        emit ILetterOfCreditTransfers.TransferDecided(lcId, transferId, msg.sender, consent);
    }

    // ================================================================== presentations (Art 38h, i, k)

    /// @notice {ILetterOfCreditTransfers-presentTransferred} on the credit's storage.
    function presentTransferred(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 transferId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external returns (uint256 id) {
        ILetterOfCreditTransfers.Transfer storage t = _checkTransferred(book, s, lcId, transferId, shipmentDate);
        LetterOfCreditDrawings.requireHashes(documentHashes, LetterOfCreditDrawings.MAX_DOCUMENTS, true);
        if (amount == 0) revert ILetterOfCredit.LetterOfCreditInvalidAmount(amount);
        uint256 available = t.terms.amount - t.presented;
        if (amount > available) {
            revert ILetterOfCreditTransfers.LetterOfCreditTransferredDrawingExceedsAvailable(
                lcId,
                transferId,
                amount,
                available
            );
        }
        t.presented += amount;
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        id = ++tb.presentationCount;
        ILetterOfCreditTransfers.TransferredPresentation storage tp = tb.presentations[id];
        tp.transferId = transferId;
        tp.shipmentDate = shipmentDate;
        tp.presentedAt = uint64(block.timestamp);
        tp.amount = amount;
        tp.documentsHash = keccak256(abi.encodePacked(documentHashes));
        _transitionPresented(tb, lcId, id, ILetterOfCreditTransfers.TransferredPresentationState.PRESENTED);
        _emitTransferredPresented(lcId, id, tp, documentHashes);
    }

    function _emitTransferredPresented(
        uint256 lcId,
        uint256 id,
        ILetterOfCreditTransfers.TransferredPresentation storage tp,
        bytes32[] calldata documentHashes
    ) private {
        emit ILetterOfCreditTransfers.TransferredDocumentsPresented(
            lcId,
            tp.transferId,
            id,
            msg.sender,
            tp.amount,
            tp.shipmentDate,
            documentHashes
        );
    }

    /// @dev The caller is the transfer's second beneficiary, the transfer is effected, the credit runs and the
    /// presentation is within the transferred credit's expiry and presentation period (38k).
    function _checkTransferred(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 transferId,
        uint64 shipmentDate
    ) private view returns (ILetterOfCreditTransfers.Transfer storage t) {
        ILetterOfCredit.Credit storage lc = LetterOfCreditDrawings.credit(book, lcId);
        t = _transfer(book.transfers[lcId], lcId, transferId);
        LetterOfCreditDrawings.requireParty(
            s,
            lcId,
            t.terms.secondBeneficiary,
            ILetterOfCredit.Party.BENEFICIARY,
            IMembership.MemberKind.TRADER
        );
        _requireTransferState(t, lcId, transferId, ILetterOfCreditTransfers.TransferState.TRANSFERRED);
        LetterOfCreditDrawings.requireOperative(lcId, lc);
        _checkTransferredDates(s, lcId, lc, t, transferId, shipmentDate);
    }

    /// @notice {ILetterOfCreditTransfers-demandSubstitution} on the credit's storage.
    function demandSubstitution(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 id
    ) external {
        LetterOfCreditDrawings.requireOperative(lcId, LetterOfCreditDrawings.credit(book, lcId));
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        ILetterOfCreditTransfers.TransferredPresentation storage tp = _transferred(tb, lcId, id);
        address bank = tb.transfers[tp.transferId].transferringBank;
        _requireTransferringBank(s, lcId, bank);
        // "On first demand" (38i): the first beneficiary has until the end of the bank's next banking day.
        uint64 deadline = (s.calendar.nextBankingDay(bank, LetterOfCreditDrawings.today() + 1) + 1) * _DAY - 1;
        tp.substitutionDeadline = deadline;
        _transitionPresented(tb, lcId, id, ILetterOfCreditTransfers.TransferredPresentationState.DEMANDED);
        emit ILetterOfCreditTransfers.SubstitutionDemanded(lcId, id, msg.sender, deadline);
    }

    /// @notice {ILetterOfCreditTransfers-substituteInvoice} on the credit's storage.
    function substituteInvoice(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 id,
        bytes32[] calldata documentHashes,
        uint256 amount
    ) external returns (uint256 presentationId) {
        ILetterOfCredit.Credit storage lc = LetterOfCreditDrawings.credit(book, lcId);
        _requireBeneficiary(s, lcId, lc);
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        ILetterOfCreditTransfers.TransferredPresentation storage tp = _transferred(tb, lcId, id);
        // Art 38h: the first beneficiary's invoice replaces the second's; it draws the difference, never less.
        if (amount < tp.amount) {
            revert ILetterOfCreditTransfers.LetterOfCreditSubstitutedAmountTooLow(lcId, id, amount, tp.amount);
        }
        _transitionPresented(tb, lcId, id, ILetterOfCreditTransfers.TransferredPresentationState.SUBSTITUTED);
        presentationId = _forward(book, s, lcId, tp, documentHashes, amount);
        emit ILetterOfCreditTransfers.InvoiceSubstituted(lcId, id, presentationId, amount);
    }

    /// @notice {ILetterOfCreditTransfers-forwardAsPresented} on the credit's storage.
    function forwardAsPresented(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        uint256 id,
        bytes32[] calldata documentHashes
    ) external returns (uint256 presentationId) {
        LetterOfCreditDrawings.requireOperative(lcId, LetterOfCreditDrawings.credit(book, lcId));
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        ILetterOfCreditTransfers.TransferredPresentation storage tp = _transferred(tb, lcId, id);
        _requireTransferringBank(s, lcId, tb.transfers[tp.transferId].transferringBank);
        if (tp.state != ILetterOfCreditTransfers.TransferredPresentationState.DEMANDED) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidTransferredPresentationState(
                lcId,
                id,
                tp.state,
                ILetterOfCreditTransfers.TransferredPresentationState.DEMANDED
            );
        }
        if (block.timestamp <= tp.substitutionDeadline) {
            revert ILetterOfCreditTransfers.LetterOfCreditSubstitutionDeadlineNotPassed(
                lcId,
                id,
                tp.substitutionDeadline,
                uint64(block.timestamp)
            );
        }
        if (keccak256(abi.encodePacked(documentHashes)) != tp.documentsHash) {
            revert ILetterOfCreditTransfers.LetterOfCreditTransferredDocumentsMismatch(lcId, id);
        }
        _transitionPresented(tb, lcId, id, ILetterOfCreditTransfers.TransferredPresentationState.FORWARDED);
        // Art 38i: the documents as they are; the whole drawing is the second beneficiary's.
        presentationId = _forward(book, s, lcId, tp, documentHashes, tp.amount);
        emit ILetterOfCreditTransfers.TransferredDocumentsForwarded(lcId, id, presentationId, msg.sender);
    }

    // ================================================================== assignment of proceeds (Art 39)

    /// @notice {ILetterOfCreditTransfers-assignProceeds} on the credit's storage.
    function assignProceeds(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        address assignee,
        uint16 shareBps
    ) external {
        ILetterOfCredit.Credit storage lc = LetterOfCreditDrawings.credit(book, lcId);
        _requireBeneficiary(s, lcId, lc);
        ILetterOfCreditTransfers.ProceedsAssignment storage assignment = book.transfers[lcId].assignment;
        if (assignment.assignee != address(0)) {
            revert ILetterOfCreditTransfers.LetterOfCreditProceedsAlreadyAssigned(lcId, assignment.assignee);
        }
        bool member = s.membership.isActiveMember(assignee, IMembership.MemberKind.TRADER) ||
            s.membership.isActiveMember(assignee, IMembership.MemberKind.BANK);
        if (assignee == lc.terms.beneficiary || !member) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidAssignee(lcId, assignee);
        }
        if (shareBps == 0 || shareBps > LetterOfCreditDrawings.BPS) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidAssignedShare(lcId, shareBps);
        }
        assignment.assignee = assignee;
        assignment.shareBps = shareBps;
        emit ILetterOfCreditTransfers.ProceedsAssigned(lcId, msg.sender, assignee, shareBps);
    }

    // ================================================================== internal

    /// @dev Presents under the credit for `amount` and records the second beneficiary's share of it for the honour.
    function _forward(
        LetterOfCreditDrawings.Book storage book,
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        ILetterOfCreditTransfers.TransferredPresentation storage tp,
        bytes32[] calldata documentHashes,
        uint256 amount
    ) private returns (uint256 presentationId) {
        LetterOfCreditDrawings.TransferBook storage tb = book.transfers[lcId];
        presentationId = LetterOfCreditDrawings.lodgePresentation(
            book,
            s,
            lcId,
            documentHashes,
            amount,
            tp.shipmentDate,
            0
        );
        tp.presentationId = presentationId;
        ILetterOfCreditTransfers.TransferredShare storage share = tb.shares[presentationId];
        share.payee = tb.transfers[tp.transferId].terms.secondBeneficiary;
        share.amount = tp.amount;
    }

    /// @dev Art 38g: amount, expiry, presentation period and latest shipment may only be reduced.
    function _checkReduced(
        uint256 lcId,
        ILetterOfCredit.Credit storage lc,
        uint256 alreadyTransferred,
        ILetterOfCreditTransfers.TransferTerms calldata terms
    ) private view {
        if (terms.amount == 0) revert ILetterOfCredit.LetterOfCreditInvalidAmount(terms.amount);
        ILetterOfCredit.CreditTerms storage c = lc.terms;
        uint256 left = c.amount > alreadyTransferred ? c.amount - alreadyTransferred : 0;
        _reduced(lcId, "amount", terms.amount, left);
        if (terms.expiry <= block.timestamp) {
            revert ILetterOfCredit.LetterOfCreditInvalidExpiry(terms.expiry, uint64(block.timestamp));
        }
        _reduced(lcId, "expiry", terms.expiry, c.expiry);
        _reduced(lcId, "presentationPeriodDays", terms.presentationPeriodDays, c.presentationPeriodDays);
        _reduced(lcId, "latestShipment", terms.latestShipment, c.latestShipment == 0 ? c.expiry : c.latestShipment);
        if (terms.latestShipment > terms.expiry) {
            revert ILetterOfCredit.LetterOfCreditInvalidLatestShipment(terms.latestShipment, terms.expiry);
        }
    }

    function _reduced(uint256 lcId, bytes32 field, uint256 requested, uint256 allowed) private pure {
        if (requested > allowed) {
            revert ILetterOfCreditTransfers.LetterOfCreditTransferTermsNotReduced(lcId, field, requested, allowed);
        }
    }

    /// @dev The transferred credit's dates: within its expiry and presentation period, on the bank's calendar.
    function _checkTransferredDates(
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        ILetterOfCredit.Credit storage lc,
        ILetterOfCreditTransfers.Transfer storage t,
        uint256 transferId,
        uint64 shipmentDate
    ) private view {
        if (shipmentDate > block.timestamp) {
            revert ILetterOfCredit.LetterOfCreditShipmentDateInFuture(lcId, shipmentDate, uint64(block.timestamp));
        }
        address bank = t.transferringBank;
        uint16 period = t.terms.presentationPeriodDays == 0
            ? lc.terms.presentationPeriodDays
            : t.terms.presentationPeriodDays;
        uint64 lastDay = s.calendar.nextBankingDay(bank, t.terms.expiry / _DAY);
        uint64 periodEnd = s.calendar.nextBankingDay(bank, shipmentDate / _DAY + period);
        if (periodEnd < lastDay) lastDay = periodEnd;
        uint64 day = LetterOfCreditDrawings.today();
        if (day > lastDay) {
            revert ILetterOfCreditTransfers.LetterOfCreditTransferredPresentationLate(lcId, transferId, day, lastDay);
        }
    }

    function _requireBeneficiary(
        LetterOfCreditDrawings.Services memory s,
        uint256 lcId,
        ILetterOfCredit.Credit storage lc
    ) private view {
        LetterOfCreditDrawings.requireParty(
            s,
            lcId,
            lc.terms.beneficiary,
            ILetterOfCredit.Party.BENEFICIARY,
            IMembership.MemberKind.TRADER
        );
        LetterOfCreditDrawings.requireOperative(lcId, lc);
    }

    function _requireTransferringBank(LetterOfCreditDrawings.Services memory s, uint256 lcId, address bank)
        private
        view
    {
        LetterOfCreditDrawings.requireParty(
            s,
            lcId,
            bank,
            ILetterOfCredit.Party.AVAILABLE_WITH_BANK,
            IMembership.MemberKind.BANK
        );
    }

    function _transfer(
        LetterOfCreditDrawings.TransferBook storage tb,
        uint256 lcId,
        uint256 transferId
    ) private view returns (ILetterOfCreditTransfers.Transfer storage t) {
        t = tb.transfers[transferId];
        if (t.state == ILetterOfCreditTransfers.TransferState.NONE) {
            revert ILetterOfCreditTransfers.LetterOfCreditUnknownTransfer(lcId, transferId);
        }
    }

    function _requireTransferState(
        ILetterOfCreditTransfers.Transfer storage t,
        uint256 lcId,
        uint256 transferId,
        ILetterOfCreditTransfers.TransferState expected
    ) private view {
        if (t.state != expected) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidTransferState(lcId, transferId, t.state, expected);
        }
    }

    function _transferred(
        LetterOfCreditDrawings.TransferBook storage tb,
        uint256 lcId,
        uint256 id
    ) private view returns (ILetterOfCreditTransfers.TransferredPresentation storage tp) {
        tp = tb.presentations[id];
        if (tp.state == ILetterOfCreditTransfers.TransferredPresentationState.NONE) {
            revert ILetterOfCreditTransfers.LetterOfCreditUnknownTransferredPresentation(lcId, id);
        }
    }

    /// @dev The one transfer transition: NONE -> REQUESTED -> TRANSFERRED | DECLINED.
    function _transitionTransfer(
        LetterOfCreditDrawings.TransferBook storage tb,
        uint256 lcId,
        uint256 transferId,
        ILetterOfCreditTransfers.TransferState to
    ) private {
        ILetterOfCreditTransfers.Transfer storage t = tb.transfers[transferId];
        ILetterOfCreditTransfers.TransferState from = t.state;
        bool ok = from == ILetterOfCreditTransfers.TransferState.NONE
            ? to == ILetterOfCreditTransfers.TransferState.REQUESTED
            : from == ILetterOfCreditTransfers.TransferState.REQUESTED &&
                to != ILetterOfCreditTransfers.TransferState.REQUESTED;
        if (!ok) revert ILetterOfCreditTransfers.LetterOfCreditInvalidTransferState(lcId, transferId, from, to);
        t.state = to;
    }

    /// @dev The one transferred-presentation transition (see the graph in {ILetterOfCreditTransfers}).
    function _transitionPresented(
        LetterOfCreditDrawings.TransferBook storage tb,
        uint256 lcId,
        uint256 id,
        ILetterOfCreditTransfers.TransferredPresentationState to
    ) private {
        ILetterOfCreditTransfers.TransferredPresentation storage tp = tb.presentations[id];
        ILetterOfCreditTransfers.TransferredPresentationState from = tp.state;
        bool ok = false;
        if (from == ILetterOfCreditTransfers.TransferredPresentationState.NONE) {
            ok = to == ILetterOfCreditTransfers.TransferredPresentationState.PRESENTED;
        } else if (from == ILetterOfCreditTransfers.TransferredPresentationState.PRESENTED) {
            ok =
                to == ILetterOfCreditTransfers.TransferredPresentationState.DEMANDED ||
                to == ILetterOfCreditTransfers.TransferredPresentationState.SUBSTITUTED;
        } else if (from == ILetterOfCreditTransfers.TransferredPresentationState.DEMANDED) {
            ok =
                to == ILetterOfCreditTransfers.TransferredPresentationState.SUBSTITUTED ||
                to == ILetterOfCreditTransfers.TransferredPresentationState.FORWARDED;
        }
        if (!ok) {
            revert ILetterOfCreditTransfers.LetterOfCreditInvalidTransferredPresentationState(lcId, id, from, to);
        }
        tp.state = to;
    }
}
