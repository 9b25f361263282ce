import { useEffect, useState } from "react";
import { api } from "./api";

export interface Series {
  bucket: "hour" | "day";
  points: { at: string; counts: Record<string, number | null> }[];
}

/** The engagement a chart of a campaign's or a journey's messages shows. */
export const ENGAGEMENT = ["sent", "delivered", "opened", "clicked", "bounced"];

// Colours distinct for colour-blind readers (Okabe–Ito), each with a text label beside its line.
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a5a00", "#56B4E9", "#000000"];
// The counts are folded in each minute: a chart looks again at that pace.
const REFRESH_MS = 30_000;
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 24 };

/** A chart of counts over time, loaded from `path`, with the span to show chosen beside it. Its numbers
are a table too, for screen readers and for anyone who wants them exact. */
export function ChartPanel({ title, path, metrics, gauge = false }: {
  title: string; path: string; metrics: string[]; gauge?: boolean;
}) {
  const [days, setDays] = useState(7);
  const [series, setSeries] = useState<Series | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = () => document.visibilityState === "hidden" ? undefined : api<Series>("GET", `${path}?days=${days}`)
      .then((s) => { if (!stopped) { setSeries(s); setError(null); } })
      .catch((e: Error) => { if (!stopped) setError(e.message); });
    void load();
    const timer = window.setInterval(load, REFRESH_MS);
    return () => { stopped = true; window.clearInterval(timer); };
  }, [path, days]);
  const id = title.toLowerCase().replace(/[^a-z]+/g, "-");
  return (
    <section className="card chart" aria-labelledby={id}>
      <div className="rule-row">
        <h2 id={id}>{title}</h2>
        <label htmlFor={`${id}-days`} className="muted">Span</label>
        <select id={`${id}-days`} value={days} onChange={(e) => setDays(Number(e.target.value))}>
          <option value={1}>last 24 hours</option>
          <option value={7}>last 7 days</option>
          <option value={30}>last 30 days</option>
          <option value={90}>last 90 days</option>
        </select>
      </div>
      {error ? <p className="error" role="alert">{error}</p> : series === null ? <p className="muted">Loading…</p> : (
        <Chart series={series} metrics={metrics} label={title} gauge={gauge} />
      )}
    </section>
  );
}

/** Counters show their total over the span; a gauge (a list's size) its latest value. */
export function Chart({ series, metrics, label, gauge }: { series: Series; metrics: string[]; label: string; gauge: boolean }) {
  const values = series.points.flatMap((p) => metrics.map((m) => p.counts[m] ?? 0));
  const top = Math.max(1, ...values);
  const n = series.points.length;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (WIDTH - PAD.left - PAD.right));
  const y = (v: number) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const when = (at: string) => series.bucket === "hour"
    ? new Date(at).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
    : new Date(at).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  const totals = metrics.map((m) => gauge
    ? series.points.reduce<number | null>((last, p) => p.counts[m] ?? last, null) ?? 0
    : series.points.reduce((sum, p) => sum + (p.counts[m] ?? 0), 0));
  const summary = metrics.map((m, i) => `${m} ${totals[i]}${gauge ? " now" : ""}`).join(", ");
  return (
    <figure className="chart-figure">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${summary}`} data-testid="chart">
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} className="axis" />
        <text x={PAD.left - 6} y={y(top) + 4} textAnchor="end" className="tick">{top}</text>
        <text x={PAD.left - 6} y={y(0) + 4} textAnchor="end" className="tick">0</text>
        {n > 0 && <text x={PAD.left} y={HEIGHT - 6} className="tick">{when(series.points[0].at)}</text>}
        {n > 1 && <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end" className="tick">{when(series.points[n - 1].at)}</text>}
        {metrics.map((m, k) => {
          const line = series.points
            .map((p, i) => (p.counts[m] === null ? null : `${x(i)},${y(p.counts[m] ?? 0)}`))
            .filter((pt): pt is string => pt !== null)
            .join(" ");
          return <polyline key={m} points={line} fill="none" stroke={COLOURS[k % COLOURS.length]} strokeWidth={2} />;
        })}
      </svg>
      <figcaption className="legend">
        {metrics.map((m, k) => (
          <span key={m}><span className="swatch" style={{ background: COLOURS[k % COLOURS.length] }} aria-hidden="true" />
            {m} {totals[k]}{gauge ? " now" : ""}</span>
        ))}
      </figcaption>
      <details>
        <summary>The numbers</summary>
        <table className="numbers">
          <thead><tr><th scope="col">{series.bucket === "hour" ? "Hour" : "Day"}</th>{metrics.map((m) => <th key={m} scope="col">{m}</th>)}</tr></thead>
          <tbody>
            {series.points.filter((p) => metrics.some((m) => p.counts[m])).map((p) => (
              <tr key={p.at}><td>{when(p.at)}</td>{metrics.map((m) => <td key={m}>{p.counts[m] ?? "–"}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
