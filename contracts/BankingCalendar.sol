// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IBankingCalendar} from "./interfaces/IBankingCalendar.sol";
import {IMembership} from "./interfaces/IMembership.sol";

/**
 * @title BankingCalendar
 * @notice The banks' banking days; see {IBankingCalendar}. Split out of LetterOfCredit so that every undertaking
 * (credits, guarantees) counts its examination periods on one calendar.
 * @dev `(day + 4) % 7` is 0 on Sunday and 6 on Saturday. Scans are bounded by MAX_CALENDAR_SCAN_DAYS: past it
 * every day counts as a banking day (bounds gas whatever a bank registers).
 */
contract BankingCalendar is IBankingCalendar {
    /// @notice Most dates in one holiday update.
    uint256 public constant MAX_HOLIDAYS_PER_CALL = 64;
    /// @notice Banking days following the day of presentation allowed for examination (UCP 600 Art 14b).
    uint64 public constant EXAMINATION_BANKING_DAYS = 5;
    /// @notice Calendar days scanned for banking days.
    uint64 public constant MAX_CALENDAR_SCAN_DAYS = 60;

    uint64 private constant _DAY = 86_400;

    IMembership private immutable _membership;

    mapping(address bank => mapping(uint64 day => bool)) private _holidays;

    /// @param membership_ The consortium registry (only active banks keep a calendar).
    constructor(IMembership membership_) {
        _membership = membership_;
    }

    /// @inheritdoc IBankingCalendar
    function setHolidays(uint64[] calldata dates, bool closed) external {
        if (!_membership.isActiveMember(msg.sender, IMembership.MemberKind.BANK)) {
            revert BankingCalendarNotActiveBank(msg.sender);
        }
        uint256 count = dates.length;
        if (count == 0 || count > MAX_HOLIDAYS_PER_CALL) {
            revert BankingCalendarInvalidHolidayCount(count, MAX_HOLIDAYS_PER_CALL);
        }
        uint64 today = uint64(block.timestamp / _DAY);
        for (uint256 i = 0; i < count; ++i) {
            uint64 day = dates[i] / _DAY;
            if (day < today) revert BankingCalendarHolidayInPast(day, today);
            _holidays[msg.sender][day] = closed;
            emit HolidayUpdated(msg.sender, day, closed);
        }
    }

    /// @notice The Membership registry this calendar asks.
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @inheritdoc IBankingCalendar
    function isHoliday(address bank, uint64 day) external view returns (bool) {
        return _holidays[bank][day];
    }

    /// @inheritdoc IBankingCalendar
    function isBankingDay(address bank, uint64 day) external view returns (bool) {
        return _isBankingDay(bank, day);
    }

    /// @inheritdoc IBankingCalendar
    function nextBankingDay(address bank, uint64 day) external view returns (uint64) {
        for (uint64 i = 0; i < MAX_CALENDAR_SCAN_DAYS; ++i) {
            if (_isBankingDay(bank, day + i)) return day + i;
        }
        return day + MAX_CALENDAR_SCAN_DAYS;
    }

    /// @inheritdoc IBankingCalendar
    function examinationDeadline(address bank, uint64 day) external view returns (uint64) {
        uint64 counted = 0;
        for (uint64 i = 0; i < MAX_CALENDAR_SCAN_DAYS && counted < EXAMINATION_BANKING_DAYS; ++i) {
            ++day;
            if (_isBankingDay(bank, day)) ++counted;
        }
        day += EXAMINATION_BANKING_DAYS - counted; // only if the scan ran out: remaining days count as banking days
        return (day + 1) * _DAY - 1;
    }

    function _isBankingDay(address bank, uint64 day) private view returns (bool) {
        // calendar arithmetic on a UTC day number (0 Sunday ... 6 Saturday), not a source of randomness
        // slither-disable-next-line weak-prng
        uint64 weekday = (day + 4) % 7;
        return weekday != 0 && weekday != 6 && !_holidays[bank][day];
    }
}
