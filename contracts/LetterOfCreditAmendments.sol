// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILetterOfCredit} from "./interfaces/ILetterOfCredit.sol";
import {CurrencyCode} from "./utils/CurrencyCode.sol";
import {LetterOfCreditDrawings} from "./LetterOfCreditDrawings.sol";

/**
 * @title LetterOfCreditAmendments
 * @notice The terms a credit may have and how an amendment changes them (UCP 600 Art 6b, 10, 14c, 30): the checks
 * shared by the application and by amendments, and the writing of an accepted amendment into the credit's terms.
 * @dev An external library, split out of LetterOfCredit (as {LetterOfCreditDrawings}) to keep it under EIP-170:
 * LetterOfCredit delegate-calls {validateTerms}, {checkAmended} and {applyAmendment}, the last two on its own
 * storage. Errors are {ILetterOfCredit}'s.
 */
library LetterOfCreditAmendments {
    /// @notice Presentation period when the credit states none (Art 14c).
    uint16 internal constant DEFAULT_PRESENTATION_PERIOD_DAYS = 21;
    /// @notice Longest presentation period a credit may state.
    uint16 internal constant MAX_PRESENTATION_PERIOD_DAYS = 366;
    /// @notice Longest deferred payment or acceptance tenor a credit may state (days).
    uint16 internal constant MAX_TENOR_DAYS = 720;

    /// @notice Amendment flag: the amount changes (MT707 32B/33B).
    uint8 internal constant AMEND_AMOUNT = 1;
    /// @notice Amendment flag: the expiry changes (MT707 31E).
    uint8 internal constant AMEND_EXPIRY = 2;
    /// @notice Amendment flag: the latest shipment date changes (MT707 44C).
    uint8 internal constant AMEND_LATEST_SHIPMENT = 4;
    /// @notice Amendment flag: both tolerances change (MT707 39A).
    uint8 internal constant AMEND_TOLERANCE = 8;
    /// @notice Amendment flag: the presentation period changes (MT707 48).
    uint8 internal constant AMEND_PRESENTATION_PERIOD = 16;
    /// @notice Amendment flag: whether partial drawings are allowed changes (MT707 43P).
    uint8 internal constant AMEND_PARTIAL_DRAWINGS = 32;
    /// @notice Amendment flag: how the credit is available changes (MT707 41a, Art 6b).
    uint8 internal constant AMEND_AVAILABILITY = 64;
    /// @notice Amendment flag: the tenor days and what they run from change (MT707 42C / 42P).
    uint8 internal constant AMEND_TENOR = 128;

    /**
     * @notice Reverts unless the credit's terms with `changes` applied are terms a credit may have, and the
     * amendment can apply to the credit as it is drawn: the maximum stays above what is drawn or reserved, and the
     * availability or tenor changes only while no drawing was honoured or is examined under the old ones.
     * @dev Checked when the amendment is issued and again when it is accepted (the credit may be drawn between).
     */
    function checkAmended(
        LetterOfCreditDrawings.Book storage book,
        uint256 lcId,
        ILetterOfCredit.AmendmentTerms memory changes
    ) external view {
        ILetterOfCredit.Credit storage lc = book.credits[lcId];
        uint8 fields = changes.fields;
        ILetterOfCredit.CreditTerms storage t = lc.terms;
        uint256 amount = fields & AMEND_AMOUNT != 0 ? changes.amount : t.amount;
        (uint16 plusBps, uint16 minusBps) = fields & AMEND_TOLERANCE != 0
            ? (changes.tolerancePlusBps, changes.toleranceMinusBps)
            : (t.tolerancePlusBps, t.toleranceMinusBps);
        _validateEconomics(amount, plusBps, minusBps);
        _validateDates(
            fields & AMEND_EXPIRY != 0 ? changes.expiry : t.expiry,
            fields & AMEND_LATEST_SHIPMENT != 0 ? changes.latestShipment : t.latestShipment,
            fields & AMEND_PRESENTATION_PERIOD != 0 ? changes.presentationPeriodDays : t.presentationPeriodDays
        );
        uint256 newMaximum = LetterOfCreditDrawings.maximum(amount, plusBps);
        uint256 utilised = lc.drawn + lc.reserved;
        if (newMaximum < utilised) {
            revert ILetterOfCredit.LetterOfCreditAmendmentBelowUtilisation(lcId, newMaximum, utilised);
        }
        if (fields & (AMEND_AVAILABILITY | AMEND_TENOR) != 0) {
            // Art 6b, 10: drawings keep the availability they were presented under; it cannot change beneath them.
            if (lc.honouredCount != 0 || lc.openPresentationCount != 0) {
                revert ILetterOfCredit.LetterOfCreditAvailabilityInUse(
                    lcId,
                    lc.honouredCount,
                    lc.openPresentationCount
                );
            }
            bool tenor = fields & AMEND_TENOR != 0;
            _validateTenor(
                fields & AMEND_AVAILABILITY != 0 ? changes.availability : t.availability,
                tenor ? changes.tenorDays : t.tenorDays,
                tenor ? changes.tenorBasis : t.tenorBasis
            );
        }
    }

    /// @notice Writes the flagged fields of `changes` into the credit's terms (Art 10: only on acceptance).
    function applyAmendment(
        ILetterOfCredit.CreditTerms storage t,
        ILetterOfCredit.AmendmentTerms memory changes
    ) external {
        uint8 fields = changes.fields;
        if (fields & AMEND_AMOUNT != 0) t.amount = changes.amount;
        if (fields & AMEND_EXPIRY != 0) t.expiry = changes.expiry;
        if (fields & AMEND_LATEST_SHIPMENT != 0) t.latestShipment = changes.latestShipment;
        if (fields & AMEND_TOLERANCE != 0) {
            t.tolerancePlusBps = changes.tolerancePlusBps;
            t.toleranceMinusBps = changes.toleranceMinusBps;
        }
        if (fields & AMEND_PRESENTATION_PERIOD != 0) {
            t.presentationPeriodDays = changes.presentationPeriodDays == 0
                ? DEFAULT_PRESENTATION_PERIOD_DAYS
                : changes.presentationPeriodDays;
        }
        if (fields & AMEND_PARTIAL_DRAWINGS != 0) t.partialDrawingsAllowed = changes.partialDrawingsAllowed;
        if (fields & AMEND_AVAILABILITY != 0) t.availability = changes.availability;
        if (fields & AMEND_TENOR != 0) (t.tenorDays, t.tenorBasis) = (changes.tenorDays, changes.tenorBasis);
    }

    /// @notice Reverts unless `terms` are economic terms a credit may be applied for with: a terms hash, an ISO 4217
    /// currency, and the amounts, dates and tenor checked as for an amendment (parties are checked by the credit).
    function validateTerms(ILetterOfCredit.CreditTerms calldata terms) external view {
        if (terms.termsHash == bytes32(0)) revert ILetterOfCredit.LetterOfCreditEmptyTermsHash();
        if (!CurrencyCode.isValid(terms.currency)) revert ILetterOfCredit.LetterOfCreditInvalidCurrency(terms.currency);
        _validateEconomics(terms.amount, terms.tolerancePlusBps, terms.toleranceMinusBps);
        _validateDates(terms.expiry, terms.latestShipment, terms.presentationPeriodDays);
        _validateTenor(terms.availability, terms.tenorDays, terms.tenorBasis);
    }

    /// @dev A positive amount, and tolerances of at most 100 % (Art 30a).
    function _validateEconomics(uint256 amount, uint16 plusBps, uint16 minusBps) private pure {
        if (amount == 0) revert ILetterOfCredit.LetterOfCreditInvalidAmount(amount);
        uint256 bps = LetterOfCreditDrawings.BPS;
        if (plusBps > bps || minusBps > bps) revert ILetterOfCredit.LetterOfCreditInvalidTolerance(plusBps, minusBps);
    }

    /// @dev An expiry in the future (Art 6d), shipment by the expiry, a bounded presentation period (Art 14c).
    function _validateDates(uint64 expiry, uint64 latestShipment, uint16 presentationPeriodDays) private view {
        if (expiry <= block.timestamp) {
            revert ILetterOfCredit.LetterOfCreditInvalidExpiry(expiry, uint64(block.timestamp));
        }
        if (latestShipment > expiry) revert ILetterOfCredit.LetterOfCreditInvalidLatestShipment(latestShipment, expiry);
        if (presentationPeriodDays > MAX_PRESENTATION_PERIOD_DAYS) {
            revert ILetterOfCredit.LetterOfCreditInvalidPresentationPeriod(
                presentationPeriodDays,
                MAX_PRESENTATION_PERIOD_DAYS
            );
        }
    }

    /// @dev Art 6b: a deferred payment or acceptance credit states its tenor, sight payment takes none, negotiation
    /// either (sight or usance drafts).
    function _validateTenor(
        ILetterOfCredit.Availability availability,
        uint16 tenorDays,
        ILetterOfCredit.TenorBasis basis
    ) private pure {
        bool ok = tenorDays != 0
            ? tenorDays <= MAX_TENOR_DAYS && availability != ILetterOfCredit.Availability.SIGHT_PAYMENT
            : !LetterOfCreditDrawings.isDeferred(availability) && basis == ILetterOfCredit.TenorBasis.PRESENTATION;
        if (!ok) revert ILetterOfCredit.LetterOfCreditInvalidTenor(availability, tenorDays, MAX_TENOR_DAYS);
    }
}
