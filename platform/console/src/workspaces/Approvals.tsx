import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { Amount, Field, Head, ProblemAlert, Section, StateBadge, When } from "../components/ui";
import { decidable, describeTarget } from "../lib/approvals";
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

export function ApprovalsWorkspace() {
  const { user } = useSession();
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
          <Decision key={r.id} request={r} />
        ))}
      </Section>
      <Section title="Your pending requests">
        <RequestTable requests={mine} empty="None of your requests is pending." />
      </Section>
      <Section title="Decided">
        <RequestTable requests={decided} empty="No request decided yet." />
      </Section>
    </div>
  );
}

function RequestTable({ requests, empty }: { requests: Request[]; empty: string }) {
  return (
    <>
      <table>
        <Head cols={["Operation", "Of", "Amount", "Approvals", "Status", "Asked"]} />
        <tbody>
          {requests.map((r) => (
            <tr key={r.id} data-request={r.id}>
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
          ))}
        </tbody>
      </table>
      {requests.length === 0 ? <p className="muted">{empty}</p> : null}
    </>
  );
}

function Decision({ request }: { request: Request }) {
  const { api } = useSession();
  const approve = useAction();
  const reject = useAction();
  const [reason, setReason] = useState("");
  const path = { request_id: request.id };
  const approvedBy = request.approvals.filter((a) => a.decision === "approved").length;
  const fields = describeProblem(reject.problem).fields;
  return (
    <form
      className="detail-panel"
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
      <ProblemAlert problem={approve.problem} />
      {fields.reason ? null : <ProblemAlert problem={reject.problem} />}
    </form>
  );
}
