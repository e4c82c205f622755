import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { BarChart, StackedBars } from "../components/charts";
import { ActionOutcome, Amount, Field, Head, Section, StateBadge, When } from "../components/ui";
import { must, useAction, useLoad, useSession } from "../session";

type Break = Schemas["BreakView"];

const DAY = 86_400_000;

/** A break category as people say it: in a books-vs-ledger run the books are the counterparty side. */
export function categoryLabel(category: string): string {
  return category === "MISSING_IN_COUNTERPARTY" ? "missing in books" : category.toLowerCase().replace(/_/g, " ");
}

export function ageBucket(since: string, now: number): string {
  const days = Math.floor((now - Date.parse(since)) / DAY);
  return days < 1 ? "today" : days < 3 ? "1-2 days" : days < 8 ? "3-7 days" : "older";
}

export function ReconciliationWorkspace() {
  const runs = useLoad(async (api) => must(await api.GET("/v1/reconciliations", { params: { query: { limit: 50 } } })).items);
  const [selected, setSelected] = useState<string | null>(null);
  const list = runs.data ?? [];
  const run = list.find((r) => r.id === selected) ?? list[0];
  return (
    <div className="grid">
      <Section title="Reconciliation runs">
        <table>
          <Head cols={["Run", "Account", "Period", "Breaks", ""]} />
          <tbody>
            {list.map((r) => (
              <tr key={r.id} aria-current={run?.id === r.id ? "true" : undefined}>
                <td>{r.id}</td>
                <td>
                  <code title={r.account}>{r.account.slice(0, 10)}…</code> {r.currency}
                </td>
                <td>
                  <When value={r.period_start} /> – <When value={r.period_end} />
                </td>
                <td>{Object.values(r.breaks_by_status).reduce((a, b) => a + Number(b), 0)}</td>
                <td>
                  <button type="button" onClick={() => setSelected(r.id)}>
                    Open run {r.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 ? <p className="muted">No reconciliation run yet.</p> : null}
        {list.length > 0 ? (
          <>
            <h3>Breaks by category over time</h3>
            <StackedBars
              title="Breaks by category, run by run"
              rows={[...list]
                .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
                .map((r) => ({
                  label: `run ${r.id}, ${new Date(r.created_at).toLocaleDateString()}`,
                  parts: Object.fromEntries(
                    Object.entries(r.breaks_by_category)
                      .filter(([, n]) => Number(n) > 0)
                      .map(([k, n]) => [categoryLabel(k), Number(n)]),
                  ),
                }))}
            />
          </>
        ) : null}
      </Section>
      {run ? <Breaks runId={run.id} /> : null}
    </div>
  );
}

function Breaks({ runId }: { runId: string }) {
  const { api } = useSession();
  const breaks = useLoad(
    async (a) => must(await a.GET("/v1/reconciliations/{run_id}/breaks", { params: { path: { run_id: Number(runId) }, query: { limit: 200 } } })).items,
    [runId],
  );
  const list = breaks.data ?? [];
  const now = Date.now();
  const byCategory = count(list.map((b) => categoryLabel(b.category)));
  const byAge = count(list.filter((b) => b.status !== "resolved").map((b) => ageBucket(b.updated_at, now)));
  const exportRun = async (format: "csv" | "json") => {
    const answer = await api.GET("/v1/reconciliations/{run_id}/export", {
      params: { path: { run_id: Number(runId) }, query: { format } },
      parseAs: "blob",
    });
    if (!answer.data) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(answer.data as Blob);
    link.download = `breaks-${runId}.${format}`;
    link.click();
  };
  return (
    <Section title={`Breaks of run ${runId}`} id="breaks">
      <div className="charts">
        <div>
          <h3>By category</h3>
          <BarChart title="Breaks by category" bars={byCategory} />
        </div>
        <div>
          <h3>Open breaks by age</h3>
          <BarChart title="Open breaks by age" bars={byAge} />
        </div>
      </div>
      <p>
        <button type="button" onClick={() => exportRun("csv")}>
          Export CSV
        </button>{" "}
        <button type="button" onClick={() => exportRun("json")}>
          Export JSON
        </button>
      </p>
      <ul className="breaks">
        {list.map((b) => (
          <BreakItem key={b.id} runId={runId} item={b} />
        ))}
      </ul>
    </Section>
  );
}

function count(labels: string[]): { label: string; value: number }[] {
  const map = new Map<string, number>();
  for (const label of labels) map.set(label, (map.get(label) ?? 0) + 1);
  return [...map.entries()].map(([label, value]) => ({ label, value }));
}

function BreakItem({ runId, item }: { runId: string; item: Break }) {
  const { api } = useSession();
  const resolve = useAction();
  const assign = useAction();
  const [note, setNote] = useState("");
  const [assignee, setAssignee] = useState("");
  const path = { run_id: Number(runId), break_id: Number(item.id) };
  const noteError = describeProblem(resolve.problem).fields.note;
  const assigneeError = describeProblem(assign.problem).fields.assignee;
  return (
    <li className="break" data-break={item.id} data-status={item.status}>
      <p>
        <strong>#{item.id}</strong> {categoryLabel(item.category)} <StateBadge state={item.status} />{" "}
        {item.difference && item.currency ? (
          <>
            difference <Amount minor={item.difference} currency={item.currency} />
          </>
        ) : null}{" "}
        <span className="muted">{item.detail}</span> <When value={item.updated_at} />
        {item.assignee ? <> · assigned to {item.assignee}</> : null}
      </p>
      {item.status !== "resolved" ? (
        <div className="break-actions">
          <form
            aria-label={`Resolve break ${item.id}`}
            onSubmit={(e) => {
              e.preventDefault();
              void resolve.run(() =>
                api.POST("/v1/reconciliations/{run_id}/breaks/{break_id}/resolve", { params: { path, ...write() }, body: { note } }),
              );
            }}
          >
            <Field label={`Resolution note for break ${item.id}`} name={`note-${item.id}`} value={note} onChange={setNote} error={noteError} />
            <button type="submit" disabled={resolve.busy}>
              Resolve break {item.id}
            </button>
            <ActionOutcome action={resolve} quiet={noteError} />
          </form>
          <form
            aria-label={`Assign break ${item.id}`}
            onSubmit={(e) => {
              e.preventDefault();
              void assign.run(() =>
                api.POST("/v1/reconciliations/{run_id}/breaks/{break_id}/assign", { params: { path, ...write() }, body: { assignee } }),
              );
            }}
          >
            <Field label={`Assignee for break ${item.id}`} name={`assignee-${item.id}`} value={assignee} onChange={setAssignee} error={assigneeError} />
            <button type="submit" disabled={assign.busy}>
              Assign break {item.id}
            </button>
            <ActionOutcome action={assign} quiet={assigneeError} />
          </form>
        </div>
      ) : null}
    </li>
  );
}
