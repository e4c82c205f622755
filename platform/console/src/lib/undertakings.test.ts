import { describe, expect, it } from "vitest";
import { guaranteeStep, recordSteps, reductionSchedule } from "./undertakings";

const bank = "0xB000000000000000000000000000000000000001";
const adviser = "0xB000000000000000000000000000000000000002";
const exporter = "0xA000000000000000000000000000000000000003";

describe("guaranteeStep", () => {
  const g = { state: "APPLIED", guarantor: bank, beneficiary: exporter, advising_party: adviser };
  it("follows the undertaking's life: issue by the guarantor, advice, release by the beneficiary", () => {
    expect(guaranteeStep(g, bank.toLowerCase())).toBe("issue");
    expect(guaranteeStep(g, exporter)).toBeNull();
    expect(guaranteeStep({ ...g, state: "ISSUED" }, adviser)).toBe("advise");
    expect(guaranteeStep({ ...g, state: "ADVISED" }, exporter)).toBe("release");
    expect(guaranteeStep({ ...g, state: "RELEASED" }, exporter)).toBeNull();
  });
});

describe("recordSteps", () => {
  const r = { state: "HELD", issuer: bank, holder: exporter, controller: exporter, to_order: true, blank_endorsed: false };
  it("lets only the controller act: endorse an order document, transfer a bearer one", () => {
    expect(recordSteps(r, exporter)).toEqual({ steps: ["surrender"], handOver: "endorse" });
    expect(recordSteps({ ...r, to_order: false }, exporter).handOver).toBe("transfer");
    expect(recordSteps({ ...r, blank_endorsed: true }, exporter).handOver).toBe("transfer");
    expect(recordSteps(r, bank)).toEqual({ steps: [], handOver: null });
  });
  it("gives the pledgee its release and the issuer the end of a surrendered record", () => {
    expect(recordSteps({ ...r, state: "PLEDGED", controller: bank }, bank).steps).toEqual(["release-pledge"]);
    expect(recordSteps({ ...r, state: "SURRENDERED", controller: bank }, bank).steps).toEqual(["void", "reject-surrender"]);
  });
});

describe("reductionSchedule", () => {
  const day = 20_800; // 2026-12-13
  const g = {
    state: "ISSUED",
    amount: "500000",
    reduction_schedule: [
      { step: 1, day: day - 10, amount: "100000", recorded_at: (day - 10) * 86_400 + 60 },
      { step: 2, day, amount: "150000", recorded_at: null },
      { step: 3, day: day + 30, amount: "300000", recorded_at: null },
    ],
  };
  it("dates each step, says what remains after it, and which are recorded, in effect or to come", () => {
    const { rows } = reductionSchedule(g, day);
    expect(rows.map((r) => [r.step, r.date, r.after, r.status])).toEqual([
      [1, "2026-12-03", "400000", "recorded"],
      [2, "2026-12-13", "250000", "due"],
      [3, "2027-01-12", "0", "upcoming"], // never below nothing
    ]);
  });
  it("offers to record a step in effect only while the undertaking is operative", () => {
    expect(reductionSchedule(g, day).recordable).toBe(true);
    expect(reductionSchedule(g, day - 1).recordable).toBe(false);
    expect(reductionSchedule({ ...g, state: "EXPIRED" }, day).recordable).toBe(false);
    expect(reductionSchedule({ ...g, reduction_schedule: [] }, day)).toEqual({ rows: [], recordable: false });
  });
});
