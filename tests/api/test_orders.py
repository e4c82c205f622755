"""Purchase orders over HTTP: the open-account lifecycle through payment, access, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import OTHER_TRADER, TRADER, Consortium, problem, without_id


def _order_body(**overrides: object) -> dict[str, object]:
    tomorrow = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    body: dict[str, object] = {
        "seller": OTHER_TRADER.address,
        "amount": 12_500,
        "currency": "USD",
        "terms": {"goods": "200 cartons of green tea", "incoterms": "FOB Shanghai"},
        "latest_shipment": tomorrow,
        "payment_terms": "open_account",
        "due_date": tomorrow,
    }
    body.update(overrides)
    return body


class TestOpenAccountLifecycle:
    def test_order_from_creation_to_payment(self, consortium: Consortium) -> None:
        buyer, seller = consortium.client("trader"), consortium.client("other_trader")
        created = buyer.post("/v1/orders", json=_order_body(), headers={"Idempotency-Key": "po-1"})
        assert created.status_code == 201, created.text
        order = created.json()
        assert order["state"] == "CREATED" and order["terms"]["incoterms"] == "FOB Shanghai"
        assert created.headers["Location"] == f"/v1/orders/{order['order_id']}"
        path = f"/v1/orders/{order['order_id']}"

        assert seller.post(f"{path}/accept", headers={"Idempotency-Key": "po-1-a"}).json()["state"] == "ACCEPTED"
        shipped = seller.post(
            f"{path}/ship", json={"transport_document_hash": "0x" + "11" * 32}, headers={"Idempotency-Key": "po-1-s"}
        )
        assert shipped.json()["state"] == "SHIPPED"
        assert buyer.post(f"{path}/deliver", headers={"Idempotency-Key": "po-1-d"}).json()["state"] == "DELIVERED"
        paid = buyer.post(f"{path}/pay", headers={"Idempotency-Key": "po-1-p"})
        assert paid.status_code == 200, paid.text
        assert paid.json()["state"] == "PAID" and paid.json()["payment_entry_id"] is not None

    def test_wrong_party_step_is_a_named_refusal(self, consortium: Consortium) -> None:
        buyer = consortium.client("trader")
        order = buyer.post("/v1/orders", json=_order_body(), headers={"Idempotency-Key": "po-2"}).json()
        response = buyer.post(f"/v1/orders/{order['order_id']}/accept", headers={"Idempotency-Key": "po-2-a"})
        assert response.status_code in (403, 409, 422)
        assert str(problem(response)["code"]).startswith("trade_orders_")


class TestOrderAccess:
    def test_outsider_gets_404_identical_to_unknown(self, consortium: Consortium) -> None:
        order = (
            consortium.client("trader")
            .post("/v1/orders", json=_order_body(), headers={"Idempotency-Key": "po-3"})
            .json()
        )
        outsider = consortium.client("outsider")
        hidden = outsider.get(f"/v1/orders/{order['order_id']}")
        unknown = outsider.get("/v1/orders/999999")
        assert hidden.status_code == unknown.status_code == 404
        assert without_id(hidden.text, order["order_id"]) == without_id(unknown.text, "999999")
        assert (
            outsider.post(f"/v1/orders/{order['order_id']}/accept", headers={"Idempotency-Key": "x"}).status_code == 404
        )
        assert all(item["order_id"] != order["order_id"] for item in outsider.get("/v1/orders").json()["items"])

    def test_parties_and_sponsor_see_it_in_lists(self, consortium: Consortium) -> None:
        order = (
            consortium.client("trader")
            .post("/v1/orders", json=_order_body(), headers={"Idempotency-Key": "po-4"})
            .json()
        )
        for who in ("trader", "other_trader", "bank"):
            ids = {item["order_id"] for item in consortium.client(who).get("/v1/orders?limit=200").json()["items"]}
            assert order["order_id"] in ids, who

    def test_cursor_pagination_walks_every_order_once(self, consortium: Consortium) -> None:
        client = consortium.client("trader")
        seen: list[str] = []
        cursor = None
        while True:
            page = client.get("/v1/orders", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
            seen += [item["order_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) >= 3


class TestOrderInput:
    def test_past_shipment_date_is_422_naming_the_field(self, consortium: Consortium) -> None:
        response = consortium.client("trader").post(
            "/v1/orders", json=_order_body(latest_shipment="2020-01-01"), headers={"Idempotency-Key": "po-bad"}
        )
        assert response.status_code == 422 and "latest_shipment" in str(problem(response)["detail"])

    def test_terms_hash_is_the_sha256_of_canonical_terms(self, consortium: Consortium) -> None:
        import hashlib
        import json

        body = _order_body(terms={"b": 1, "a": "茶"})
        order = consortium.client("trader").post("/v1/orders", json=body, headers={"Idempotency-Key": "po-h"}).json()
        canonical = json.dumps({"a": "茶", "b": 1}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert order["terms_hash"] == "0x" + hashlib.sha256(canonical.encode()).hexdigest()
        assert TRADER.address == order["buyer"]
