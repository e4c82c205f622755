import { describe, expect, it } from "vitest";
import { lcSteps, type Event, type Lc } from "./shared";

const BANK = "0xCccc000000000000000000000000000000000003";
const BENEFICIARY = "0xBbbb000000000000000000000000000000000002";
const credit = {
  lc_id: "7",
  applicant: "0xAAaa000000000000000000000000000000000001",
  beneficiary: BENEFICIARY,
  issuing_bank: BANK,
  advising_bank: BANK,
  confirming_bank: null,
  transferred_presentations: [],
} as unknown as Lc;

const presented = (presenter: string, presentationId: number): Event =>
  ({
    id: "1",
    contract: "LetterOfCredit",
    event: "DocumentsPresented",
    args: { lcId: 7, presentationId, beneficiary: presenter },
    block_timestamp: "2026-12-05T00:00:00Z",
  }) as unknown as Event;

const presentedStep = (lc: Lc, event: Event) => lcSteps(lc, [event]).find((step) => step.label === "presented");

describe("lcSteps", () => {
  it("names the beneficiary who presented", () => {
    expect(presentedStep(credit, presented(BENEFICIARY, 1))?.party).toEqual({ name: "beneficiary", address: BENEFICIARY });
  });
  it("names the transferring bank that forwarded a second beneficiary's documents as presented (Art 38i), not the beneficiary", () => {
    const forwarded = {
      ...credit,
      transferred_presentations: [{ state: "FORWARDED", presentation_id: "2", transferred_presentation_id: "1" }],
    } as unknown as Lc;
    expect(presentedStep(forwarded, presented(BANK, 2))?.party).toEqual({
      name: "issuing and advising bank, for the second beneficiary",
      address: BANK,
    });
  });
});
