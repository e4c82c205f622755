import { describe, expect, it } from "vitest";
import { countdown } from "./deadline";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const at = (ms: number) => Math.floor((NOW + ms) / 1000);

describe("countdown", () => {
  it("counts days and hours when more than a day is left", () => {
    const c = countdown(at((3 * 24 + 4) * 3_600_000 + 59_000), NOW);
    expect(c).toMatchObject({ overdue: false, days: 3, hours: 4, urgency: "ok", label: "3 d 4 h left" });
  });
  it("turns urgent within the last day", () => {
    expect(countdown(at(5 * 3_600_000 + 12 * 60_000), NOW)).toMatchObject({ urgency: "soon", label: "5 h 12 min left" });
    expect(countdown(at(90_000), NOW).label).toBe("1 min left");
  });
  it("is overdue at and after the deadline", () => {
    expect(countdown(at(0), NOW)).toMatchObject({ overdue: true, urgency: "overdue" });
    expect(countdown(at(-2 * 3_600_000), NOW).label).toBe("deadline passed 2 h 0 min ago");
  });
  it("moves as time passes", () => {
    const deadline = at(2 * 3_600_000);
    expect(countdown(deadline, NOW).hours).toBe(2);
    expect(countdown(deadline, NOW + 3_600_000).hours).toBe(1);
  });
});
