import { describe, expect, it } from "vitest";
import { maturities, utcDay, type MaturityCredit } from "./maturity";

const issuer = "0xB000000000000000000000000000000000000001";
const nominated = "0xB000000000000000000000000000000000000002";
const exporter = "0xA000000000000000000000000000000000000003";
const importer = "0xA000000000000000000000000000000000000004";

const credit = (obligor: string, maturity: string, state = "INCURRED"): MaturityCredit => ({
  lc_id: "7",
  currency: "USD",
  issuing_bank: issuer,
  beneficiary: exporter,
  presentations: [
    { presentation_id: "1", deferred_payment: null },
    { presentation_id: "2", deferred_payment: { obligor, amount: "250000", maturity_date: maturity, state } },
  ],
});

const stepsOf = (lc: MaturityCredit, me: string, today: string) => maturities([lc], me, today).map((m) => m.steps);

describe("maturities", () => {
  it("lists only presentations honoured by an undertaking", () => {
    const rows = maturities([credit(nominated, "2026-12-10")], importer, "2026-12-01");
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ lcId: "7", presentationId: "2", amount: "250000", currency: "USD", steps: [] });
    expect(row!.next).toBe("payable on 2026-12-10");
  });
  it("lets the obligor pay, and the beneficiary collect, from the maturity day on", () => {
    const lc = credit(nominated, "2026-12-10");
    expect(stepsOf(lc, nominated, "2026-12-09")).toEqual([[]]);
    expect(stepsOf(lc, nominated.toLowerCase(), "2026-12-10")).toEqual([["pay-at-maturity"]]);
    expect(stepsOf(lc, exporter, "2026-12-10")).toEqual([["pay-at-maturity"]]);
    expect(stepsOf(lc, issuer, "2026-12-10")).toEqual([[]]); // the nominated bank has the day to pay
    expect(maturities([lc], issuer, "2026-12-10")[0]!.next).toBe("due today: the nominated bank pays it by the end of the day");
  });
  it("gives the issuing bank and the beneficiary the honour of a nominated bank's default once its day has ended", () => {
    const lc = credit(nominated, "2026-12-10");
    expect(stepsOf(lc, issuer, "2026-12-11")).toEqual([["honour-default"]]);
    expect(stepsOf(lc, exporter, "2026-12-11")).toEqual([["pay-at-maturity", "honour-default"]]);
    expect(stepsOf(lc, nominated, "2026-12-11")).toEqual([["pay-at-maturity"]]); // it may still pay late
    expect(stepsOf(lc, importer, "2026-12-11")).toEqual([[]]);
    expect(maturities([lc], importer, "2026-12-11")[0]!.next).toContain("the issuing bank honours it (Art 7a)");
  });
  it("never offers a default on the issuing bank's own undertaking", () => {
    const own = credit(issuer, "2026-12-10");
    expect(stepsOf(own, issuer, "2026-12-20")).toEqual([["pay-at-maturity"]]);
    expect(stepsOf(own, exporter, "2026-12-20")).toEqual([["pay-at-maturity"]]);
  });
  it("says how a settled undertaking ended and offers nothing on it", () => {
    for (const [state, words] of [["PAID", "paid at maturity"], ["PREPAID", "Art 12b"], ["DEFAULTED", "Art 7a"]] as const) {
      const [row] = maturities([credit(nominated, "2026-12-10", state)], exporter, "2026-12-20");
      expect(row!.steps).toEqual([]);
      expect(row!.next).toContain(words);
    }
  });
  it("puts what the viewer can act on first, then the nearest maturity", () => {
    const later = { ...credit(nominated, "2026-12-30"), lc_id: "8" };
    const sooner = { ...credit(nominated, "2026-12-05", "PAID"), lc_id: "9" };
    const due = { ...credit(nominated, "2026-12-10"), lc_id: "10" };
    expect(maturities([later, sooner, due], nominated, "2026-12-12").map((m) => m.lcId)).toEqual(["10", "9", "8"]);
  });
});

describe("utcDay", () => {
  it("is the UTC day, whatever the browser's zone", () => {
    expect(utcDay(Date.UTC(2026, 11, 5, 23, 59))).toBe("2026-12-05");
    expect(utcDay(Date.UTC(2026, 11, 6, 0, 0))).toBe("2026-12-06");
  });
});
