// Who may decide on a held request, as the service decides it (tradeledger.users.approvals): a pending request,
// not one's own, by a user holding one of the policy's approver roles, once per user.

export interface RequestLike {
  status: string;
  maker: string;
  approver_roles: string[];
  approvals: { user_id: string }[];
}

export interface UserLike {
  id: string;
  roles: string[];
}

export function decidable(request: RequestLike, user: UserLike): boolean {
  return (
    request.status === "pending" &&
    request.maker !== user.id &&
    request.approver_roles.some((role) => user.roles.includes(role)) &&
    !request.approvals.some((a) => a.user_id === user.id)
  );
}

const TARGET_WORDS: Record<string, string> = {
  lc_id: "credit",
  presentation_id: "presentation",
  guarantee_id: "guarantee",
  demand_id: "demand",
  document_id: "document",
  record_id: "record",
  order_id: "order",
  claim_id: "claim",
};

/** A request's target as words: `{lc_id: "3", presentation_id: "1"}` → "credit 3, presentation 1". */
export function describeTarget(target: Record<string, string>): string {
  const parts = Object.entries(target).map(([key, value]) => `${TARGET_WORDS[key] ?? key.replace(/_id$/, "").replace(/_/g, " ")} ${value}`);
  return parts.length ? parts.join(", ") : "the member";
}

/** The approval request a held write answers with (202): what the screen announces where the write was clicked. */
export interface HeldRequest {
  id: string;
  operation: string;
  approvals_required: number;
  approver_roles: string[];
}

/** The answer of a write as a held request, or null when it was done (any other answer). */
export function heldRequest(answer: unknown): HeldRequest | null {
  if (typeof answer !== "object" || answer === null) return null;
  const a = answer as Record<string, unknown>;
  const held =
    typeof a.id === "string" && typeof a.operation === "string" && typeof a.approvals_required === "number" && Array.isArray(a.approver_roles);
  return held ? { id: a.id as string, operation: a.operation as string, approvals_required: a.approvals_required as number, approver_roles: a.approver_roles as string[] } : null;
}

/** The console's address of one approval request (the Approvals tab, scrolled to it), and back. */
export function approvalHref(id: string): string {
  return `#approvals/${encodeURIComponent(id)}`;
}

/** `#tab` or `#tab/focus` → the tab and what it focuses (an approval request's id); null for no tab. */
export function parseLocation(hash: string): { tab: string; focus: string | null } | null {
  const match = /^#([a-z-]+)(?:\/(.+))?$/.exec(hash);
  return match ? { tab: match[1]!, focus: match[2] ? decodeURIComponent(match[2]) : null } : null;
}
