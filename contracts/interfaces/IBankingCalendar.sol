// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IBankingCalendar
 * @notice The banks' banking days, shared by every undertaking on the ledger (documentary credits under UCP 600
 * Art 14b/29a/33, and the guarantees beside them): Saturdays and Sundays are not banking days, and each bank
 * registers its own holidays.
 *
 * Dates are UTC day numbers (`timestamp / 86400`); 1970-01-01 (day 0) was a Thursday.
 */
interface IBankingCalendar {
    /// @notice A bank registered (`closed` true) or removed one of its own holidays (UTC day number).
    event HolidayUpdated(address indexed bank, uint64 indexed day, bool closed);

    /// @notice `account` is not an active BANK member.
    error BankingCalendarNotActiveBank(address account);

    /// @notice A holiday update lists between 1 and `maximum` dates.
    error BankingCalendarInvalidHolidayCount(uint256 count, uint256 maximum);

    /// @notice A holiday can only be registered or removed for today or a later day.
    error BankingCalendarHolidayInPast(uint64 day, uint64 today);

    /**
     * @notice Register (`closed` true) or remove the caller's own holidays (an active BANK). Dates are unix
     * seconds; only their UTC day counts. Affects deadlines computed from now on.
     */
    function setHolidays(uint64[] calldata dates, bool closed) external;

    /// @notice Whether `bank` registered `day` (UTC day number) as a holiday.
    function isHoliday(address bank, uint64 day) external view returns (bool);

    /// @notice Whether `day` is a banking day of `bank`: not Saturday, not Sunday, not a registered holiday.
    function isBankingDay(address bank, uint64 day) external view returns (bool);

    /// @notice `day` itself if it is a banking day of `bank`, else the next one (Art 29a, Art 33; bounded scan).
    function nextBankingDay(address bank, uint64 day) external view returns (uint64);

    /// @notice The end (last second, UTC) of the 5th banking day of `bank` following `day` (Art 14b).
    function examinationDeadline(address bank, uint64 day) external view returns (uint64);
}
