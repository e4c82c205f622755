import { describe, expect, it } from "vitest";
import {
  daysToMaturity,
  discountOf,
  invoiceInForce,
  invoiceNext,
  invoiceSteps,
  isoDay,
  linesText,
  mayEstablish,
  parseLines,
  parseQuantities,
  payableSteps,
  previewDiscount,
  rateBps,
  undertakingNext,
  undertakingSteps,
} from "./openaccount";

const BUYER = "0xB0000000000000000000000000000000000000b1";
const SELLER = "0x5000000000000000000000000000000000000051";
const BANK_A = "0xA00000000000000000000000000000000000000a";
const BANK_B = "0xbB0000000000000000000000000000000000000B";
const NOW = Date.UTC(2026, 11, 4, 15, 30); // a value date of 2026-12-04 (UTC), mid-afternoon
const midnight = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

describe("discountOf: face x rate x days / basis, half up, as tradeledger.undertakings.discount", () => {
  // hand-computed: 2,600,000 x 450 x 45 = 52,650,000,000; / 3,600,000 = 14,625 exactly; / 3,650,000 = 14,424.66 -> 14,425
  it.each([
    [2_600_000n, 450, 45, "ACT/360", 14_625n, 2_585_375n],
    [2_600_000n, 450, 45, "ACT/365", 14_425n, 2_585_575n],
    [3n, 10_000, 60, "ACT/360", 1n, 2n], // exactly half a minor unit: up, to the financier
    [1n, 9_999, 180, "ACT/360", 0n, 1n], // 0.49995: down
    [1_000n, 0, 90, "ACT/365", 0n, 1_000n], // no rate, no discount
    [500n, 10_000, 800, "ACT/360", 500n, 0n], // never above the face value
    [123_457n, 735, 0, "ACT/360", 0n, 123_457n], // paid on the due date itself
  ] as const)("%s at %s bps for %s days %s: discount %s, advance %s", (face, bps, days, basis, discount, advance) => {
    expect(discountOf(face, bps, days, basis)).toEqual({ days, discount, advance });
  });
});

describe("days and rates", () => {
  it("counts calendar days from today's UTC date to the maturity's", () => {
    expect(daysToMaturity(NOW, midnight(2027, 1, 18))).toBe(45);
    expect(daysToMaturity(NOW, midnight(2026, 12, 4))).toBe(0);
    expect(daysToMaturity(NOW, midnight(2026, 12, 3))).toBe(-1);
  });
  it("reads a percentage as basis points, and says what is wrong otherwise", () => {
    expect(rateBps("4.5")).toBe(450);
    expect(rateBps(" 4.75 %")).toBe(475);
    expect(rateBps("12")).toBe(1_200);
    expect(rateBps("4.555")).toEqual({ problem: expect.stringContaining("at most two decimals") });
    expect(rateBps("101")).toEqual({ problem: "The rate may be at most 100 %." });
  });
  it("previews the discount if paid today, or says why it cannot", () => {
    expect(previewDiscount("2600000", "4.5", "ACT/360", midnight(2027, 1, 18), NOW)).toEqual({ days: 45, discount: 14_625n, advance: 2_585_375n });
    expect(previewDiscount("2600000", "x", "ACT/360", midnight(2027, 1, 18), NOW)).toHaveProperty("problem");
    expect(previewDiscount("2600000", "4.5", "ACT/360", midnight(2026, 11, 30), NOW)).toEqual({ problem: expect.stringContaining("passed") });
  });
});

const invoice = (state: string, version = 1) => ({ invoice_id: String(version), order_id: "7", state, seller: SELLER, buyer: BUYER, version });

