import { describe, expect, it } from "vitest";
import { claimsOf, currencyOf, reimbursementClaims } from "./claims";

const bank = "0xB000000000000000000000000000000000000001";
const nominated = "0xB000000000000000000000000000000000000002";
const importer = "0xA000000000000000000000000000000000000003";
const opened = (claimId: string, lcId: string, state = "OPEN") => ({
  claim_id: claimId, lc_id: lcId, presentation_id: "1", issuing_bank: bank, applicant: importer, currency: "USD",
  amount: "150000", state, opened_at: 1_796_000_000,
});

describe("reimbursementClaims", () => {
  it("claims on applicants as the service lists them; interbank claims from the credits", () => {
    const applicantClaims = [opened("1", "4", "SETTLED"), opened("2", "5")];
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
    const claims = reimbursementClaims(applicantClaims, credits);
    expect(claims.map((c) => [c.kind, c.lcId, c.state])).toEqual([
      ["applicant", "5", "open"],
      ["interbank", "6", "open"],
      ["applicant", "4", "settled"],
    ]);
    expect(claims[0]).toMatchObject({ currency: "USD", amount: "150000", debtor: importer, creditor: bank, claimId: "2", at: 1_796_000_000 });
    expect(claims[1]).toMatchObject({ debtor: bank, creditor: nominated, currency: "EUR", deadline: 1_800_000_000 });
    expect(claimsOf(claims, nominated.toLowerCase()).map((c) => c.lcId)).toEqual(["6"]);
    expect(claimsOf(claims, importer)).toHaveLength(2);
  });
  it("reads bytes3 currencies and passes codes through", () => {
    expect(currencyOf("0x455552")).toBe("EUR");
    expect(currencyOf("JPY")).toBe("JPY");
  });
});
