// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILetterOfCredit} from "./ILetterOfCredit.sol";

/**
 * @title ILetterOfCreditTransfers
 * @notice Transferable credits (UCP 600 Art 38) and assignment of proceeds (Art 39) under a LetterOfCredit.
 *
 * Transfer:     NONE -requestTransfer(BEN, credit states "transferable", 38b)-> REQUESTED
 *               REQUESTED -decideTransfer(TB, consent, 38a)-> TRANSFERRED
 *               REQUESTED -decideTransfer(TB, no)-> DECLINED
 * Transferred   NONE -presentTransferred(SB, to the transferring bank, 38k)-> PRESENTED
 * presentation: PRESENTED -substituteInvoice(BEN, 38h)-> SUBSTITUTED
 *               PRESENTED -demandSubstitution(TB)-> DEMANDED -substituteInvoice(BEN)-> SUBSTITUTED
 *               DEMANDED -forwardAsPresented(TB, after the demand lapsed, 38i)-> FORWARDED
 *
 * The transferring bank (TB) is the credit's available-with bank: the nominated bank, or the issuing bank when the
 * credit is available with it (38b). The first beneficiary (BEN) asks for a transfer of all or part of the credit to
 * a second beneficiary (SB); the bank has no obligation to transfer beyond what it expressly consents to (38a), and
 * its consent commits it. A credit may be transferred to several second beneficiaries only if partial drawings are
 * allowed (38d); a second beneficiary is not the credit's beneficiary and so cannot transfer again (38d). The
 * transferred terms may only be reduced as 38(g) allows: the chain checks amount, expiry, presentation period and
 * latest shipment; the rest (unit price, insurance cover, the first beneficiary's name for the applicant's, 38h)
 * is behind `termsHash`.
 *
 * The second beneficiary presents to the transferring bank (38k) within the transferred terms. The first
 * beneficiary substitutes its own invoice (and draft) and presents the documents under the credit for its own
 * invoice amount (at least the second beneficiary's): when the drawing is paid the second beneficiary is paid its
 * invoice amount and the first beneficiary the difference (38h, 38i), each leg with its own Settlement reference. If the first
 * beneficiary does not substitute on the transferring bank's demand by the end of the next banking day, the
 * transferring bank presents the second beneficiary's documents as they are (38i): all of that drawing goes to the
 * second beneficiary. Amendments (38e, 38f) are not carried to transferred credits: the transferred terms are
 * fixed at transfer and every presentation under the credit is still checked against the credit as amended.
 *
 * Assignment (Art 39): the beneficiary assigns a share of the proceeds it is or may become entitled to, to an
 * active member. The right to perform (to present) stays with the beneficiary. Whenever a drawing is paid, the
 * assigned share of what the beneficiary receives is paid to the assignee, the rest to the beneficiary, in the same
 * transaction.
 *
 * When the drawing is paid: at a sight honour; under a credit with a tenor (deferred payment, acceptance, usance
 * negotiation) at maturity (`payAtMaturity`), or by the issuing bank for a nominated bank that did not pay at
 * maturity (`honourDefaultedUndertaking`, Art 7a), or earlier on a prepayment by the nominated bank (Art 12b), which
 * pays the second beneficiary its share less its pro rata part of the discount (the assignee's share and the
 * beneficiary's rest are then taken of what remains). The legs always add up to what the paying bank pays.
 *
 * Settlement references of the extra legs: `transferReference(lcId, presentationId)` (second beneficiary) and
 * `assignmentReference(lcId, presentationId)` (assignee); the beneficiary's own leg keeps
 * `paymentReference(lcId, presentationId)`.
 */
interface ILetterOfCreditTransfers {
    /// @notice State of a transfer of the credit to a second beneficiary.
    enum TransferState {
        NONE,
        REQUESTED,
        TRANSFERRED,
        DECLINED
    }

    /// @notice State of a second beneficiary's presentation to the transferring bank.
    enum TransferredPresentationState {
        NONE,
        PRESENTED,
        DEMANDED,
        SUBSTITUTED,
        FORWARDED
    }

    /**
     * @notice The transferred credit's terms (38g) as the first beneficiary asks for them.
     * @dev `presentationPeriodDays` 0 means the credit's own; `latestShipment` 0 means the credit's own.
     */
    struct TransferTerms {
        address secondBeneficiary;
        bytes32 termsHash;
        uint256 amount;
        uint64 expiry;
        uint64 latestShipment;
        uint16 presentationPeriodDays;
    }

    /// @notice A transfer as stored; `presented` is what the second beneficiary has presented so far.
    struct Transfer {
        TransferTerms terms;
        TransferState state;
        address transferringBank;
        uint256 presented;
    }