describe("invoices", () => {
  it("the buyer matches an issued invoice; the seller corrects an issued or mismatched one", () => {
    expect(invoiceSteps(invoice("ISSUED"), BUYER.toLowerCase(), false)).toEqual(["match"]);
    expect(invoiceSteps(invoice("ISSUED"), SELLER, false)).toEqual(["correct"]);
    expect(invoiceSteps(invoice("MISMATCHED"), SELLER, false)).toEqual(["correct"]);
    expect(invoiceSteps(invoice("MISMATCHED"), BUYER, false)).toEqual([]);
    expect(invoiceSteps(invoice("SUPERSEDED"), SELLER, false)).toEqual([]);
  });
  it("the buyer approves one payable for a matched or accepted invoice", () => {
    expect(invoiceSteps(invoice("MATCHED"), BUYER, false)).toEqual(["approve-payable"]);
    expect(invoiceSteps(invoice("ACCEPTED"), BUYER, false)).toEqual(["approve-payable"]);
    expect(invoiceSteps(invoice("MATCHED"), BUYER, true)).toEqual([]);
    expect(invoiceSteps(invoice("MATCHED"), BANK_A, false)).toEqual([]);
  });
  it("tells each party what comes next", () => {
    const standing = { obligor_bank: BANK_A, mismatch_invoice_id: null };
    expect(invoiceNext(invoice("MISMATCHED"), SELLER, standing)).toContain("correct the invoice");
    expect(invoiceNext(invoice("MISMATCHED"), BANK_A, standing)).toContain("accept the mismatch");
    expect(invoiceNext(invoice("MISMATCHED"), BANK_B, null)).toContain("the obligor bank accepts the mismatch");
    expect(invoiceNext(invoice("MISMATCHED"), SELLER, { ...standing, mismatch_invoice_id: "1" })).toBe("Mismatch accepted by the obligor bank: paid on the due date.");
    expect(invoiceNext(invoice("ISSUED"), BANK_B, standing)).toBe("Waiting for the buyer's data match.");
    expect(invoiceNext(invoice("SUPERSEDED", 2), BUYER, standing)).toBe("Replaced by version 3.");
  });
  it("the invoice in force is the order's latest version not superseded", () => {
    const versions = [invoice("SUPERSEDED", 1), invoice("MISMATCHED", 2), { ...invoice("ISSUED", 1), order_id: "8" }];
    expect(invoiceInForce(versions, "7")?.version).toBe(2);
    expect(invoiceInForce(versions, "9")).toBeNull();
  });
});

const undertaking = {
  order_id: "7", state: "ESTABLISHED", obligor_bank: BANK_A, recipient_bank: BANK_B, seller: SELLER, payee: SELLER,
  financed_document_id: null, mismatch_invoice_id: null, due_date: midnight(2027, 1, 18),
};

describe("bank payment undertakings", () => {
  it("the obligor bank accepts the mismatch of the invoice in force, once", () => {
    expect(undertakingSteps(undertaking, BANK_A, "BANK", invoice("MISMATCHED"), NOW)).toEqual(["accept-mismatch"]);
    expect(undertakingSteps({ ...undertaking, mismatch_invoice_id: "1" }, BANK_A, "BANK", invoice("MISMATCHED"), NOW)).toEqual([]);
    expect(undertakingSteps(undertaking, BANK_A, "BANK", invoice("MATCHED"), NOW)).toEqual([]);
  });
  it("another bank discounts it while the seller is still its payee and it is not yet due", () => {
    expect(undertakingSteps(undertaking, BANK_B, "BANK", invoice("MATCHED"), NOW)).toEqual(["discount"]);
    expect(undertakingSteps({ ...undertaking, payee: BANK_B, financed_document_id: "3" }, BANK_B, "BANK", null, NOW)).toEqual([]);
    expect(undertakingSteps(undertaking, SELLER, "TRADER", null, NOW)).toEqual([]);
    expect(undertakingSteps({ ...undertaking, due_date: midnight(2026, 12, 1) }, BANK_B, "BANK", null, NOW)).toEqual([]);
    expect(undertakingSteps({ ...undertaking, state: "SETTLED" }, BANK_B, "BANK", null, NOW)).toEqual([]);
  });
  it("says what it waits for", () => {
    expect(undertakingNext(undertaking, null)).toBe("Waiting for the seller's invoice.");
    expect(undertakingNext(undertaking, invoice("MISMATCHED"))).toContain("Mismatch");
    expect(undertakingNext({ ...undertaking, mismatch_invoice_id: "1" }, invoice("MISMATCHED"))).toContain("settles it on the due date");
  });
  it("the buyer's sponsor bank establishes one on an accepted open-account order without one standing", () => {
    const order = { order_id: "7", buyer: BUYER, state: "DELIVERED", payment_terms: "open_account" };
    expect(mayEstablish(order, BANK_A, BANK_A, [])).toBe(true);
    expect(mayEstablish(order, BANK_B, BANK_A, [])).toBe(false);
    expect(mayEstablish(order, BANK_A, BANK_A, [undertaking])).toBe(false);
    expect(mayEstablish(order, BANK_A, BANK_A, [{ ...undertaking, state: "EXPIRED" }])).toBe(true);
    expect(mayEstablish({ ...order, state: "CREATED" }, BANK_A, BANK_A, [])).toBe(false);
    expect(mayEstablish({ ...order, payment_terms: "letter_of_credit" }, BANK_A, BANK_A, [])).toBe(false);
  });
});

