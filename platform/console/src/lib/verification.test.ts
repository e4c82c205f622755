import { describe, expect, it } from "vitest";
import { summarize, type Verification } from "./verification";

const base: Verification = {
  verified: true, statement: "S-1", account: "0xabc", currency: "USD", entry_count: 2, file_sha256: "0x00",
  chain_id: 31337, problems: [],
  entries: [
    { entry_id: "2", status: "verified", file_amount: 500, chain_amount: 500, direction: "CRDT", detail: "" },
    { entry_id: "1", status: "verified", file_amount: 100, chain_amount: 100, direction: "DBIT", detail: "" },
  ],
};

describe("summarize", () => {
  it("verifies a file whose every entry matches and no problem was found", () => {
    const s = summarize(base);
    expect(s.verdict).toBe("verified");
    expect(s.headline).toBe("Verified: all 2 entries match the chain, signed and anchored");
    expect(s.rows.map((r) => r.entry_id)).toEqual(["1", "2"]);
  });
  it("calls a changed or dropped entry tampering and lists it first", () => {
    const s = summarize({
      ...base, verified: false, problems: ["entry 2: amount changed - file 900, chain 500"],
      entries: [
        base.entries[1]!,
        { entry_id: "2", status: "changed", file_amount: 900, chain_amount: 500, direction: "CRDT", detail: "" },
        { entry_id: "3", status: "dropped", file_amount: null, chain_amount: 7, direction: "CRDT", detail: "" },
      ],
    });
    expect(s.verdict).toBe("failed");
    expect(s.counts).toEqual({ verified: 1, changed: 1, added: 0, dropped: 1 });
    expect(s.headline).toBe("Tampered: 2 of 3 entries differ from the chain");
    expect(s.rows.map((r) => r.status)).toEqual(["changed", "dropped", "verified"]);
  });
  it("fails on a problem outside the entries (a forged signature) even when every entry matches", () => {
    const s = summarize({ ...base, verified: false, problems: ["signature: forged"] });
    expect(s.verdict).toBe("failed");
    expect(s.headline).toBe("Not verified: 1 problem found");
  });
});
