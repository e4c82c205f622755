import { describe, expect, it } from "vitest";
import { decidable, describeTarget } from "./approvals";

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