    /// @notice A second beneficiary's presentation to the transferring bank.
    struct TransferredPresentation {
        uint256 transferId;
        TransferredPresentationState state;
        uint64 shipmentDate;
        uint64 presentedAt;
        uint64 substitutionDeadline;
        uint256 amount;
        bytes32 documentsHash;
        uint256 presentationId;
    }

    /// @notice An assignment of proceeds (Art 39): `shareBps` of what the beneficiary receives goes to `assignee`.
    struct ProceedsAssignment {
        address assignee;
        uint16 shareBps;
    }

    /// @notice What the second beneficiary is paid out of a presentation under the credit.
    struct TransferredShare {
        address payee;
        uint256 amount;
    }

    // ------------------------------------------------------------------ events

    /// @notice The first beneficiary asked the transferring bank to transfer the credit (38b).
    event TransferRequested(
        uint256 indexed lcId,
        uint256 indexed transferId,
        address indexed transferringBank,
        TransferTerms terms
    );

    /// @notice The transferring bank consented (`consented`, 38a: it is committed) or declined.
    event TransferDecided(uint256 indexed lcId, uint256 indexed transferId, address indexed bank, bool consented);

    /// @notice The second beneficiary presented documents to the transferring bank (38k).
    event TransferredDocumentsPresented(
        uint256 indexed lcId,
        uint256 indexed transferId,
        uint256 indexed transferredPresentationId,
        address secondBeneficiary,
        uint256 amount,
        uint64 shipmentDate,
        bytes32[] documentHashes
    );

    /// @notice The transferring bank asked the first beneficiary to substitute its invoice by `deadline` (38i).
    event SubstitutionDemanded(
        uint256 indexed lcId,
        uint256 indexed transferredPresentationId,
        address indexed bank,
        uint64 deadline
    );

    /// @notice The first beneficiary substituted its invoice and presented under the credit as `presentationId`.
    event InvoiceSubstituted(
        uint256 indexed lcId,
        uint256 indexed transferredPresentationId,
        uint256 indexed presentationId,
        uint256 amount
    );

    /// @notice The first beneficiary failed to substitute: the bank presented the documents as they are (38i).
    event TransferredDocumentsForwarded(
        uint256 indexed lcId,
        uint256 indexed transferredPresentationId,
        uint256 indexed presentationId,
        address bank
    );

    /// @notice The beneficiary assigned `shareBps` of its proceeds to `assignee` (Art 39).
    event ProceedsAssigned(
        uint256 indexed lcId,
        address indexed beneficiary,
        address indexed assignee,
        uint16 shareBps
    );

    /// @notice When the drawing was paid, the second beneficiary was paid its share of it.
    event TransferredProceedsPaid(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed secondBeneficiary,
        uint256 amount,
        uint256 entryId
    );

    /// @notice When the drawing was paid, the assignee was paid its share of the beneficiary's proceeds (`entryId`
    /// 0: the assignee is the paying bank, which keeps the share).
    event AssignedProceedsPaid(
        uint256 indexed lcId,
        uint256 indexed presentationId,
        address indexed assignee,
        uint256 amount,
        uint256 entryId
    );

    // ------------------------------------------------------------------ errors

    /// @notice The credit does not state that it is transferable (38b).
    error LetterOfCreditNotTransferable(uint256 lcId);

    /// @notice Partial drawings are prohibited: the credit cannot go to more than one second beneficiary (38d).
    error LetterOfCreditTransferToSeveralProhibited(uint256 lcId, uint256 liveTransfers);

    /// @notice The transferred terms are not a reduction 38(g) allows; `field` names the term.
    error LetterOfCreditTransferTermsNotReduced(uint256 lcId, bytes32 field, uint256 requested, uint256 allowed);

    /// @notice The second beneficiary is not an acceptable party (the first beneficiary itself).
    error LetterOfCreditInvalidSecondBeneficiary(uint256 lcId, address secondBeneficiary);

    /// @notice No such transfer.
    error LetterOfCreditUnknownTransfer(uint256 lcId, uint256 transferId);

    /// @notice The transfer is in `current`, the call needs `expected`.
    error LetterOfCreditInvalidTransferState(
        uint256 lcId,
        uint256 transferId,
        TransferState current,
        TransferState expected
    );

    /// @notice No such transferred presentation.
    error LetterOfCreditUnknownTransferredPresentation(uint256 lcId, uint256 transferredPresentationId);

    /// @notice The transferred presentation is in `current`, the call needs `expected`.
    error LetterOfCreditInvalidTransferredPresentationState(
        uint256 lcId,
        uint256 transferredPresentationId,
        TransferredPresentationState current,
        TransferredPresentationState expected
    );

