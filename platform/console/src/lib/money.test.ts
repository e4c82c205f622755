import { describe, expect, it } from "vitest";
import { exponentOf, formatAmount, parseAmount, plainAmount } from "./money";

describe("formatAmount", () => {
  it("uses the ISO 4217 exponent of each currency", () => {
    expect(exponentOf("USD")).toBe(2);
    expect(formatAmount("2500000", "USD", "en-US")).toBe("USD 25,000.00");
    expect(formatAmount("2500000", "JPY", "en-US")).toBe("JPY 2,500,000");
    expect(formatAmount("1234", "BHD", "en-US")).toBe("BHD 1.234");
  });
  it("keeps small, negative and huge amounts exact", () => {
    expect(formatAmount("5", "USD", "en-US")).toBe("USD 0.05");
    expect(formatAmount(-13750, "USD", "en-US")).toBe("-USD 137.50");
    expect(formatAmount("123456789012345678901234567", "USD", "en-US")).toBe(
      "USD 1,234,567,890,123,456,789,012,345.67",
    );
  });
  it("groups per locale", () => {
    expect(formatAmount("2500000", "EUR", "de-DE")).toBe("EUR 25.000,00");
  });
  it("says when the currency is unknown instead of guessing", () => {
    expect(formatAmount("100", "ZZZ")).toBe("ZZZ 100 (minor units)");
  });
});

describe("parseAmount", () => {
  it("turns typed amounts into minor units", () => {
    expect(parseAmount("25,000.5", "USD")).toEqual({ minor: "2500050" });
    expect(parseAmount("7", "JPY")).toEqual({ minor: "7" });
  });
  it("refuses more decimals than the currency has, and non-numbers", () => {
    expect(parseAmount("1.005", "USD")).toEqual({ error: "USD has 2 decimal places" });
    expect(parseAmount("1.5", "JPY")).toEqual({ error: "JPY has 0 decimal places" });
    expect(parseAmount("abc", "USD")).toEqual({ error: "enter an amount such as 1250.00" });
  });
});

describe("plainAmount", () => {
  it("starts an input with an amount parseAmount reads back, whatever the locale", () => {
    expect(plainAmount("360000", "USD")).toBe("3600.00");
    expect(plainAmount("5", "USD")).toBe("0.05");
    expect(plainAmount("1250", "JPY")).toBe("1250");
    expect(plainAmount("1234567", "BHD")).toBe("1234.567");
    expect(parseAmount(plainAmount("360000", "USD"), "USD")).toEqual({ minor: "360000" });
  });
});
