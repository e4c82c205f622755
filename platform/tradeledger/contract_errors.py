"""What each contract custom error means over HTTP: one deliberate entry per error of every contract ABI.

A refused call reaches the client as problem+json with the error's code (its name in snake case,
`LetterOfCreditInvalidState` -> `letter_of_credit_invalid_state`) and the status chosen here:

- FORBIDDEN (403): the caller is not the member, bank or party that may do this;
- NOT_FOUND (404): the id names no object;
- CONFLICT (409): the object's state, its stated terms or the chain's clock do not allow the step (yet, or any
  more); the same request can be right for another object or at another time;
- INVALID (422): a value sent is wrong in itself or for the object (amounts, dates, hashes, counterparties).

Every error in `chain/artifacts` needs an entry (tests/api/test_contract_error_statuses.py fails otherwise): a new
contract error gets one line here, in its contract's group.

The problem's detail names the error and its arguments; an argument that holds a day or a time is shown as a date
(tests/api/test_contract_error_details.py fails when a new date argument is in neither set below).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any, Final

FORBIDDEN: Final = HTTPStatus.FORBIDDEN
NOT_FOUND: Final = HTTPStatus.NOT_FOUND
CONFLICT: Final = HTTPStatus.CONFLICT
INVALID: Final = HTTPStatus.UNPROCESSABLE_ENTITY

CONTRACT_ERROR_STATUS: Final[dict[str, HTTPStatus]] = {
    # Membership
    "MembershipAlreadyVoted": CONFLICT,
    "MembershipFoundingClosed": CONFLICT,
    "MembershipInvalidAccount": INVALID,
    "MembershipInvalidKind": INVALID,
    "MembershipInvalidProposalState": CONFLICT,
    "MembershipInvalidStatus": CONFLICT,
    "MembershipLastActiveBank": CONFLICT,
    "MembershipNotSponsor": FORBIDDEN,
    "MembershipUnauthorized": FORBIDDEN,
    # TradeOrders
    "TradeOrdersAlreadyConsented": CONFLICT,
    "TradeOrdersCoveredByUndertaking": CONFLICT,
    "TradeOrdersInvalidAmount": INVALID,
    "TradeOrdersInvalidCounterparty": INVALID,
    "TradeOrdersInvalidCurrency": INVALID,
    "TradeOrdersInvalidDates": INVALID,
    "TradeOrdersInvalidState": CONFLICT,
    "TradeOrdersNotOpenAccount": CONFLICT,
    "TradeOrdersNotParty": FORBIDDEN,
    "TradeOrdersPaymentNotDue": CONFLICT,
    "TradeOrdersShipmentLate": CONFLICT,
    "TradeOrdersUnauthorized": FORBIDDEN,
    # LetterOfCredit
    "LetterOfCreditAmendmentAlreadyAdvised": CONFLICT,
    "LetterOfCreditAmendmentBelowUtilisation": INVALID,
    "LetterOfCreditAvailabilityInUse": CONFLICT,
    "LetterOfCreditAmendmentConfirmationDecided": CONFLICT,
    "LetterOfCreditConsentAlreadyGiven": CONFLICT,
    "LetterOfCreditDeadlineNotPassed": CONFLICT,
    "LetterOfCreditDrawingExceedsAvailable": INVALID,
    "LetterOfCreditEmptyTermsHash": INVALID,
    "LetterOfCreditInvalidAmendmentState": CONFLICT,
    "LetterOfCreditInvalidAmount": INVALID,
    "LetterOfCreditInvalidAssignedShare": INVALID,
    "LetterOfCreditInvalidAssignee": INVALID,
    "LetterOfCreditInvalidClaimState": CONFLICT,
    "LetterOfCreditInvalidCurrency": INVALID,
    "LetterOfCreditInvalidDeferredState": CONFLICT,
    "LetterOfCreditInvalidDiscount": INVALID,
    "LetterOfCreditInvalidDiscrepancyCount": INVALID,
    "LetterOfCreditInvalidDisposition": INVALID,
    "LetterOfCreditInvalidDocumentCount": INVALID,
    "LetterOfCreditInvalidExpiry": INVALID,
    "LetterOfCreditInvalidInterbankClaimState": CONFLICT,
    "LetterOfCreditInvalidLatestShipment": INVALID,
    "LetterOfCreditInvalidParty": INVALID,
    "LetterOfCreditInvalidPresentationPeriod": INVALID,
    "LetterOfCreditInvalidPresentationState": CONFLICT,
    "LetterOfCreditInvalidSecondBeneficiary": INVALID,
    "LetterOfCreditInvalidState": CONFLICT,
    "LetterOfCreditInvalidTenor": INVALID,
    "LetterOfCreditInvalidTolerance": INVALID,
    "LetterOfCreditInvalidTransferState": CONFLICT,
    "LetterOfCreditInvalidTransferredPresentationState": CONFLICT,
    "LetterOfCreditInvalidTransition": CONFLICT,
    "LetterOfCreditMatured": CONFLICT,
    "LetterOfCreditNotAParty": FORBIDDEN,
    "LetterOfCreditNotActiveMember": FORBIDDEN,
    "LetterOfCreditNotClaimDebtor": FORBIDDEN,
    "LetterOfCreditNotExpired": CONFLICT,
    "LetterOfCreditNoDefault": CONFLICT,
    "LetterOfCreditNotMatured": CONFLICT,
    "LetterOfCreditNotOperative": CONFLICT,
    "LetterOfCreditNotTransferable": CONFLICT,
    "LetterOfCreditOpenPresentations": CONFLICT,
    "LetterOfCreditPartialDrawingProhibited": INVALID,
    "LetterOfCreditPrecluded": CONFLICT,
    "LetterOfCreditPresentationAfterExpiry": CONFLICT,
    "LetterOfCreditPresentationPeriodElapsed": CONFLICT,
    "LetterOfCreditProceedsAlreadyAssigned": CONFLICT,
    "LetterOfCreditRecordNotPresentable": INVALID,
    "LetterOfCreditShipmentDateInFuture": INVALID,
    "LetterOfCreditSubstitutedAmountTooLow": INVALID,
    "LetterOfCreditSubstitutionDeadlineNotPassed": CONFLICT,
    "LetterOfCreditTransferTermsNotReduced": INVALID,
    "LetterOfCreditTransferToSeveralProhibited": CONFLICT,
    "LetterOfCreditTransferredDocumentsMismatch": INVALID,
    "LetterOfCreditTransferredDrawingExceedsAvailable": INVALID,
    "LetterOfCreditTransferredPresentationLate": CONFLICT,
    "LetterOfCreditUnauthorizedParty": FORBIDDEN,
    "LetterOfCreditUnknown": NOT_FOUND,
    "LetterOfCreditUnknownAmendment": NOT_FOUND,
    "LetterOfCreditUnknownClaim": NOT_FOUND,
    "LetterOfCreditUnknownPresentation": NOT_FOUND,
    "LetterOfCreditUnknownTransfer": NOT_FOUND,
    "LetterOfCreditUnknownTransferredPresentation": NOT_FOUND,
    "LetterOfCreditWaiverNotPossible": CONFLICT,
    "LetterOfCreditZeroHash": INVALID,
    # Undertakings
    "UndertakingsAmendmentBelowUtilisation": INVALID,
    "UndertakingsDemandAfterExpiry": CONFLICT,
    "UndertakingsDemandExceedsAvailable": INVALID,
    "UndertakingsDemandUnsupported": INVALID,
    "UndertakingsEmptyTermsHash": INVALID,
    "UndertakingsExtensionDue": CONFLICT,
    "UndertakingsExtensionNotDue": CONFLICT,
    "UndertakingsInvalidAmendmentFields": INVALID,
    "UndertakingsInvalidAmendmentState": CONFLICT,
    "UndertakingsInvalidAmount": INVALID,
    "UndertakingsInvalidAutoExtension": INVALID,
    "UndertakingsInvalidClaimState": CONFLICT,
    "UndertakingsInvalidCounterGuarantee": INVALID,
    "UndertakingsInvalidCurrency": INVALID,
    "UndertakingsInvalidDemandState": CONFLICT,
    "UndertakingsInvalidExaminationPeriod": INVALID,
    "UndertakingsInvalidExpiry": INVALID,
    "UndertakingsInvalidExtension": INVALID,
    "UndertakingsInvalidHashes": INVALID,
    "UndertakingsInvalidParty": INVALID,
    "UndertakingsInvalidReductionSchedule": INVALID,
    "UndertakingsInvalidRelayedDemand": INVALID,
    "UndertakingsInvalidState": CONFLICT,
    "UndertakingsInvalidSuspension": INVALID,
    "UndertakingsInvalidTransition": CONFLICT,
    "UndertakingsNonExtensionAlreadyNoticed": CONFLICT,
    "UndertakingsNonExtensionNoticeLate": CONFLICT,
    "UndertakingsNotACounterGuarantee": CONFLICT,
    "UndertakingsNotAParty": FORBIDDEN,
    "UndertakingsNotActiveMember": FORBIDDEN,
    "UndertakingsNotClaimDebtor": FORBIDDEN,
    "UndertakingsNotExpired": CONFLICT,
    "UndertakingsNotExtendOrPay": CONFLICT,
    "UndertakingsNotOperative": CONFLICT,
    "UndertakingsNotProvided": CONFLICT,
    "UndertakingsOpenDemands": CONFLICT,
    "UndertakingsPaymentNotYetDue": CONFLICT,
    "UndertakingsPrecluded": CONFLICT,
    "UndertakingsReductionExceedsAvailable": INVALID,
    "UndertakingsReductionNotDue": CONFLICT,
    "UndertakingsUnauthorizedParty": FORBIDDEN,
    "UndertakingsUnknown": NOT_FOUND,
    "UndertakingsUnknownAmendment": NOT_FOUND,
    "UndertakingsUnknownClaim": NOT_FOUND,
    "UndertakingsUnknownDemand": NOT_FOUND,
    # Invoices
    "InvoicesInvalidInvoice": INVALID,
    "InvoicesInvalidOrder": INVALID,
    "InvoicesInvalidReport": INVALID,
    "InvoicesInvalidState": CONFLICT,
    "InvoicesNotParty": FORBIDDEN,
    "InvoicesUnauthorized": FORBIDDEN,
    # PaymentUndertakings
    "PaymentUndertakingsAcceptanceTooLate": CONFLICT,
    "PaymentUndertakingsDataNotMatched": CONFLICT,
    "PaymentUndertakingsInvalidFinancing": INVALID,
    "PaymentUndertakingsInvalidMismatch": INVALID,
    "PaymentUndertakingsInvalidOrder": INVALID,
    "PaymentUndertakingsInvalidRecipient": INVALID,
    "PaymentUndertakingsInvalidState": CONFLICT,
    "PaymentUndertakingsInvalidTerms": INVALID,
    "PaymentUndertakingsNoAmendmentToConsent": CONFLICT,
    "PaymentUndertakingsNotDue": CONFLICT,
    "PaymentUndertakingsNotExpired": CONFLICT,
    "PaymentUndertakingsUnauthorized": FORBIDDEN,
    # PayablesFinance
    "PayablesFinanceDiscountMismatch": INVALID,
    "PayablesFinanceInvalidDocument": INVALID,
    "PayablesFinanceInvalidInvoice": INVALID,
    "PayablesFinanceInvalidRate": INVALID,
    "PayablesFinanceInvalidState": CONFLICT,
    "PayablesFinanceInvalidTerms": INVALID,
    "PayablesFinanceNotDue": CONFLICT,
    "PayablesFinanceUnauthorized": FORBIDDEN,
    # DocumentRegistry
    "DocumentRegistryAlreadyFinanced": CONFLICT,
    "DocumentRegistryExceedsFaceValue": INVALID,
    "DocumentRegistryExceedsOutstanding": INVALID,
    "DocumentRegistryInvalidAccount": INVALID,
    "DocumentRegistryInvalidAmount": INVALID,
    "DocumentRegistryInvalidCurrency": INVALID,
    "DocumentRegistryInvalidFingerprints": INVALID,
    "DocumentRegistryInvalidLcKey": INVALID,
    "DocumentRegistryInvalidRecordState": CONFLICT,
    "DocumentRegistryInvalidState": CONFLICT,
    "DocumentRegistryNotFinancier": FORBIDDEN,
    "DocumentRegistryNotOwner": FORBIDDEN,
    "DocumentRegistryUnauthorized": FORBIDDEN,
    "DocumentRegistryUnknownRecord": NOT_FOUND,
    # TransferableRecords
    "TransferableRecordsDuplicateDocument": CONFLICT,
    "TransferableRecordsEndorsementRequired": CONFLICT,
    "TransferableRecordsEscrowMismatch": CONFLICT,
    "TransferableRecordsInvalidDocumentHash": INVALID,
    "TransferableRecordsInvalidParty": INVALID,
    "TransferableRecordsInvalidSecurityKey": INVALID,
    "TransferableRecordsInvalidState": CONFLICT,
    "TransferableRecordsNotController": FORBIDDEN,
    "TransferableRecordsNotIssuer": FORBIDDEN,
    "TransferableRecordsNotOrderDocument": CONFLICT,
    "TransferableRecordsUnauthorized": FORBIDDEN,
    # Settlement
    "SettlementInsufficientBalance": CONFLICT,
    "SettlementInvalidAccount": INVALID,
    "SettlementInvalidAmount": INVALID,
    "SettlementInvalidCurrency": INVALID,
    "SettlementInvalidPaymentState": CONFLICT,
    "SettlementNotPayee": FORBIDDEN,
    "SettlementUnauthorized": FORBIDDEN,
    "SettlementUnauthorizedIssuer": FORBIDDEN,
    # ReconciliationAnchor
    "ReconciliationAnchorAlreadyAnchored": CONFLICT,
    "ReconciliationAnchorInvalidCounterparty": INVALID,
    "ReconciliationAnchorInvalidCurrency": INVALID,
    "ReconciliationAnchorInvalidHash": INVALID,
    "ReconciliationAnchorInvalidPeriod": INVALID,
    "ReconciliationAnchorUnauthorized": FORBIDDEN,
    "ReconciliationAnchorUnknownAnchor": NOT_FOUND,
    # BankingCalendar
    "BankingCalendarHolidayInPast": INVALID,
    "BankingCalendarInvalidHolidayCount": INVALID,
    "BankingCalendarNotActiveBank": FORBIDDEN,
    # OpenZeppelin (inherited by the contracts above)
    "AccessControlBadConfirmation": INVALID,
    "AccessControlEnforcedDefaultAdminDelay": CONFLICT,
    "AccessControlEnforcedDefaultAdminRules": INVALID,
    "AccessControlInvalidDefaultAdmin": INVALID,
    "AccessControlUnauthorizedAccount": FORBIDDEN,
    "ReentrancyGuardReentrantCall": CONFLICT,
    "SafeCastOverflowedUintDowncast": INVALID,
}


# The contracts compare days as day numbers (`block.timestamp / 1 days`: days since 1970-01-01 UTC) and other moments
# as unix seconds; a person reads neither, so the detail shows the date, or the UTC time, they stand for. Zero means
# none (no due date, not matched, no step left).
DAY_ARGUMENTS: Final = frozenset({
    "day", "lastDay", "lastNoticeDay", "maturityDay", "nextDay", "presentationDay", "today",
})  # fmt: skip
TIME_ARGUMENTS: Final = frozenset({
    "deadline", "dueDate", "expiry", "extendTo", "finalExpiry", "issueDate", "latest", "latestShipment", "matchedAt",
    "maturity", "now_", "nowTs", "periodEnd", "periodStart", "schedule", "shipmentDate", "timestamp", "until",
})  # fmt: skip
_EPOCH: Final = date(1970, 1, 1)
_LAST_DAY: Final = (date.max - _EPOCH).days
_LAST_SECOND: Final = int(datetime.max.replace(tzinfo=UTC).timestamp())


def contract_error_argument(name: str, value: Any) -> str:
    """One argument of a contract error as the detail shows it: a day or a time as a date, anything else as is."""
    if isinstance(value, int) and 0 < value <= _LAST_DAY and name in DAY_ARGUMENTS:
        return (_EPOCH + timedelta(days=value)).isoformat()
    if isinstance(value, int) and 0 < value <= _LAST_SECOND and name in TIME_ARGUMENTS:
        return f"{datetime.fromtimestamp(value, UTC):%Y-%m-%d %H:%M:%S} UTC"
    if value == 0 and name in DAY_ARGUMENTS | TIME_ARGUMENTS:
        return "none"
    return str(value)


def contract_error_detail(contract: str, error: str, arguments: dict[str, Any]) -> str:
    """The problem detail of a refused call: the contract, its error and the arguments it reverted with."""
    rendered = ", ".join(f"{name}={contract_error_argument(name, value)}" for name, value in arguments.items())
    return f"{contract} refused: {error}({rendered})"


def contract_error_code(error: str) -> str:
    """The stable machine-readable code of a custom error: its name in snake case."""
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(error))
