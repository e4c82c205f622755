"""Hypothesis stateful tests (checklist A7, A9): rule-based machines drive the real contracts on the dev chain
against a pure Python model, and check the invariants after every step.

Each example starts from the world's base state (evm_revert), so examples are independent and cheap.
Expected failures are checked with eth_call against the predicted custom error; successes are mined.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.contracts.helpers import (
    BANKS,
    EUR,
    LETTER_OF_CREDIT,
    OPEN_ACCOUNT,
    ORDER_STATES,
    USD,
    RpcError,
    World,
    account,
)

EXAMPLES = settings(
    max_examples=200,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
DAY = 24 * 3600
HOLDERS = ("bank", "another_bank", "sponsor_bank", "suspended_bank", "trader", "another_trader", "suspended_trader")
ISSUER = {
    "bank": "agent",
    "another_bank": "agent",
    "sponsor_bank": "agent",
    "suspended_bank": "agent",
    "trader": "sponsor_bank",
    "suspended_trader": "sponsor_bank",
    "another_trader": "bank",
}
ACTIVE_HOLDERS = ("bank", "another_bank", "sponsor_bank", "trader", "another_trader")
CURRENCIES = (USD, EUR)


REACHED: Counter[str] = Counter()


def reached(outcome: str) -> None:
    """Count an interesting outcome, so that tests can assert the machines got deep enough."""
    REACHED[outcome] += 1


def run(world: World, machine: type[RuleBasedStateMachine]) -> Counter[str]:
    """Run a machine for `EXAMPLES`; returns how often each interesting outcome was reached."""
    REACHED.clear()

    def factory() -> RuleBasedStateMachine:
        world.reset()
        instance = machine()
        instance.world = world  # type: ignore[attr-defined]
        instance.setup()  # type: ignore[attr-defined]
        return instance

    run_state_machine_as_test(factory, settings=EXAMPLES)
    return Counter(REACHED)


def batch_calls(world: World, calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[Any]:
    """Many view calls in one JSON-RPC batch."""
    results = world.chain.batch([("eth_call", [world[c].call_params(f, a), "latest"]) for c, f, a in calls])
    decoded = []
    for (contract, function, _), result in zip(calls, results, strict=True):
        if isinstance(result, RpcError):
            raise result
        decoded.append(world[contract].codec.decode_output(function, bytes.fromhex(result[2:])))
    return decoded


def expect_error(world: World, actor: str, contract: str, function: str, args: tuple[Any, ...], *names: str) -> None:
    error = world.error(actor, contract, function, *args)
    assert error is not None, f"{contract}.{function}{args} by {actor} succeeded; expected {names}"
    assert error.name in names, f"{contract}.{function} by {actor}: {error}, expected {names}"


class LedgerModel:
    """Balances and totals as the world left them, then moved by the machines' rules."""

    def __init__(self, world: World) -> None:
        self.world = world
        keys = [(h, c) for h in HOLDERS for c in CURRENCIES]
        values = batch_calls(
            world,
            [("Settlement", "balanceOf", (account(h).address, c)) for h, c in keys]
            + [("Settlement", f, (c,)) for c in CURRENCIES for f in ("totalIssued", "totalRedeemed")]
            + [("Settlement", "lastEntryId", ())],
        )
        self.balances = dict(zip(keys, values[: len(keys)], strict=True))
        rest = values[len(keys) :]
        self.issued = {USD: rest[0], EUR: rest[2]}
        self.redeemed = {USD: rest[1], EUR: rest[3]}
        self.last_entry = rest[4]

    def move(self, debit: str | None, credit: str | None, currency: bytes, amount: int) -> None:
        if debit is None:
            self.issued[currency] += amount
        else:
            assert self.balances[(debit, currency)] >= amount
            self.balances[(debit, currency)] -= amount
        if credit is None:
            self.redeemed[currency] += amount
        else:
            self.balances[(credit, currency)] += amount
        self.last_entry += 1

    def check(self) -> None:
        keys = list(self.balances)
        values = batch_calls(
            self.world,
            [("Settlement", "balanceOf", (account(h).address, c)) for h, c in keys]
            + [("Settlement", f, (c,)) for c in CURRENCIES for f in ("totalIssued", "totalRedeemed")]
            + [("Settlement", "lastEntryId", ())],
        )
        balances = dict(zip(keys, values[: len(keys)], strict=True))
        issued = {USD: values[len(keys)], EUR: values[len(keys) + 2]}
        redeemed = {USD: values[len(keys) + 1], EUR: values[len(keys) + 3]}
        for currency in CURRENCIES:
            total = sum(v for (_, c), v in balances.items() if c == currency)
            assert total == issued[currency] - redeemed[currency], f"conservation broken for {currency!r}"
        assert balances == self.balances
        assert issued == self.issued and redeemed == self.redeemed
        assert values[-1] == self.last_entry, "entry ids are not gapless"


