import { describe, expect, it } from "vitest";
import { claimsOf, currencyOf, reimbursementClaims } from "./claims";

const bank = "0xB000000000000000000000000000000000000001";
const nominated = "0xB000000000000000000000000000000000000002";
const importer = "0xA000000000000000000000000000000000000003";
const at = "2026-12-04T10:00:00Z";
const opened = (claimId: string, lcId: string) => ({
  event: "ReimbursementClaimOpened",
  block_timestamp: at,
  args: { claimId, lcId, applicant: importer, presentationId: "1", issuingBank: bank, currency: "0x555344", amount: "150000" },
});

describe("reimbursementClaims", () => {
  it("opens applicant claims from the events and settles them by the settlement event; interbank from the credits", () => {
    const events = [
      opened("1", "4"),
      opened("2", "5"),
      { event: "ReimbursementClaimSettled", block_timestamp: at, args: { claimId: "1", lcId: "4", applicant: importer, issuingBank: bank } },
    ];
    const credits = [
      {
        lc_id: "6",
        currency: "EUR",
        issuing_bank: bank,
        presentations: [
          { presentation_id: "1", interbank_claim: { nominated_bank: nominated, amount: "9900", deadline: 1_800_000_000, state: "OPEN", precluded: false } },
          { presentation_id: "2", interbank_claim: null },
        ],
      },
    ];
    const claims = reimbursementClaims(events, credits);
    expect(claims.map((c) => [c.kind, c.lcId, c.state])).toEqual([
      ["applicant", "5", "open"],
      ["interbank", "6", "open"],
      ["applicant", "4", "settled"],
    ]);
    expect(claims[0]).toMatchObject({ currency: "USD", amount: "150000", debtor: importer, creditor: bank, claimId: "2" });
    expect(claims[1]).toMatchObject({ debtor: bank, creditor: nominated, currency: "EUR", deadline: 1_800_000_000 });
    expect(claimsOf(claims, nominated.toLowerCase()).map((c) => c.lcId)).toEqual(["6"]);
    expect(claimsOf(claims, importer)).toHaveLength(2);
  });
  it("reads bytes3 currencies and passes codes through", () => {
    expect(currencyOf("0x455552")).toBe("EUR");
    expect(currencyOf("JPY")).toBe("JPY");
  });
});
