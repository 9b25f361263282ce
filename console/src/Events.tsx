import { useEffect, useState } from "react";
import { api, type ConsoleConfig, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface SchemaEvent {
  entity: string;
  name: string;
  properties: { path: string; type: string }[];
}
interface Definition {
  id: string;
  entity: string;
  name: string;
  event_name: string;
  offsets: { id: string; interval: string; direction: string }[];
  assignments: number;
}
interface Health {
  status: string;
  database: string;
  temporal: string;
}

/** The event schema discovered from what was sent, the schedule definitions, and the instance's health. */
export function Events({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}`;
  const [schema, setSchema] = useState<SchemaEvent[] | null>(null);
  const [definitions, setDefinitions] = useState<Definition[]>([]);
  const [health, setHealth] = useState<Health | null>(null);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([
      api<SchemaEvent[]>("GET", `${base}/events/schema`).then(setSchema),
      api<Definition[]>("GET", `${base}/schedules`).then(setDefinitions),
      api<ConsoleConfig>("GET", "/api/console/config").then(setConfig),
    ]).catch((e: Error) => setError(e.message));
    // /healthz answers 503 with the same shape when something is down: both are shown.
    fetch("/healthz").then((r) => r.json()).then(setHealth).catch(() => setHealth(null));
  }, [base]);

  if (error) return <Problem message={error} />;
  if (schema === null) return <p className="loading" role="status">Loading events…</p>;
  const ui = config?.temporal_ui_url ? `${config.temporal_ui_url}/namespaces/${config.temporal_namespace}/workflows` : null;
  const query = (q: string) => `${ui}?query=${encodeURIComponent(q)}`;
  return (
    <section className="settings">
      <h1>Events and schedules</h1>
      <div className="card">
        <h2>System</h2>
        {health ? (
          <p data-testid="health">Database: <strong>{health.database}</strong> · Temporal: <strong>{health.temporal}</strong></p>
        ) : <p className="muted">Health unknown.</p>}
        {ui && (
          <ul className="plain">
            <li><a href={query('WorkflowType="SystemClock"')} target="_blank" rel="noreferrer">The system clock in the Temporal UI</a> <span className="muted">(schedule ticks, sweeps, list refreshes)</span></li>
            <li><a href={query(`ProjectId="${project.id}"`)} target="_blank" rel="noreferrer">This project's workflows in the Temporal UI</a></li>
          </ul>
        )}
      </div>
      <div className="card">
        <h2>Event schema</h2>
        {schema.length === 0 ? <p className="muted">No events yet: their names and properties appear here as they arrive.</p> : (
          <table>
            <thead><tr><th scope="col">Event</th><th scope="col">For</th><th scope="col">Properties</th></tr></thead>
            <tbody>
              {schema.map((e) => (
                <tr key={`${e.entity}/${e.name}`}>
                  <td><code>{e.name}</code></td>
                  <td>{e.entity}</td>
                  <td>{e.properties.map((p) => <span key={p.path} className="property"><code>{p.path}</code> <span className="muted">{p.type}</span></span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="card">
        <h2>Schedules</h2>
        {definitions.length === 0 ? <p className="muted">No schedules yet.</p> : (
          <table>
            <thead><tr><th scope="col">Schedule</th><th scope="col">Event</th><th scope="col">Offsets</th><th scope="col">Assigned</th></tr></thead>
            <tbody>
              {definitions.map((d) => (
                <tr key={d.id}>
                  <td>{d.name} <span className="muted">({d.entity})</span></td>
                  <td><code>{d.event_name}</code></td>
                  <td>{d.offsets.map((o) => `${o.interval} ${o.direction}`).join(", ")}</td>
                  <td>{d.assignments.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