def _amount(balance: int, mode: str, seed: int) -> int:
    if mode == "all":
        return balance
    if mode == "over":
        return balance + 1
    return max(1, seed % max(balance, 1))


AMOUNT_MODE = st.sampled_from(["part", "part", "all", "over"])


# ------------------------------------------------------------------------------------------------ ledger


class LedgerMachine(RuleBasedStateMachine):
    world: World

    def setup(self) -> None:
        self.ledger = LedgerModel(self.world)

    @rule(holder=st.sampled_from(HOLDERS), currency=st.sampled_from(CURRENCIES), amount=st.integers(1, 10**15))
    def issue(self, holder: str, currency: bytes, amount: int) -> None:
        args = (account(holder).address, currency, amount, self.world.unique())
        if holder.startswith("suspended"):
            expect_error(self.world, ISSUER[holder], "Settlement", "issue", args, "SettlementInvalidAccount")
            return
        self.world.tx(ISSUER[holder], "Settlement", "issue", *args)
        self.ledger.move(None, holder, currency, amount)

    @rule(
        holder=st.sampled_from(HOLDERS),
        currency=st.sampled_from(CURRENCIES),
        mode=AMOUNT_MODE,
        seed=st.integers(0, 2**64),
    )
    def redeem(self, holder: str, currency: bytes, mode: str, seed: int) -> None:
        balance = self.ledger.balances[(holder, currency)]
        amount = _amount(balance, mode, seed)
        args = (account(holder).address, currency, amount, self.world.unique())
        if amount > balance or amount == 0:
            names = ("SettlementInsufficientBalance", "SettlementInvalidAmount")
            expect_error(self.world, ISSUER[holder], "Settlement", "redeem", args, *names)
            return
        self.world.tx(ISSUER[holder], "Settlement", "redeem", *args)
        self.ledger.move(holder, None, currency, amount)

    @rule(
        sender=st.sampled_from(HOLDERS),
        receiver=st.sampled_from(HOLDERS),
        currency=st.sampled_from(CURRENCIES),
        mode=AMOUNT_MODE,
        seed=st.integers(0, 2**64),
    )
    def transfer(self, sender: str, receiver: str, currency: bytes, mode: str, seed: int) -> None:
        balance = self.ledger.balances[(sender, currency)]
        amount = _amount(balance, mode, seed)
        args = (account(receiver).address, currency, amount, self.world.unique())
        if sender not in ACTIVE_HOLDERS:
            expect_error(self.world, sender, "Settlement", "transfer", args, "SettlementUnauthorized")
        elif receiver not in ACTIVE_HOLDERS or receiver == sender:
            expect_error(self.world, sender, "Settlement", "transfer", args, "SettlementInvalidAccount")
        elif amount > balance or amount == 0:
            names = ("SettlementInsufficientBalance", "SettlementInvalidAmount")
            expect_error(self.world, sender, "Settlement", "transfer", args, *names)
            reached("insufficient balance refused")
        else:
            self.world.tx(sender, "Settlement", "transfer", *args)
            self.ledger.move(sender, receiver, currency, amount)
            reached("transferred")

    @invariant()
    def conservation_and_model(self) -> None:
        self.ledger.check()


