import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Verification } from "../lib/verification";
import { VerificationResult } from "./VerificationResult";

const result: Verification = {
  verified: false, statement: "TL-1", account: "0xabc", currency: "USD", entry_count: 2, file_sha256: "0x" + "ab".repeat(32),
  chain_id: 31337, problems: ["entry 7: amount changed - file 99900, chain 100"],
  entries: [
    { entry_id: "6", status: "verified", file_amount: 2500, chain_amount: 2500, direction: "CRDT", detail: "tx 0x1 log 0" },
    { entry_id: "7", status: "changed", file_amount: 99900, chain_amount: 100, direction: "DBIT", detail: "file 99900 DBIT, chain 100 DBIT" },
  ],
};

describe("VerificationResult", () => {
  it("shows a tampered verdict, the problem, and each entry with both amounts formatted", () => {
    const html = renderToStaticMarkup(<VerificationResult result={result} />);
    expect(html).toContain('data-verdict="failed"');
    expect(html).toContain("Tampered: 1 of 2 entries differ from the chain");
    expect(html).toContain("entry 7: amount changed");
    expect(html).toMatch(/data-entry="7"><td>7<\/td><td>changed<\/td><td>USD 999.00<\/td><td>USD 1.00<\/td>/);
    expect(html.indexOf('data-entry="7"')).toBeLessThan(html.indexOf('data-entry="6"'));
  });
  it("shows a verified verdict when nothing is wrong", () => {
    const ok = { ...result, verified: true, problems: [], entries: [result.entries[0]!] };
    const html = renderToStaticMarkup(<VerificationResult result={ok} />);
    expect(html).toContain('data-verdict="verified"');
    expect(html).toContain("Verified: all 1 entries match the chain");
  });
});
