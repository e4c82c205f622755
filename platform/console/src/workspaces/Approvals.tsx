import { useEffect, useRef, useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { ActionOutcome, Amount, Field, Head, Section, StateBadge, When } from "../components/ui";
import { decidable, describeTarget, parseLocation } from "../lib/approvals";
import { must, useAction, useLoad, useSession } from "../session";

type Request = Schemas["RequestView"];

/** Maker-checker: the member's requests held for approval. A checker decides on others' pending requests (approve
 * with an optional reason, reject with a required one); a maker follows its own. */
function useRequests() {
  return useLoad(async (api) => must(await api.GET("/v1/approvals", { params: { query: { limit: 100 } } })).items);
}

/** How many requests wait for the caller's decision, beside the tab's name (nothing when none). */
export function WaitingCount() {
  const { user } = useSession();
  const waiting = (useRequests().data ?? []).filter((r) => decidable(r, user)).length;
  return waiting > 0 ? (
    <span className="count" title={`${waiting} request(s) wait for your decision`}>
      {" "}
      {waiting}
    </span>
  ) : null;
}

/** The request the page's address points at (`#approvals/<id>`, the link of a held write), followed as it changes. */
function useFocusedRequest(): string | null {
  const read = () => {
    const place = parseLocation(globalThis.location?.hash ?? "");
    return place?.tab === "approvals" ? place.focus : null;
  };
  const [focus, setFocus] = useState(read);
  useEffect(() => {
    const follow = () => setFocus(read());
    globalThis.addEventListener("hashchange", follow);
    return () => globalThis.removeEventListener("hashchange", follow);
  }, []);
  return focus;
}

/** Marks the element of the focused request and scrolls it into view once it is there. */
function useFocusMark<T extends HTMLElement>(focused: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView?.({ block: "center" });
  }, [focused]);
  return { ref, className: focused ? "focused" : undefined, "aria-current": focused ? ("true" as const) : undefined };
}

export function ApprovalsWorkspace() {
  const { user } = useSession();
  const focus = useFocusedRequest();
  const requests = useRequests();
  const all = requests.data ?? [];
  const toDecide = all.filter((r) => decidable(r, user));
  const mine = all.filter((r) => r.maker === user.id && r.status === "pending");
  const decided = all.filter((r) => r.status !== "pending").slice(0, 20);
  return (
    <div className="grid">
      <Section title="Waiting for your decision">
        {toDecide.length === 0 ? <p className="muted">Nothing waits for your decision.</p> : null}
        {toDecide.map((r) => (
          <Decision key={r.id} request={r} focused={r.id === focus} />
        ))}
      </Section>
      <Section title="Your pending requests">
        <RequestTable requests={mine} focus={focus} empty="None of your requests is pending." />
      </Section>
      <Section title="Decided">
        <RequestTable requests={decided} focus={focus} empty="No request decided yet." />
      </Section>
    </div>
  );
}

function RequestTable({ requests, empty, focus }: { requests: Request[]; empty: string; focus: string | null }) {
  return (
    <>
      <table>
        <Head cols={["Operation", "Of", "Amount", "Approvals", "Status", "Asked"]} />
        <tbody>
          {requests.map((r) => (
            <RequestRow key={r.id} request={r} focused={r.id === focus} />
          ))}
        </tbody>
      </table>
      {requests.length === 0 ? <p className="muted">{empty}</p> : null}
    </>
  );
}

function RequestRow({ request: r, focused }: { request: Request; focused: boolean }) {
  const mark = useFocusMark<HTMLTableRowElement>(focused);
  return (
    <tr data-request={r.id} {...mark}>
      <td>{r.operation}</td>
      <td>{describeTarget(r.target)}</td>
      <td>
        <Amount minor={r.amount} currency={r.currency} />
      </td>
      <td>
        {r.approvals.filter((a) => a.decision === "approved").length} of {r.approvals_required}
      </td>
      <td>
        <StateBadge state={r.status} />
        {r.reason ? <span className="muted"> {r.reason}</span> : null}
      </td>
      <td>
        <When value={r.created_at} />
      </td>
    </tr>
  );
}

function Decision({ request, focused }: { request: Request; focused: boolean }) {
  const { api } = useSession();
  const mark = useFocusMark<HTMLFormElement>(focused);
  const approve = useAction();
  const reject = useAction();
  const [reason, setReason] = useState("");
  const path = { request_id: request.id };
  const approvedBy = request.approvals.filter((a) => a.decision === "approved").length;
  const fields = describeProblem(reject.problem).fields;
  return (
    <form
      ref={mark.ref}
      aria-current={mark["aria-current"]}
      className={mark.className ? `detail-panel ${mark.className}` : "detail-panel"}
      aria-label={`Request ${request.operation} of ${describeTarget(request.target)}`}
      data-request={request.id}
      onSubmit={(e) => e.preventDefault()}
    >
      <p>
        <strong>{request.operation}</strong> of {describeTarget(request.target)}: <Amount minor={request.amount} currency={request.currency} />,{" "}
        asked <When value={request.created_at} />; {approvedBy} of {request.approvals_required} approval(s), by{" "}
        {request.approver_roles.join(" or ")}.
      </p>
      <Field label="Reason" name={`reason-${request.id}`} value={reason} onChange={setReason} error={fields.reason} multiline />
      <button
        type="button"
        disabled={approve.busy || reject.busy}
        onClick={() =>
          approve.run(() => api.POST("/v1/approvals/{request_id}/approve", { params: { path, ...write() }, body: { reason } }))
        }
      >
        Approve
      </button>{" "}
      <button
        type="button"
        className="secondary"
        disabled={approve.busy || reject.busy}
        onClick={() => reject.run(() => api.POST("/v1/approvals/{request_id}/reject", { params: { path, ...write() }, body: { reason } }))}
      >
        Reject
      </button>
      <ActionOutcome action={approve} />
      <ActionOutcome action={reject} quiet={fields.reason} />
    </form>
  );
}
