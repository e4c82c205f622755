import type { components } from "../../generated/schema";

export type Verification = components["schemas"]["VerificationView"];
export type EntryStatus = "verified" | "changed" | "added" | "dropped";

export interface VerificationSummary {
  verdict: "verified" | "failed";
  headline: string;
  counts: Record<EntryStatus, number>;
  /** entries with a problem first, then the verified ones, each group by entry id */
  rows: Verification["entries"];
}

const ORDER: Record<string, number> = { changed: 0, added: 1, dropped: 2, verified: 3 };

export function summarize(result: Verification): VerificationSummary {
  const counts: Record<EntryStatus, number> = { verified: 0, changed: 0, added: 0, dropped: 0 };
  for (const entry of result.entries) {
    if (entry.status in counts) counts[entry.status as EntryStatus] += 1;
  }
  const rows = [...result.entries].sort(
    (a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || Number(BigInt(a.entry_id) - BigInt(b.entry_id)),
  );
  const bad = counts.changed + counts.added + counts.dropped;
  // Verified only when the service found no problem at all: signature, anchor and root count as much as entries.
  const verdict = result.verified && bad === 0 ? "verified" : "failed";
  const headline =
    verdict === "verified"
      ? `Verified: all ${counts.verified} entries match the chain, signed and anchored`
      : bad > 0
        ? `Tampered: ${bad} of ${result.entries.length} entries differ from the chain`
        : `Not verified: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} found`;
  return { verdict, headline, counts, rows };
}