# ------------------------------------------------------------------------------------------------ documents

FINGERPRINTS = tuple(bytes([i + 1]) * 32 for i in range(6))
LIVE = st.sampled_from((True, True, True, False))  # mostly act on a document in the state the rule needs
DOCUMENT_OWNERS = ("trader", "another_trader")


@dataclass
class DocModel:
    owner: str
    registrar: str
    fingerprints: tuple[bytes, ...]
    face: int
    state: str = "REGISTERED"
    financier: str | None = None
    financed: int = 0
    outstanding: int = 0


class DocumentMachine(RuleBasedStateMachine):
    world: World

    def setup(self) -> None:
        self.ledger = LedgerModel(self.world)
        self.base_count: int = self.world.call("DocumentRegistry", "documentCount")
        self.docs: dict[int, DocModel] = {}

    def _pick(self, pick: int, live: bool, state: str) -> int:
        """A document id: mostly (`live`) one in `state` if any, otherwise any document."""
        candidates = sorted(i for i, d in self.docs.items() if d.state == state) if live else []
        candidates = candidates or sorted(self.docs)
        return candidates[pick % len(candidates)]

    def _holder_of(self, fingerprint: bytes, excluding: int) -> int | None:
        for doc_id, doc in self.docs.items():
            if doc_id != excluding and doc.state == "FINANCED" and fingerprint in doc.fingerprints:
                return doc_id
        return None

    @rule(
        owner=st.sampled_from(DOCUMENT_OWNERS),
        registrar=st.sampled_from(("owner", "sponsor_bank", "bank")),
        fingerprints=st.lists(st.sampled_from(FINGERPRINTS), min_size=1, max_size=3, unique=True),
        face=st.integers(1, 10**6),
    )
    def register(self, owner: str, registrar: str, fingerprints: list[bytes], face: int) -> None:
        actor = owner if registrar == "owner" else registrar
        receipt = self.world.tx(
            actor, "DocumentRegistry", "registerDocument", account(owner).address, 0, USD, face, fingerprints
        )
        doc_id = receipt.event("DocumentRegistered")["documentId"]
        assert doc_id == self.base_count + len(self.docs) + 1
        self.docs[doc_id] = DocModel(owner, actor, tuple(fingerprints), face)

    @precondition(lambda self: self.docs)
    @rule(pick=st.integers(0, 100), live=LIVE, financier=st.sampled_from(BANKS), share=st.integers(1, 120))
    def finance(self, pick: int, live: bool, financier: str, share: int) -> None:
        doc_id = self._pick(pick, live, "REGISTERED")
        doc = self.docs[doc_id]
        amount = max(1, doc.face * share // 100)
        args = (doc_id, amount, self.world.unique())
        if doc.state != "REGISTERED":
            expect_error(self.world, financier, "DocumentRegistry", "finance", args, "DocumentRegistryInvalidState")
            return
        if amount > doc.face:
            expect_error(self.world, financier, "DocumentRegistry", "finance", args, "DocumentRegistryExceedsFaceValue")
            return
        holders = [h for fp in doc.fingerprints if (h := self._holder_of(fp, doc_id)) is not None]
        if holders:
            error = self.world.error(financier, "DocumentRegistry", "finance", *args)
            assert error is not None and error.name == "DocumentRegistryAlreadyFinanced", error
            fingerprint, prior, prior_financier = error.args
            assert prior == holders[0] and fingerprint in doc.fingerprints
            assert prior_financier == account(self.docs[prior].financier or "").address
            reached("duplicate financing refused")
            return
        self.world.tx(financier, "DocumentRegistry", "finance", *args)
        doc.state, doc.financier, doc.financed, doc.outstanding = "FINANCED", financier, amount, amount
        reached("document financed")
        self.ledger.move(financier, doc.owner, USD, amount)

    @precondition(lambda self: self.docs)
    @rule(
        pick=st.integers(0, 100),
        live=LIVE,
        mode=st.sampled_from(["part", "all", "all", "over"]),
        seed=st.integers(0, 2**64),
    )
    def repay(self, pick: int, live: bool, mode: str, seed: int) -> None:
        doc_id = self._pick(pick, live, "FINANCED")
        doc = self.docs[doc_id]
        amount = _amount(doc.outstanding, mode, seed)
        args = (doc_id, amount, self.world.unique())
        if doc.state != "FINANCED":
            expect_error(self.world, doc.owner, "DocumentRegistry", "repay", args, "DocumentRegistryInvalidState")
        elif amount > doc.outstanding:
            expect_error(self.world, doc.owner, "DocumentRegistry", "repay", args, "DocumentRegistryExceedsOutstanding")
        else:
            self.world.tx(doc.owner, "DocumentRegistry", "repay", *args)
            doc.outstanding -= amount
            if doc.outstanding == 0:
                doc.state = "REPAID"
                reached("document repaid")
            assert doc.financier is not None
            self.ledger.move(doc.owner, doc.financier, USD, amount)

    @precondition(lambda self: self.docs)
    @rule(pick=st.integers(0, 100), live=LIVE, by=st.sampled_from(("owner", "financier", "another_bank")))
    def release(self, pick: int, live: bool, by: str) -> None:
        doc_id = self._pick(pick, live, "FINANCED")
        doc = self.docs[doc_id]
        actor = {"owner": doc.owner, "financier": doc.financier or "sponsor_bank"}.get(by, by)
        financier_releases = doc.state == "FINANCED" and actor == doc.financier
        if financier_releases or (doc.state == "REGISTERED" and actor in (doc.owner, doc.registrar)):
            self.world.tx(actor, "DocumentRegistry", "release", doc_id)
            doc.state = "RELEASED"
        else:
            names = ("DocumentRegistryInvalidState", "DocumentRegistryNotFinancier", "DocumentRegistryNotOwner")
            expect_error(self.world, actor, "DocumentRegistry", "release", (doc_id,), *names)

    @invariant()
    def financing_never_exceeds_face_value_nor_doubles(self) -> None:
        ids = sorted(self.docs)
        values = batch_calls(
            self.world,
            [("DocumentRegistry", "document", (i,)) for i in ids]
            + [("DocumentRegistry", "financedDocumentOf", (fp,)) for fp in FINGERPRINTS],
        )
        documents = dict(zip(ids, values[: len(ids)], strict=True))
        locks = dict(zip(FINGERPRINTS, values[len(ids) :], strict=True))
        states = ("NONE", "REGISTERED", "FINANCED", "REPAID", "RELEASED")
        for doc_id, onchain in documents.items():
            model = self.docs[doc_id]
            assert onchain["financedAmount"] <= onchain["faceValue"]
            assert onchain["outstanding"] <= onchain["financedAmount"]
            assert states[onchain["state"]] == model.state
            assert (onchain["financedAmount"], onchain["outstanding"]) == (model.financed, model.outstanding)
        for fingerprint in FINGERPRINTS:
            open_financings = [
                i
                for i in ids
                if states[documents[i]["state"]] == "FINANCED" and fingerprint in self.docs[i].fingerprints
            ]
            assert len(open_financings) <= 1, f"two open financings of {fingerprint.hex()}"
            assert locks[fingerprint] == (open_financings[0] if open_financings else 0)
        self.ledger.check()


# ------------------------------------------------------------------------------------------------ orders

ORDER_EDGES = {
    ("CREATED", "ACCEPTED"),
    ("CREATED", "REJECTED"),
    ("CREATED", "CANCELLED"),
    ("ACCEPTED", "SHIPPED"),
    ("ACCEPTED", "CANCELLED"),
    ("SHIPPED", "DELIVERED"),
    ("DELIVERED", "PAID"),
}
FINAL = {"REJECTED", "CANCELLED", "PAID"}
ORDER_ACTORS = ("trader", "another_trader", "suspended_trader", "bank")


@dataclass
class OrderModel:
    buyer: str
    seller: str
    terms: int
    latest_shipment: int
    due: int
    amount: int
    state: str = "CREATED"
    consents: set[str] = field(default_factory=set)


class OrderMachine(RuleBasedStateMachine):
    world: World

    def setup(self) -> None:
        self.ledger = LedgerModel(self.world)
        self.base_count: int = self.world.call("TradeOrders", "orderCount")
        self.orders: dict[int, OrderModel] = {}
        self.seen: dict[int, str] = {}

    @rule(
        buyer_is_trader=st.booleans(),
        terms=st.sampled_from((LETTER_OF_CREDIT, OPEN_ACCOUNT)),
        amount=st.integers(1, 2 * 10**9),
        shipment_days=st.integers(1, 20),
        due_days=st.integers(0, 20),
    )
    def create(self, buyer_is_trader: bool, terms: int, amount: int, shipment_days: int, due_days: int) -> None:
        buyer, seller = ("trader", "another_trader") if buyer_is_trader else ("another_trader", "trader")
        now = self.world.chain.timestamp()
        latest = now + shipment_days * DAY
        due = latest + due_days * DAY if terms == OPEN_ACCOUNT else 0
        receipt = self.world.tx(
            buyer,
            "TradeOrders",
            "createOrder",
            account(seller).address,
            amount,
            USD,
            self.world.unique(),
            latest,
            terms,
            due,
        )
        order_id = receipt.event("OrderCreated")["orderId"]
        assert order_id == self.base_count + len(self.orders) + 1
        self.orders[order_id] = OrderModel(buyer, seller, terms, latest, due, amount)

    @rule(days=st.integers(0, 15))
    def time_passes(self, days: int) -> None:
        # whole days plus an hour: chain time never lands within seconds of a date set in whole days
        self.world.chain.increase_time(days * DAY + 3600)

    def _expected(self, order: OrderModel, action: str, actor: str) -> tuple[str | None, str | None]:
        """(error name, next state) that the contract must produce; error None means success."""
        if actor not in ("trader", "another_trader"):
            return "TradeOrdersUnauthorized", None
        now = self.world.chain.timestamp() + 1
        state = order.state
        if action == "cancel":
            if actor not in (order.buyer, order.seller):
                return "TradeOrdersNotParty", None
            if state not in ("CREATED", "ACCEPTED"):
                return "TradeOrdersInvalidState", None
            if actor in order.consents:
                return "TradeOrdersAlreadyConsented", None
            return None, "CANCELLED" if len(order.consents) == 1 else state
        if action == "pay":
            if actor == order.seller:
                if now < order.due:
                    return "TradeOrdersPaymentNotDue", None
            elif actor != order.buyer:
                return "TradeOrdersNotParty", None
            if order.terms != OPEN_ACCOUNT:
                return "TradeOrdersNotOpenAccount", None
            if state != "DELIVERED":
                return "TradeOrdersInvalidState", None
            if self.ledger.balances[(order.buyer, USD)] < order.amount:
                return "SettlementInsufficientBalance", None
            return None, "PAID"
        party, start, end = {
            "accept": (order.seller, "CREATED", "ACCEPTED"),
            "reject": (order.seller, "CREATED", "REJECTED"),
            "ship": (order.seller, "ACCEPTED", "SHIPPED"),
            "deliver": (order.buyer, "SHIPPED", "DELIVERED"),
        }[action]
        if actor != party:
            return "TradeOrdersNotParty", None
        if state != start:
            return "TradeOrdersInvalidState", None
        if action == "ship" and now > order.latest_shipment:
            return "TradeOrdersShipmentLate", None
        return None, end

    @precondition(lambda self: self.orders)
    @rule(
        pick=st.integers(0, 100),
        action=st.sampled_from(("accept", "reject", "ship", "deliver", "pay", "cancel")),
        actor=st.sampled_from(ORDER_ACTORS),
        party_bias=st.integers(0, 3),
    )
    def act(self, pick: int, action: str, actor: str, party_bias: int) -> None:
        order_id = sorted(self.orders)[pick % len(self.orders)]
        order = self.orders[order_id]
        if party_bias:  # mostly let the right party act, so that the happy paths get deep
            actor = order.buyer if action in ("deliver", "pay") else order.seller
            if action == "cancel":
                actor = order.buyer if party_bias == 1 else order.seller
        function, extra = {
            "accept": ("acceptOrder", ()),
            "reject": ("rejectOrder", ()),
            "ship": ("recordShipment", (self.world.unique("bl"),)),
            "deliver": ("confirmDelivery", ()),
            "pay": ("payOrder", ()),
            "cancel": ("requestCancellation", ()),
        }[action]
        args = (order_id, *extra)
        error, next_state = self._expected(order, action, actor)
        if error is not None:
            expect_error(self.world, actor, "TradeOrders", function, args, error)
            return
        self.world.tx(actor, "TradeOrders", function, *args)
        after = ORDER_STATES[self.world.call("TradeOrders", "order", order_id)["state"]]
        if after != order.state:  # every mined call moves along exactly one documented edge
            assert (order.state, after) in ORDER_EDGES, f"order {order_id}: {order.state} -> {after} by {function}"
            assert not (order.terms == LETTER_OF_CREDIT and order.state == "DELIVERED"), "a LC order left DELIVERED"
        if action == "cancel":
            order.consents.add(actor)
        if action == "pay":
            self.ledger.move(order.buyer, order.seller, USD, order.amount)
        assert next_state is not None
        order.state = next_state
        reached(f"order reached {next_state}")

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 100), cancel=st.integers(0, 3), steps=st.integers(1, 4))
    def advance(self, pick: int, cancel: int, steps: int) -> None:
        """The right parties take the order's next `steps` edges (so that deep states are reached)."""
        live = sorted(i for i, o in self.orders.items() if o.state not in FINAL) or sorted(self.orders)
        order_id = live[pick % len(live)]
        order = self.orders[order_id]
        pick = sorted(self.orders).index(order_id)  # `act` picks by position among all orders
        for _ in range(steps):
            if cancel == 0 and order.state in ("CREATED", "ACCEPTED"):
                self.act(pick, "cancel", "trader", 1 if order.buyer not in order.consents else 2)
                continue
            action = {"CREATED": "accept", "ACCEPTED": "ship", "SHIPPED": "deliver", "DELIVERED": "pay"}.get(
                order.state
            )
            if action is None:
                return
            self.act(pick, action, "trader", 1)

    @invariant()
    def states_move_only_along_the_graph(self) -> None:
        ids = sorted(self.orders)
        onchain = batch_calls(self.world, [("TradeOrders", "order", (i,)) for i in ids])
        for order_id, order in zip(ids, onchain, strict=True):
            state = ORDER_STATES[order["state"]]
            previous = self.seen.get(order_id, "CREATED")
            if state != previous:
                assert previous not in FINAL, f"order {order_id} left final state {previous}"
            self.seen[order_id] = state
            assert state == self.orders[order_id].state
        self.ledger.check()


