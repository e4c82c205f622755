import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { MatchReport } from "../workspaces/OpenAccount";
import { ActionOutcome } from "./ui";

describe("ActionOutcome", () => {
  it("announces a held write with a link to its request in the Approvals tab", () => {
    const held = { id: "r-1", operation: "undertakings.accept_mismatch", approvals_required: 2, approver_roles: ["checker", "head"] };
    const html = renderToStaticMarkup(<ActionOutcome action={{ held, problem: null }} />);
    expect(html).toContain('role="status"');
    expect(html).toContain("Held for approval: 2 approval(s) by checker or head needed.");
    expect(html).toContain('<a href="#approvals/r-1">Open request undertakings.accept_mismatch in Approvals</a>');
  });
  it("says a problem as a sentence, unless the form shows it next to its field", () => {
    const problem = { code: "conflict", detail: "the undertaking expired" };
    expect(renderToStaticMarkup(<ActionOutcome action={{ held: null, problem }} />)).toContain('role="alert"');
    expect(renderToStaticMarkup(<ActionOutcome action={{ held: null, problem }} quiet />)).toBe("");
  });
});

describe("MatchReport", () => {
  const comparisons = [
    { field: "invoice.amount", expected: "400000", actual: "400000", tolerance: "exact", ok: true },
    { field: "seller", expected: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", actual: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", tolerance: "exact", ok: true },
    { field: "line[JASMINE].quantity", expected: "200", actual: "180", tolerance: "-200 bps / +200 bps", ok: false },
  ];
  const report = { matched: false, accepted: false, report_hash: "0x" + "ab".repeat(32), recorded_by: "0x1", matched_at: null, comparisons, mismatches: [comparisons[1]!] };
  it("lists every field compared, the mismatches first and marked", () => {
    const html = renderToStaticMarkup(<MatchReport report={report} />);
    expect(html).toContain('data-verdict="mismatch"');
    expect(html).toContain("1 mismatch(es) in 3 comparisons");
    expect(html).toContain('<code title="0x14dC79964da2C08b23698B3D3cc7Ca32193d9955" class="address">0x14dC…9955</code>'); // a member, not a raw value
    expect(html).toMatch(/<tr data-field="line\[JASMINE\]\.quantity" class="mismatch"><td>line\[JASMINE\]\.quantity<\/td><td>200<\/td><td>180<\/td><td>-200 bps \/ \+200 bps<\/td><td><strong>mismatch<\/strong><\/td><\/tr><tr data-field="invoice.amount">/);
  });
  it("says when only the report's hash is known here", () => {
    const html = renderToStaticMarkup(<MatchReport report={{ ...report, matched: true, comparisons: null, mismatches: null }} />);
    expect(html).toContain('data-verdict="matched"');
    expect(html).toContain("not held by this instance");
  });
});
