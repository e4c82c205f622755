"""Members over HTTP: onboarding with a custodial key and an API key, the directory, governance, role checks."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.conftest import BANK, TRADER, Consortium, problem
from tests.members import OTHER_BANK
from tradeledger.chain.keys import dev_account
from tradeledger.identity.models import IdempotencyRecord


class TestOnboarding:
    def test_bank_onboards_a_trader_who_can_then_act(self, consortium: Consortium) -> None:
        bank = consortium.client("bank")
        response = bank.post(
            "/v1/members/traders", json={"label": "Jade Tea Co."}, headers={"Idempotency-Key": "onb-1"}
        )
        assert response.status_code == 201, response.text
        onboarded = response.json()
        assert onboarded["member"]["kind"] == "TRADER" and onboarded["member"]["sponsor"] == BANK.address
        trader = consortium.client("bank")
        trader.headers["Authorization"] = f"Bearer {onboarded['api_key']}"
        me = trader.get(f"/v1/members/{onboarded['member']['address']}")
        assert me.status_code == 200 and me.json()["status"] == "ACTIVE"
        assert onboarded["member"]["name"] == me.json()["name"] == "Jade Tea Co."  # the bank's label, off chain
        # the sponsor bank credits a deposit; the custodial key (no ether: gas is free) then signs the trader's transfer
        address = onboarded["member"]["address"]
        deposit = bank.post(
            f"/v1/accounts/{address}/deposits",
            json={"currency": "USD", "amount": 700, "reference": "DEP-NEW-1"},
            headers={"Idempotency-Key": "onb-1-d"},
        )
        assert deposit.status_code == 200, deposit.text
        transfer = trader.post(
            "/v1/settlements/transfers",
            json={"to": TRADER.address, "currency": "USD", "amount": 250, "reference": "NEW-1"},
            headers={"Idempotency-Key": "onb-1-t"},
        )
        assert transfer.status_code == 200, transfer.text
        assert transfer.json()["signer"] == address
        balances = trader.get(f"/v1/accounts/{address}/balances").json()["balances"]
        assert balances == [{"currency": "USD", "amount": "450", "last_entry_id": balances[0]["last_entry_id"]}]

    def test_the_new_api_key_is_replayed_to_the_bank_but_not_readable_from_the_database(
        self, consortium: Consortium
    ) -> None:
        bank = consortium.client("bank")
        first = bank.post("/v1/members/traders", json={"label": "Jade"}, headers={"Idempotency-Key": "onb-sealed"})
        assert first.status_code == 201, first.text
        again = bank.post("/v1/members/traders", json={"label": "Jade"}, headers={"Idempotency-Key": "onb-sealed"})
        assert again.content == first.content  # the retry gets the key it lost
        token = first.json()["api_key"].encode()
        with consortium.platform.sessions() as db:
            stored = db.scalars(select(IdempotencyRecord.body).where(IdempotencyRecord.key == "onb-sealed")).one()
        assert stored is not None and token not in stored and b"api_key" not in stored
        other = consortium.client("other_bank")  # another API key with the same Idempotency-Key: its own record
        assert other.post("/v1/members/traders", json={"label": "Jade"}, headers={"Idempotency-Key": "onb-sealed"})

    def test_trader_may_not_onboard(self, consortium: Consortium) -> None:
        response = consortium.client("trader").post(
            "/v1/members/traders", json={"label": "x"}, headers={"Idempotency-Key": "onb-2"}
        )
        assert response.status_code == 403 and problem(response)["code"] == "forbidden"

    def test_sponsor_suspends_and_reinstates_its_trader(self, consortium: Consortium) -> None:
        bank = consortium.client("bank")
        onboarded = bank.post("/v1/members/traders", json={"label": "Tmp"}, headers={"Idempotency-Key": "onb-3"}).json()
        path = f"/v1/members/{onboarded['member']['address']}"
        assert bank.post(f"{path}/suspend", headers={"Idempotency-Key": "onb-3-s"}).json()["status"] == "SUSPENDED"
        assert bank.post(f"{path}/reinstate", headers={"Idempotency-Key": "onb-3-r"}).json()["status"] == "ACTIVE"


class TestDirectory:
    def test_trader_sees_itself_and_institutions_not_other_traders(self, consortium: Consortium) -> None:
        members = consortium.client("trader").get("/v1/members?limit=200").json()["items"]
        kinds = {(m["address"], m["kind"]) for m in members}
        assert (TRADER.address, "TRADER") in kinds and (BANK.address, "BANK") in kinds
        assert all(m["kind"] != "TRADER" or m["address"] == TRADER.address for m in members)

    def test_members_are_named_by_what_this_instance_calls_them(self, consortium: Consortium) -> None:
        """A name, not an address, for people: the label of the member's first API key here (`bank`, `trader`)."""
        members = consortium.client("trader").get("/v1/members?limit=200").json()["items"]
        names = {m["address"]: m["name"] for m in members}
        assert names[BANK.address] == "bank" and names[TRADER.address] == "trader"
        assert consortium.client("bank").get(f"/v1/members/{OTHER_BANK.address}").json()["name"] == "other_bank"

    def test_hidden_trader_is_404(self, consortium: Consortium) -> None:
        response = consortium.client("other_trader").get(f"/v1/members/{TRADER.address}")
        assert response.status_code == 404 and problem(response)["code"] == "member_not_found"


class TestGovernance:
    def test_majority_of_two_banks_admits_an_auditor(self, consortium: Consortium) -> None:
        auditor = dev_account(9).address
        bank = consortium.client("bank")
        created = bank.post(
            "/v1/governance/proposals",
            json={"action": "admit_auditor", "subject": auditor},
            headers={"Idempotency-Key": "gov-1"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["state"] == "OPEN" and created.json()["votes"] == 1
        assert bank.get(f"/v1/members/{auditor}").status_code == 404  # one vote of two banks: not yet
        voted = consortium.client("other_bank").post(
            f"{created.headers['Location']}/votes", headers={"Idempotency-Key": "gov-1-v"}
        )
        assert voted.status_code == 200, voted.text
        assert voted.json()["state"] == "EXECUTED"
        assert bank.get(f"/v1/members/{auditor}").json()["kind"] == "AUDITOR"
        assert consortium.client("trader").get(created.headers["Location"]).status_code == 404

    def test_trader_may_not_propose(self, consortium: Consortium) -> None:
        response = consortium.client("trader").post(
            "/v1/governance/proposals",
            json={"action": "admit_bank", "subject": TRADER.address},
            headers={"Idempotency-Key": "g"},
        )
        assert response.status_code == 403