    /// @notice The presentation falls outside the transferred terms (after their expiry or presentation period).
    error LetterOfCreditTransferredPresentationLate(uint256 lcId, uint256 transferId, uint64 day, uint64 lastDay);

    /// @notice The second beneficiary's drawing exceeds what is left of the transferred amount.
    error LetterOfCreditTransferredDrawingExceedsAvailable(
        uint256 lcId,
        uint256 transferId,
        uint256 amount,
        uint256 available
    );

    /// @notice The first beneficiary's invoice is below the second beneficiary's (38h: it draws the difference).
    error LetterOfCreditSubstitutedAmountTooLow(
        uint256 lcId,
        uint256 transferredPresentationId,
        uint256 amount,
        uint256 minimum
    );

    /// @notice The first beneficiary may still substitute until `deadline` (38i: "on first demand").
    error LetterOfCreditSubstitutionDeadlineNotPassed(
        uint256 lcId,
        uint256 transferredPresentationId,
        uint64 deadline,
        uint64 now_
    );

    /// @notice The documents given are not the ones the second beneficiary presented.
    error LetterOfCreditTransferredDocumentsMismatch(uint256 lcId, uint256 transferredPresentationId);

    /// @notice The proceeds of the credit are already assigned.
    error LetterOfCreditProceedsAlreadyAssigned(uint256 lcId, address assignee);

    /// @notice The assignee is not an acceptable party (the beneficiary itself, or not an active member).
    error LetterOfCreditInvalidAssignee(uint256 lcId, address assignee);

    /// @notice The assigned share is not in (0, 10000] basis points.
    error LetterOfCreditInvalidAssignedShare(uint256 lcId, uint16 shareBps);

    // ------------------------------------------------------------------ functions

    /**
     * @notice The first beneficiary asks the transferring bank to transfer all or part of the credit (38b, 38d, 38g).
     * @return transferId The transfer's number within the credit.
     */
    function requestTransfer(uint256 lcId, TransferTerms calldata terms) external returns (uint256 transferId);

    /// @notice The transferring bank consents to the transfer (it is then committed) or declines it (38a).
    function decideTransfer(uint256 lcId, uint256 transferId, bool consent) external;

    /**
     * @notice The second beneficiary presents documents to the transferring bank under the transferred credit (38k).
     * @return transferredPresentationId Its number within the credit.
     */
    function presentTransferred(
        uint256 lcId,
        uint256 transferId,
        bytes32[] calldata documentHashes,
        uint256 amount,
        uint64 shipmentDate
    ) external returns (uint256 transferredPresentationId);

    /// @notice The transferring bank asks the first beneficiary to substitute its invoice and draft (38i).
    function demandSubstitution(uint256 lcId, uint256 transferredPresentationId) external;

    /**
     * @notice The first beneficiary substitutes its invoice (and draft) for the second beneficiary's and presents
     * the documents (`documentHashes`: the full set after substitution) under the credit for `amount`, at least the
     * second beneficiary's invoice amount (38h, 38i).
     * @return presentationId The presentation under the credit.
     */
    function substituteInvoice(
        uint256 lcId,
        uint256 transferredPresentationId,
        bytes32[] calldata documentHashes,
        uint256 amount
    ) external returns (uint256 presentationId);

    /**
     * @notice The first beneficiary failed to substitute on demand: the transferring bank presents the second
     * beneficiary's documents (`documentHashes`, as presented) as they are under the credit (38i).
     * @return presentationId The presentation under the credit.
     */
    function forwardAsPresented(
        uint256 lcId,
        uint256 transferredPresentationId,
        bytes32[] calldata documentHashes
    ) external returns (uint256 presentationId);

    /// @notice The beneficiary assigns `shareBps` of its proceeds under the credit to `assignee` (Art 39).
    function assignProceeds(uint256 lcId, address assignee, uint16 shareBps) external;

    /// @notice A transfer of the credit.
    function getTransfer(uint256 lcId, uint256 transferId) external view returns (Transfer memory);

    /// @notice A second beneficiary's presentation.
    function getTransferredPresentation(
        uint256 lcId,
        uint256 transferredPresentationId
    ) external view returns (TransferredPresentation memory);

    /// @notice The credit's assignment of proceeds (assignee address(0) when none).
    function proceedsAssignment(uint256 lcId) external view returns (ProceedsAssignment memory);

    /// @notice The second beneficiary's share of a presentation under the credit (amount 0 when none).
    function transferredShare(uint256 lcId, uint256 presentationId) external view returns (TransferredShare memory);

    /// @notice Settlement reference of the second beneficiary's leg of a drawing.
    function transferReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32);

    /// @notice Settlement reference of the assignee's leg of a drawing.
    function assignmentReference(uint256 lcId, uint256 presentationId) external pure returns (bytes32);
}
