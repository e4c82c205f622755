// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title CurrencyCode: validation of ISO 4217 alphabetic codes held as bytes3
library CurrencyCode {
    /// @notice Whether `code` is three upper-case ASCII letters (e.g. "USD").
    function isValid(bytes3 code) internal pure returns (bool) {
        for (uint256 i = 0; i < 3; ++i) {
            bytes1 letter = code[i];
            if (letter < 0x41 || letter > 0x5A) return false;
        }
        return true;
    }
}
