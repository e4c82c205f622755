// The examination deadline of a presentation (UCP 600 Art 14b: five banking days, computed on chain with the
// bank's holidays) counting down in the browser.

export type Urgency = "ok" | "soon" | "overdue";

export interface Countdown {
  overdue: boolean;
  days: number;
  hours: number;
  minutes: number;
  urgency: Urgency;
  label: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Time left until `deadlineSeconds` (unix seconds, as the API gives it) at `nowMs`; "soon" within a day. */
export function countdown(deadlineSeconds: number, nowMs: number): Countdown {
  const left = deadlineSeconds * 1000 - nowMs;
  const span = Math.abs(left);
  const days = Math.floor(span / DAY);
  const hours = Math.floor((span % DAY) / HOUR);
  const minutes = Math.floor((span % HOUR) / MINUTE);
  const parts = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
  if (left <= 0) {
    return { overdue: true, days, hours, minutes, urgency: "overdue", label: `deadline passed ${parts} ago` };
  }
  return { overdue: false, days, hours, minutes, urgency: left < DAY ? "soon" : "ok", label: `${parts} left` };
}
