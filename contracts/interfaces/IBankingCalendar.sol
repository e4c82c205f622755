// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IBankingCalendar
 * @notice The consortium's banking calendar as other contracts read it: which UTC days (day = timestamp / 86400)
 * a bank is open on, and the end of the fifth banking day following a day of presentation.
 * @dev Today LetterOfCredit implements these two functions (see {ILetterOfCredit-isBankingDay} and
 * {ILetterOfCredit-examinationDeadline}); a contract that needs the calendar holds one address of this type,
 * so moving the calendar into a contract of its own rewires a single constructor argument.
 */
interface IBankingCalendar {
    /// @notice Whether `day` (UTC day number) is a banking (business) day of `bank`.
    function isBankingDay(address bank, uint64 day) external view returns (bool);

    /// @notice The last second (unix) of the fifth banking day of `bank` following `presentationDay`.
    function examinationDeadline(address bank, uint64 presentationDay) external view returns (uint64);
}
