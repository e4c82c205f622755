"""The one exception root of the service: every error carries a stable machine-readable `code`.

The API maps `http_status` and `code` into RFC 9457 problem+json; the CLI prints the message on one line and
exits non-zero. Subclasses name the category; the message names what is wrong and what to do about it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

from tradeledger.contract_errors import CONTRACT_ERROR_STATUS, contract_error_code, contract_error_detail


class TradeLedgerError(Exception):
    """Root of all expected errors; anything else is a bug."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details


class NotFoundError(TradeLedgerError):
    """No such object, or none the caller may see: both answer alike, so existence is never betrayed."""

    code = "not_found"
    http_status = 404
    title = "Not found"


class ForbiddenError(TradeLedgerError):
    """The caller's role may not do this at all (mirrors the contracts' role checks, before any call)."""

    code = "forbidden"
    http_status = 403
    title = "Forbidden"


class ConfigurationError(TradeLedgerError):
    """A setting is missing or wrong; the message names the setting and the fix."""

    code = "configuration_error"
    http_status = 500
    title = "Configuration error"


class ChainUnavailableError(TradeLedgerError):
    """The chain node cannot be reached; retrying later is safe."""

    code = "chain_unavailable"
    http_status = 503
    title = "Chain node unavailable"


class NotReadyError(TradeLedgerError):
    """The service is up but degraded (stuck signer, indexer behind or halted, node behind the database);
    `details["errors"]` names each problem."""

    code = "not_ready"
    http_status = 503
    title = "Not ready"


class ChainMismatchError(TradeLedgerError):
    """The node is not the chain, or does not hold the contracts, that the deployment manifest describes."""

    code = "chain_mismatch"
    http_status = 503
    title = "Chain does not match the deployment"


class ContractRevertError(TradeLedgerError):
    """A contract refused the call: a decoded custom error, found by the pre-flight before any nonce is spent.

    The code and HTTP status come from the table in `tradeledger.contract_errors`; an error missing there (a
    contract newer than the table, which its test forbids) answers 422 like any other refusal.
    """

    title = "Refused by the contract"

    def __init__(self, contract: str, error: str, arguments: dict[str, Any]) -> None:
        super().__init__(contract_error_detail(contract, error, arguments), code=contract_error_code(error))
        self.contract = contract
        self.error = error
        self.arguments = arguments
        self.http_status = int(CONTRACT_ERROR_STATUS.get(error, HTTPStatus.UNPROCESSABLE_ENTITY))  # type: ignore[misc]


class TransactionRevertedError(TradeLedgerError):
    """The transaction was mined but reverted (receipt status 0): a failed operation, never a success."""

    code = "transaction_reverted"
    http_status = 409
    title = "Transaction reverted"


class TransactionRejectedError(TradeLedgerError):
    """The node rejected the transaction for good; its nonce was gap-filled."""

    code = "transaction_rejected"
    http_status = 502
    title = "Transaction rejected by the node"


class ContractRefusedError(TradeLedgerError):
    """The contract refused the call without one of our custom errors (a plain revert or a panic)."""

    code = "contract_revert"
    http_status = 422
    title = "Refused by the contract"