# ------------------------------------------------------------------------------------------------ membership

CANDIDATE_BANKS = ("candidate_bank_1", "candidate_bank_2")
GOVERNANCE_BANKS = ("sponsor_bank", "bank", "another_bank", "suspended_bank", *CANDIDATE_BANKS)
ACTIONS = ("ADMIT_BANK", "SUSPEND_BANK", "REINSTATE_BANK", "REMOVE_BANK", "ADMIT_AUDITOR", "SUSPEND_AUDITOR")
SUBJECTS = (*GOVERNANCE_BANKS, "auditor", "candidate_auditor", "trader")


NEXT_STATUS = {"ADMIT": "ACTIVE", "SUSPEND": "SUSPENDED", "REINSTATE": "ACTIVE", "REMOVE": "REMOVED"}


@dataclass
class ProposalModel:
    action: str
    subject: str
    epoch: int
    voters: set[str]
    executed: bool = False


class MembershipMachine(RuleBasedStateMachine):
    world: World

    def setup(self) -> None:
        self.status = {name: "NONE" for name in SUBJECTS}
        self.kind = {name: "NONE" for name in SUBJECTS}
        for name in ("sponsor_bank", "bank", "another_bank", "suspended_bank"):
            self.kind[name] = "BANK"
            self.status[name] = "ACTIVE"
        self.status["suspended_bank"] = "SUSPENDED"
        self.kind["auditor"], self.status["auditor"] = "AUDITOR", "ACTIVE"
        self.kind["trader"], self.status["trader"] = "TRADER", "ACTIVE"
        self.epoch: int = self.world.call("Membership", "bankSetEpoch")
        self.base_count: int = self.world.call("Membership", "proposalCount")
        self.proposals: dict[int, ProposalModel] = {}
        self.previous_banks = self._active_banks()
        self.majority_change_allowed = False

    def _active_banks(self) -> set[str]:
        return {n for n in SUBJECTS if self.kind[n] == "BANK" and self.status[n] == "ACTIVE"}

    def _action_error(self, action: str, subject: str) -> str | None:
        kind = "BANK" if action.endswith("BANK") else "AUDITOR"
        verb = action.split("_", maxsplit=1)[0]
        if verb == "ADMIT":
            return None if self.status[subject] == "NONE" else "MembershipInvalidStatus"
        if self.kind[subject] != kind:
            return "MembershipInvalidKind"
        wanted = {"SUSPEND": ("ACTIVE",), "REINSTATE": ("SUSPENDED",), "REMOVE": ("ACTIVE", "SUSPENDED")}[verb]
        return None if self.status[subject] in wanted else "MembershipInvalidStatus"

    def _apply(self, action: str, subject: str) -> str | None:
        """Carry out an executed proposal in the model; returns the error the contract raises, if any."""
        error = self._action_error(action, subject)
        if error is not None:
            return error
        verb = action.split("_", maxsplit=1)[0]
        kind = "BANK" if action.endswith("BANK") else "AUDITOR"
        removes_active_bank = verb in ("SUSPEND", "REMOVE") and kind == "BANK" and self.status[subject] == "ACTIVE"
        if removes_active_bank and len(self._active_banks()) == 1:
            return "MembershipLastActiveBank"
        previous = self.status[subject]
        self.kind[subject] = kind
        self.status[subject] = NEXT_STATUS[verb]
        if kind == "BANK" and (previous == "ACTIVE") != (self.status[subject] == "ACTIVE"):
            self.epoch += 1
        return None

    def _tally(self, proposal: ProposalModel, voter: str) -> str | None:
        """Add a vote in the model (on a copy first): error name, or None if the vote must succeed."""
        snapshot = (dict(self.status), dict(self.kind), self.epoch)
        active_before = len(self._active_banks())
        proposal.voters.add(voter)
        if 2 * len(proposal.voters) > active_before:
            error = self._apply(proposal.action, proposal.subject)
            if error is not None:
                proposal.voters.discard(voter)
                self.status, self.kind, self.epoch = snapshot
                return error
            proposal.executed = True
            self.majority_change_allowed = True
            reached(f"executed {proposal.action}")
        return None

    @rule(
        proposer=st.sampled_from(GOVERNANCE_BANKS), action=st.sampled_from(ACTIONS), subject=st.sampled_from(SUBJECTS)
    )
    def propose(self, proposer: str, action: str, subject: str) -> None:
        args = (ACTIONS.index(action), account(subject).address)
        if proposer not in self._active_banks():
            expect_error(self.world, proposer, "Membership", "propose", args, "MembershipUnauthorized")
            return
        error = self._action_error(action, subject)
        if error is not None:
            expect_error(self.world, proposer, "Membership", "propose", args, error)
            return
        proposal = ProposalModel(action, subject, self.epoch, set())
        error = self._tally(proposal, proposer)
        if error is not None:
            expect_error(self.world, proposer, "Membership", "propose", args, error)
            return
        receipt = self.world.tx(proposer, "Membership", "propose", *args)
        proposal_id = receipt.event("ProposalCreated")["proposalId"]
        assert proposal_id == self.base_count + len(self.proposals) + 1
        self.proposals[proposal_id] = proposal

    @precondition(lambda self: self.proposals)
    @rule(pick=st.integers(0, 100), voter=st.sampled_from(GOVERNANCE_BANKS))
    def vote(self, pick: int, voter: str) -> None:
        proposal_id = sorted(self.proposals)[pick % len(self.proposals)]
        proposal = self.proposals[proposal_id]
        if voter not in self._active_banks():
            expect_error(self.world, voter, "Membership", "vote", (proposal_id,), "MembershipUnauthorized")
            return
        if proposal.executed or proposal.epoch != self.epoch:
            expect_error(self.world, voter, "Membership", "vote", (proposal_id,), "MembershipInvalidProposalState")
            return
        if voter in proposal.voters:
            expect_error(self.world, voter, "Membership", "vote", (proposal_id,), "MembershipAlreadyVoted")
            return
        error = self._tally(proposal, voter)
        if error is not None:
            expect_error(self.world, voter, "Membership", "vote", (proposal_id,), error)
            return
        self.world.tx(voter, "Membership", "vote", proposal_id)

    @invariant()
    def only_a_majority_changes_the_bank_set(self) -> None:
        members = batch_calls(self.world, [("Membership", "memberOf", (account(n).address,)) for n in SUBJECTS])
        kinds = ("NONE", "OPERATOR", "BANK", "TRADER", "AUDITOR")
        statuses = ("NONE", "ACTIVE", "SUSPENDED", "REMOVED")
        onchain_banks = set()
        for name, member in zip(SUBJECTS, members, strict=True):
            assert (kinds[member["kind"]], statuses[member["status"]]) == (self.kind[name], self.status[name]), name
            if kinds[member["kind"]] == "BANK" and statuses[member["status"]] == "ACTIVE":
                onchain_banks.add(name)
        if onchain_banks != self.previous_banks:
            assert self.majority_change_allowed, "the bank set changed without a majority vote"
        self.previous_banks = onchain_banks
        self.majority_change_allowed = False
        count, epoch = batch_calls(
            self.world, [("Membership", "activeBankCount", ()), ("Membership", "bankSetEpoch", ())]
        )
        assert count == len(onchain_banks) and epoch == self.epoch


class TestInvariants:
    def test_ledger_conserves_money_per_currency(self, world: World) -> None:
        outcomes = run(world, LedgerMachine)
        assert outcomes["insufficient balance refused"] > 0 and outcomes["transferred"] > 0

    def test_documents_never_overfinanced_nor_financed_twice(self, world: World) -> None:
        outcomes = run(world, DocumentMachine)
        assert outcomes["document financed"] > 0 and outcomes["document repaid"] > 0, outcomes
        assert outcomes["duplicate financing refused"] > 0

    def test_orders_move_only_along_the_documented_graph(self, world: World) -> None:
        outcomes = run(world, OrderMachine)
        for state in ("ACCEPTED", "REJECTED", "SHIPPED", "DELIVERED", "PAID", "CANCELLED"):
            assert outcomes[f"order reached {state}"] > 0, state

    def test_membership_bank_set_changes_only_by_majority(self, world: World) -> None:
        outcomes = run(world, MembershipMachine)
        assert outcomes["executed ADMIT_BANK"] > 0 and outcomes["executed SUSPEND_BANK"] > 0
