import { describe, expect, it } from "vitest";
import { orderStep, sha256Hex } from "./orders";

const buyer = "0xA000000000000000000000000000000000000001";
const seller = "0xA000000000000000000000000000000000000002";
const order = { state: "CREATED", buyer, seller, payment_terms: "open_account" };

describe("orderStep", () => {
  it("gives each step to its party, in order", () => {
    expect(orderStep(order, seller.toLowerCase())).toBe("accept");
    expect(orderStep(order, buyer)).toBeNull();
    expect(orderStep({ ...order, state: "ACCEPTED" }, seller)).toBe("ship");
    expect(orderStep({ ...order, state: "SHIPPED" }, buyer)).toBe("deliver");
    expect(orderStep({ ...order, state: "DELIVERED" }, buyer)).toBe("pay");
    expect(orderStep({ ...order, state: "PAID" }, buyer)).toBeNull();
  });
  it("never pays a letter-of-credit order directly: the credit pays it", () => {
    expect(orderStep({ ...order, state: "DELIVERED", payment_terms: "letter_of_credit" }, buyer)).toBeNull();
  });
});

describe("sha256Hex", () => {
  it("hashes a document the way the API takes it", async () => {
    const bytes = new TextEncoder().encode("abc");
    expect(await sha256Hex(bytes.buffer as ArrayBuffer)).toBe("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
