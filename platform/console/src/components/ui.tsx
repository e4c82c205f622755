import { useContext, useEffect, useState, type ReactNode } from "react";
import { describeProblem } from "../api/client";
import { approvalHref, type HeldRequest } from "../lib/approvals";
import { countdown } from "../lib/deadline";
import { formatAmount } from "../lib/money";
import { localTime, toDate, utcTime } from "../lib/time";
import { SessionContext, type Action } from "../session";

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

/** A member as people call it: "you", else its name in the directory, else its shortened address; the full
 * address on hover. */
export function Address({ value, me }: { value: string | null | undefined; me?: string }) {
  const members = useContext(SessionContext)?.members;
  if (!value) return <span className="muted">none</span>;
  const name = members?.get(value.toLowerCase())?.name;
  if (me && value.toLowerCase() === me.toLowerCase()) {
    return (
      <span title={value} className="member">
        you
      </span>
    );
  }
  return name ? (
    <span title={value} className="member">
      {name}
    </span>
  ) : (
    <code title={value} className="address">
      {`${value.slice(0, 6)}…${value.slice(-4)}`}
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

/** A write held for four-eyes approval, announced where it was clicked, with a link to the request. */
export function HeldNotice({ held }: { held: HeldRequest }) {
  return (
    <p className="held" role="status">
      Held for approval: {held.approvals_required} approval(s) by {held.approver_roles.join(" or ")} needed.{" "}
      <a href={approvalHref(held.id)}>Open request {held.operation} in Approvals</a>
    </p>
  );
}

/** What came of a write, where it was clicked: held for approval, or its problem as a sentence (`quiet` when the
 * form already shows the problem next to its field). */
export function ActionOutcome({ action, quiet }: { action: Pick<Action, "held" | "problem">; quiet?: boolean | string | undefined }) {
  return (
    <>
      {action.held ? <HeldNotice held={action.held} /> : null}
      {quiet ? null : <ProblemAlert problem={action.problem} />}
    </>
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
      <FieldError id={errorId} error={props.error} />
    </div>
  );
}

/** The problem sentence of one field, beside it (its input names it with aria-describedby). */
function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <span id={id} className="field-error" role="alert">
      {error}
    </span>
  ) : null;
}

/** A labelled choice, with the problem sentence for its field beside it like `Field`; `placeholder` is the empty
 * choice a form requires to be replaced. */
export function SelectField(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  placeholder?: string;
  error?: string | undefined;
}) {
  const id = `field-${props.name}`;
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errorId : undefined}
      >
        {props.placeholder !== undefined ? <option value="">{props.placeholder}</option> : null}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldError id={errorId} error={props.error} />
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
