"""Pre-flight of contract calls: a refused call becomes a named error before it takes a nonce, and every call
gets a gas limit it is known to fit in.

`eth_estimateGas` searches for the least gas a call needs: several executions on the node (measured on anvil,
a batch of 1,000: 288 µs per estimate against 60 µs per `eth_call`), more than the node spends mining the
transaction itself. So the estimate is learned once per call shape (contract, function, calldata size), and
a call of a known shape is checked by one `eth_call` with exactly that much gas. If it succeeds, the call
needs no more than the learned estimate and gets the same headroom an estimate of its own would give it. If
it fails (a revert, or more gas needed), the call gets an estimate of its own: that decodes the revert into
the contract's named error, or raises the learned figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tradeledger.chain.abi import decode_any_error, standard_revert_reason
from tradeledger.chain.rpc import Call, JsonRpc, RpcError
from tradeledger.errors import ContractRefusedError, ContractRevertError, TradeLedgerError

if TYPE_CHECKING:  # the transaction manager imports this module
    from tradeledger.chain.txmanager import ContractCall

GAS_HEADROOM_PERCENT = 25  # state may change between the pre-flight and the block
GAS_HEADROOM_FIXED = 20_000
MAX_SHAPES = 4096  # learned estimates kept; forgetting them only costs fresh estimates

Shape = tuple[str, bytes, int]


def with_headroom(gas: int) -> int:
    return gas + gas * GAS_HEADROOM_PERCENT // 100 + GAS_HEADROOM_FIXED


def revert_error(contract: str, error: RpcError) -> TradeLedgerError:
    """The named custom error of a refused call, whichever of our contracts raised it (the one called, or one it
    called: its error bubbles up), else its revert reason."""
    data = error.revert_data or b""
    decoded = decode_any_error(contract, data)
    if decoded is not None:
        return ContractRevertError(*decoded)
    reason = standard_revert_reason(data) or error.message
    return ContractRefusedError(f"{contract} refused the call: {reason}")


def _request(call: ContractCall, calldata: bytes) -> dict[str, Any]:
    return {"from": call.signer, "to": call.address, "data": "0x" + calldata.hex()}


def _estimate(call: ContractCall, calldata: bytes) -> Call:
    return "eth_estimateGas", [_request(call, calldata)]


def _check(call: ContractCall, calldata: bytes, gas: int) -> Call:
    return "eth_call", [{**_request(call, calldata), "gas": hex(gas)}, "latest"]


class Preflight:
    """Checks calls against the chain's latest state, in one JSON-RPC batch per group of calls."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc
        self._learned: dict[Shape, int] = {}

    def gas_limits(self, calls: Sequence[tuple[ContractCall, bytes]]) -> list[int | TradeLedgerError]:
        """Per call, its gas limit or the named error it would revert with.

        One batch: estimates for calls of unknown shapes, `eth_call` checks for the rest; a second batch
        estimates the checks that failed. Raises ChainUnavailableError if the node cannot be reached.
        """
        shapes = [(call.address.lower(), calldata[:4], len(calldata)) for call, calldata in calls]
        learned = [self._learned.get(shape) for shape in shapes]
        first = self.rpc.batch(
            [
                _estimate(call, calldata) if gas is None else _check(call, calldata, gas)
                for (call, calldata), gas in zip(calls, learned, strict=True)
            ]
        )
        outcome: list[int | TradeLedgerError] = []
        failed_checks: list[int] = []
        for index, (result, gas) in enumerate(zip(first, learned, strict=True)):
            if gas is None:
                outcome.append(self._estimated(calls[index][0], shapes[index], result))
            elif isinstance(result, RpcError):
                outcome.append(0)  # replaced below by the call's own estimate
                failed_checks.append(index)
            else:
                outcome.append(with_headroom(gas))
        if failed_checks:
            estimates = self.rpc.batch([_estimate(*calls[index]) for index in failed_checks])
            for index, result in zip(failed_checks, estimates, strict=True):
                outcome[index] = self._estimated(calls[index][0], shapes[index], result)
        return outcome

    def _estimated(self, call: ContractCall, shape: Shape, result: Any) -> int | TradeLedgerError:
        if isinstance(result, RpcError):
            return revert_error(call.contract, result)
        gas = int(result, 16)
        if len(self._learned) >= MAX_SHAPES:
            self._learned.clear()
        # the largest estimate seen: a check at too much gas only wastes gas, which is free on these chains
        self._learned[shape] = max(gas, self._learned.get(shape, 0))
        return with_headroom(gas)
