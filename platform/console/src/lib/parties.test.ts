import { describe, expect, it } from "vitest";
import { partyName, traderRole } from "./parties";

const lc = {
  applicant: "0xAAaa000000000000000000000000000000000001",
  beneficiary: "0xBbbb000000000000000000000000000000000002",
  issuing_bank: "0xCccc000000000000000000000000000000000003",
  advising_bank: "0xDddd000000000000000000000000000000000004",
  confirming_bank: "0xDddd000000000000000000000000000000000004",
};

describe("partyName", () => {
  it("names a party by its role in the credit, whatever the address's case", () => {
    expect(partyName(lc.applicant.toLowerCase(), lc)).toBe("applicant");
    expect(partyName(lc.issuing_bank, lc, lc.issuing_bank.toLowerCase())).toBe("issuing bank (you)");
    expect(partyName(lc.advising_bank, lc)).toBe("advising and confirming bank");
  });
  it("falls back to a short address for a member outside the credit", () => {
    expect(partyName("0x1234000000000000000000000000000000005678", lc)).toBe("member 0x1234…5678");
  });
});

describe("traderRole", () => {
  it("says applicant or beneficiary from the whole credit, and what a reduced view was given to (Art 38, 39)", () => {
    expect(traderRole(lc, lc.applicant.toLowerCase())).toBe("applicant");
    expect(traderRole(lc, lc.beneficiary)).toBe("beneficiary");
    expect(traderRole({ ...lc, applicant: null, audience: "SECOND_BENEFICIARY" }, "0x1")).toBe("second beneficiary");
    expect(traderRole({ ...lc, applicant: null, audience: "ASSIGNEE" }, "0x1")).toBe("assignee");
  });
});
