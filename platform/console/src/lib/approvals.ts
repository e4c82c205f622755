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
