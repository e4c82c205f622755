import { describe, expect, it } from "vitest";
import { approvalHref, decidable, describeTarget, heldRequest, parseLocation } from "./approvals";

const request = { status: "pending", maker: "u-maker", approver_roles: ["checker"], approvals: [] as { user_id: string }[] };

describe("decidable", () => {
  it("lets a checker decide on another's pending request, once", () => {
    expect(decidable(request, { id: "u-checker", roles: ["checker"] })).toBe(true);
    expect(decidable({ ...request, approvals: [{ user_id: "u-checker" }] }, { id: "u-checker", roles: ["checker"] })).toBe(false);
  });
  it("never the maker, a user without an approver role, or a decided request", () => {
    expect(decidable(request, { id: "u-maker", roles: ["checker", "maker"] })).toBe(false);
    expect(decidable(request, { id: "u-viewer", roles: ["viewer"] })).toBe(false);
    expect(decidable({ ...request, status: "sent" }, { id: "u-checker", roles: ["checker"] })).toBe(false);
  });
});

describe("describeTarget", () => {
  it("names what a request is about", () => {
    expect(describeTarget({ lc_id: "3", presentation_id: "1" })).toBe("credit 3, presentation 1");
    expect(describeTarget({ undertaking_id: "7" })).toBe("undertaking 7");
    expect(describeTarget({})).toBe("the member");
  });
});

describe("held writes", () => {
  const held = { id: "req-7", operation: "undertakings.accept_mismatch", target: { undertaking_id: "3" }, amount: 10, currency: "USD", approvals_required: 1, approver_roles: ["checker"], approvals: [] };
  it("tells a write held for approval (202 with the request) from one that was done", () => {
    expect(heldRequest(held)).toEqual({ id: "req-7", operation: "undertakings.accept_mismatch", approvals_required: 1, approver_roles: ["checker"] });
    expect(heldRequest({ undertaking_id: "3", state: "ESTABLISHED" })).toBeNull();
    expect(heldRequest({ id: "tx-1", status: "pending" })).toBeNull(); // a pending transaction (202 without the request)
    expect(heldRequest(undefined)).toBeNull();
  });
  it("links to the request in the Approvals tab, and reads the link back", () => {
    expect(approvalHref("req 7/a")).toBe("#approvals/req%207%2Fa");
    expect(parseLocation(approvalHref("req 7/a"))).toEqual({ tab: "approvals", focus: "req 7/a" });
    expect(parseLocation("#open-account")).toEqual({ tab: "open-account", focus: null });
    expect(parseLocation("")).toBeNull();
  });
});
