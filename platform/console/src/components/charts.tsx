// Small SVG pictures: no chart library. Each has a text alternative (role="img" + aria-label, and a table or
// list beside it where the numbers matter).
import { formatAmount } from "../lib/money";
import { localTime, utcTime } from "../lib/time";

export interface Bar {
  label: string;
  value: number;
}

export function BarChart({ bars, title }: { bars: Bar[]; title: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 22;
  const width = 360;
  const labelWidth = 170;
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(", ");
  return (
    <svg
      className="chart"
      role="img"
      aria-label={`${title}: ${summary || "none"}`}
      viewBox={`0 0 ${width} ${Math.max(rowHeight, bars.length * rowHeight)}`}
      width="100%"
    >
      {bars.map((bar, i) => (
        <g key={bar.label} transform={`translate(0 ${i * rowHeight})`}>
          <text x={0} y={15} className="chart-label">
            {bar.label}
          </text>
          <rect x={labelWidth} y={4} height={14} width={((width - labelWidth - 30) * bar.value) / max} rx={2} />
          <text x={labelWidth + ((width - labelWidth - 30) * bar.value) / max + 4} y={15} className="chart-value">
            {bar.value}
          </text>
        </g>
      ))}
    </svg>
  );
}

export interface Point {
  at: number; // unix seconds
  value: bigint; // minor units
}

export function LineChart({ points, currency, title }: { points: Point[]; currency: string; title: string }) {
  const width = 360;
  const height = 120;
  if (points.length === 0) return <p className="muted">No movements yet.</p>;
  const xs = points.map((p) => p.at);
  const ys = points.map((p) => Number(p.value)); // plotting only: the labels stay exact
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(1, ...ys)];
  const x = (v: number) => 10 + ((width - 20) * (v - x0)) / Math.max(1, x1 - x0);
  const y = (v: number) => height - 10 - ((height - 20) * (v - y0)) / Math.max(1, y1 - y0);
  let path = "";
  points.forEach((p, i) => {
    const px = x(p.at);
    const py = y(Number(p.value));
    path += i === 0 ? `M${px},${py}` : ` H${px} V${py}`; // a balance steps at each posting
  });
  const last = points[points.length - 1]!;
  return (
    <svg
      className="chart"
      role="img"
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      aria-label={`${title}: ${points.length} movements, now ${formatAmount(last.value, currency)}`}
    >
      <line x1={10} x2={width - 10} y1={y(0)} y2={y(0)} className="chart-axis" />
      <path d={path} className="chart-line" fill="none" />
      {points.map((p, i) => (
        <circle key={i} cx={x(p.at)} cy={y(Number(p.value))} r={3} className="chart-dot">
          <title>{`${localTime(p.at)} (${utcTime(p.at)} UTC): ${formatAmount(p.value, currency)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

export interface Step {
  label: string;
  at: number | null; // unix seconds, null: not reached
  party: { name: string; address: string } | null; // who took the step: its name, the address on hover
}

/** An LC's life: applied → issued → advised → confirmed → presented → ... → honoured, with dates and parties. */
export function Timeline({ steps, title }: { steps: Step[]; title: string }) {
  const gap = 96;
  const width = Math.max(360, steps.length * gap + 40);
  return (
    <figure className="timeline">
      <svg role="img" aria-label={title} viewBox={`0 0 ${width} 64`} width="100%">
        <line x1={40} x2={40 + (steps.length - 1) * gap} y1={20} y2={20} className="chart-axis" />
        {steps.map((step, i) => (
          <g key={`${step.label}-${i}`} transform={`translate(${40 + i * gap} 0)`}>
            <circle cy={20} r={8} className={step.at === null ? "step-todo" : "step-done"} />
            <text y={46} textAnchor="middle" className="chart-label">
              {step.label}
            </text>
            <text y={60} textAnchor="middle" className="chart-value">
              {step.at === null ? "" : new Date(step.at * 1000).toLocaleDateString()}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        <ol className="timeline-list">
          {steps
            .filter((s) => s.at !== null)
            .map((s, i) => (
              <li key={i}>
                {s.label} <time title={`${utcTime(s.at!)} (UTC)`}>{localTime(s.at!)}</time>
                {s.party ? (
                  <>
                    {" "}
                    by <span className="party" title={s.party.address}>{s.party.name}</span>
                  </>
                ) : null}
              </li>
            ))}
        </ol>
      </figcaption>
    </figure>
  );
}

export interface StackRow {
  label: string;
  parts: Record<string, number>;
}

const PALETTE = ["#0b4f9c", "#b42318", "#7a2e0e", "#05603a", "#6941c6", "#344054", "#c11574", "#0e7090"];

/** One stacked bar per row (e.g. per reconciliation run, oldest first): how the parts change over time. */
export function StackedBars({ rows, title }: { rows: StackRow[]; title: string }) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.parts)))].sort();
  const max = Math.max(1, ...rows.map((r) => Object.values(r.parts).reduce((a, b) => a + b, 0)));
  const rowHeight = 22;
  const width = 360;
  const labelWidth = 120;
  const summary = rows
    .map((r) => `${r.label}: ${keys.map((k) => `${k} ${r.parts[k] ?? 0}`).join(", ")}`)
    .join("; ");
  return (
    <figure>
      <svg className="chart" role="img" aria-label={`${title}: ${summary || "none"}`} viewBox={`0 0 ${width} ${Math.max(rowHeight, rows.length * rowHeight)}`} width="100%">
        {rows.map((row, i) => {
          let x = labelWidth;
          return (
            <g key={`${row.label}-${i}`} transform={`translate(0 ${i * rowHeight})`}>
              <text x={0} y={15} className="chart-label">
                {row.label}
              </text>
              {keys.map((k, j) => {
                const w = ((width - labelWidth - 10) * (row.parts[k] ?? 0)) / max;
                const rect = <rect key={k} x={x} y={4} width={w} height={14} style={{ fill: PALETTE[j % PALETTE.length] }} />;
                x += w;
                return rect;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {keys.map((k, j) => (
          <span key={k}>
            <span className="swatch" style={{ background: PALETTE[j % PALETTE.length] }} aria-hidden="true" /> {k}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
