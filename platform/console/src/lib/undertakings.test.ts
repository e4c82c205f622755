import { describe, expect, it } from "vitest";
import { guaranteeStep, recordSteps } from "./undertakings";

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
