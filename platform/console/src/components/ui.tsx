import { useEffect, useState, type ReactNode } from "react";
import { describeProblem } from "../api/client";
import { countdown } from "../lib/deadline";
import { formatAmount } from "../lib/money";
import { localTime, toDate, utcTime } from "../lib/time";

export function Amount({ minor, currency }: { minor: string | number; currency: string }) {
  return <span className="amount">{formatAmount(minor, currency)}</span>;
}

/** A time in the user's zone; UTC on hover. `value`: ISO 8601 or unix seconds. */
export function When({ value }: { value: string | number }) {
  return (
    <time dateTime={toDate(value).toISOString()} title={`${utcTime(value)} (UTC)`}>
      {localTime(value)}
    </time>
  );
}

export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** The examination deadline counting down (UCP 600 Art 14b: five banking days, computed on chain). */
export function Deadline({ seconds, now }: { seconds: number; now: number }) {
  const c = countdown(seconds, now);
  return (
    <span className={`deadline deadline-${c.urgency}`} role="timer" aria-live="off">
      {c.label} <small>(<When value={seconds} />)</small>
    </span>
  );
}

export function Address({ value, me }: { value: string | null | undefined; me?: string }) {
  if (!value) return <span className="muted">none</span>;
  const short = `${value.slice(0, 6)}…${value.slice(-4)}`;
  return (
    <code title={value} className="address">
      {me && value.toLowerCase() === me.toLowerCase() ? "you" : short}
    </code>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section className="card" aria-labelledby={id ?? slug(title)}>
      <h2 id={id ?? slug(title)}>{title}</h2>
      {children}
    </section>
  );
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

export function ProblemAlert({ problem }: { problem: unknown }) {
  if (!problem) return null;
  return (
    <p className="problem" role="alert">
      {describeProblem(problem).message}
    </p>
  );
}

/** A labelled input with the problem+json sentence for its field shown next to it. */
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  type?: string;
  multiline?: boolean;
  autoComplete?: string;
}) {
  const id = `field-${props.name}`;
  const errorId = `${id}-error`;
  const common = {
    id,
    name: props.name,
    value: props.value,
    "aria-invalid": props.error ? true : undefined,
    "aria-describedby": props.error ? errorId : undefined,
    autoComplete: props.autoComplete,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={2} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type={props.type ?? "text"} onChange={(e) => props.onChange(e.target.value)} />
      )}
      {props.error ? (
        <span id={errorId} className="field-error" role="alert">
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state.toLowerCase()}`}>{state.replace(/_/g, " ").toLowerCase()}</span>;
}

/** A table's header row; an empty name is a column for actions. */
export function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c, i) => (
          <th key={i} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