describe("payables", () => {
  const payable = { state: "APPROVED", buyer: BUYER, supplier: SELLER, financier: null, maturity: midnight(2027, 1, 18) };
  it("a bank finances an approved payable before its maturity", () => {
    expect(payableSteps(payable, BANK_B, "BANK", NOW)).toEqual(["finance"]);
    expect(payableSteps(payable, BUYER, "TRADER", NOW)).toEqual([]);
    expect(payableSteps({ ...payable, state: "FINANCED", financier: BANK_B }, BANK_B, "BANK", NOW)).toEqual([]);
  });
  it("from the maturity the buyer or the payee collects", () => {
    const due = { ...payable, state: "FINANCED", financier: BANK_B, maturity: midnight(2026, 12, 4) };
    expect(payableSteps(due, BUYER, "TRADER", NOW)).toEqual(["collect"]);
    expect(payableSteps(due, BANK_B, "BANK", NOW)).toEqual(["collect"]);
    expect(payableSteps(due, SELLER, "TRADER", NOW)).toEqual([]);
    expect(payableSteps({ ...due, state: "PAID" }, BUYER, "TRADER", NOW)).toEqual([]);
  });
});

describe("invoice lines and quantities typed in the forms", () => {
  const terms = { goods: "tea", lines: [{ item: "JASMINE-CARTON", quantity: 180, unit_price: 2000 }, { item: "GREEN-TIN", quantity: 12, unit_price: 450 }] };
  it("start from the order's stated lines", () => {
    expect(linesText(terms)).toBe("JASMINE-CARTON 180 2000\nGREEN-TIN 12 450");
    expect(linesText({ goods: "tea" })).toBe("");
    expect(linesText(null)).toBe("");
  });
  it("read back as invoice lines with their total in minor units", () => {
    expect(parseLines("JASMINE-CARTON 170 2000\n\nGREEN-TIN 12 450\n")).toEqual({
      lines: [{ item: "JASMINE-CARTON", quantity: 170, unit_price: 2000 }, { item: "GREEN-TIN", quantity: 12, unit_price: 450 }],
      total: 345_400n,
    });
    expect(parseLines("JASMINE-CARTON 170 20.00")).toEqual({ problem: "Line 1: write the item code, the quantity and the unit price in minor units." });
    expect(parseLines("  ")).toEqual({ problem: "Give at least one line." });
  });
  it("read back as the units moved per item (a price, if left in, is ignored)", () => {
    expect(parseQuantities("JASMINE-CARTON 180 2000\nGREEN-TIN 12")).toEqual({ quantities: { "JASMINE-CARTON": 180, "GREEN-TIN": 12 } });
    expect(parseQuantities("problem 3")).toEqual({ quantities: { problem: 3 } }); // an item code is never taken for a problem
    expect(parseQuantities("JASMINE-CARTON many")).toEqual({ problem: "Line 1: write the item code and the whole units moved." });
  });
  it("fill date inputs with UTC days", () => {
    expect(isoDay(NOW)).toBe("2026-12-04");
    expect(isoDay(NOW, 45)).toBe("2027-01-18");
  });
});
