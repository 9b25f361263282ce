import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, ApiError, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface User {
  id: string;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  identifier: { source: string; external_id: string }[];
  data: Record<string, unknown>;
  created_at: string;
}
interface TimelineEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  source: string;
  created_at: string;
}
interface Subscription {
  group_id: string;
  name: string;
  channel: string;
  state: "subscribed" | "unsubscribed";
  explicit: boolean;
}
interface UserRun {
  journey_id: string;
  journey_name: string;
  workflow_id: string;
  version: number;
  status: string;
  current_step: string | null;
  created_at: string;
}
interface Schedule {
  id: string;
  name: string;
  scheduled_at: string | null;
  interval: string | null;
  status: string;
}
interface Message {
  key: string;
  campaign_id: string;
  status: string;
  reason: string | null;
  created_at: string;
}

/** Find people by their identifier, email or phone; without a search, the first page of users. */
export function Users({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}/users`;
  const [by, setBy] = useState<"external_id" | "email" | "phone">("external_id");
  const [term, setTerm] = useState("");
  const [found, setFound] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const search = useCallback(async (event?: FormEvent) => {
    event?.preventDefault();
    setError(null);
    try {
      if (!term.trim()) {
        setFound((await api<{ results: User[] }>("GET", `${base}?limit=50`)).results);
      } else if (by === "external_id") {
        setFound([await api<User>("GET", `${base}?external_id=${encodeURIComponent(term.trim())}`)]);
      } else {
        setFound((await api<{ results: User[] }>("GET", `${base}?${by}=${encodeURIComponent(term.trim())}&limit=50`)).results);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setFound([]);
      else setError((e as Error).message);
    }
  }, [base, by, term]);
  useEffect(() => {
    void search();
  }, [project.id]);  // the first page when the page opens

  return (
    <section className="users">
      <h1>Users</h1>
      <form className="inline" onSubmit={search} role="search">
        <label htmlFor="user-search">Find a user by</label>
        <select aria-label="Search by" value={by} onChange={(e) => setBy(e.target.value as typeof by)}>
          <option value="external_id">identifier</option>
          <option value="email">email</option>
          <option value="phone">phone</option>
        </select>
        <input id="user-search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder="ana" />
        <button type="submit">Search</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {allows(project.role, "editor") && <ImportUsers base={base} />}
      {found === null ? <p className="muted">Loading…</p> : found.length === 0 ? <p className="muted">No user found.</p> : (
        <table>
          <thead><tr><th scope="col">Identifier</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Since</th></tr></thead>
          <tbody>
            {found.map((u) => (
              <tr key={u.id}>
                <td><a href={`#/p/${project.id}/users/${u.id}`}>{name(u)}</a></td>
                <td>{u.email ?? "—"}</td>
                <td>{u.phone ?? "—"}</td>
                <td>{new Date(u.created_at).toLocaleDateString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One user: profile, data, identifiers, subscriptions, messages, and the timeline as it grows. */
export function UserPage({ project, userId }: { project: Project; userId: string }) {
  const base = `/api/admin/projects/${project.id}/users/${userId}`;
  const [user, setUser] = useState<User | null>(null);
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [subscriptions, setSubscriptions] = useState<Subscription[]>([]);
  const [messages, setMessages] = useState<Message[]>([]);
  const [runs, setRuns] = useState<UserRun[]>([]);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");

  useEffect(() => {
    Promise.all([
      api<User>("GET", base).then(setUser),
      api<Subscription[]>("GET", `${base}/subscriptions`).then(setSubscriptions),
      api<Message[]>("GET", `${base}/messages`).then(setMessages),
      api<UserRun[]>("GET", `${base}/journeys`).then(setRuns),
      api<Schedule[]>("GET", `${base}/schedules`).then(setSchedules),
    ]).catch((e: Error) => setError(e.message));
  }, [base]);
  // New events appear without a reload.
  useEffect(() => {
    let stopped = false;
    const load = () => api<{ results: TimelineEvent[] }>("GET", `${base}/events?limit=100`)
      .then((page) => { if (!stopped) setEvents(page.results); }).catch(() => undefined);
    void load();
    const timer = window.setInterval(load, 3000);
    return () => { stopped = true; window.clearInterval(timer); };
  }, [base]);

  const choose = async (group: Subscription, state: Subscription["state"]) => {
    try {
      setSubscriptions(await api<Subscription[]>("PUT", `${base}/subscriptions`, { group_id: group.group_id, state }));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (error) return <Problem message={error} />;
  if (!user) return <p className="loading" role="status">Loading the user…</p>;
  const shown = events.filter((e) => !filter || (filter === "system" ? e.source === "system" : e.source !== "system"));
  return (
    <section className="users">
      <h1>{name(user)}</h1>
      <div className="two-columns">
        <div className="card">
          <h2>Profile</h2>
          <dl className="facts">
            <dt>Identifiers</dt><dd>{user.identifier.map((i) => `${i.source}: ${i.external_id}`).join(", ") || "—"}</dd>
            <dt>Email</dt><dd>{user.email ?? "—"}</dd>
            <dt>Phone</dt><dd>{user.phone ?? "—"}</dd>
            <dt>Timezone</dt><dd>{user.timezone ?? "—"}</dd>
            <dt>Locale</dt><dd>{user.locale ?? "—"}</dd>
          </dl>
          <h2>Data</h2>
          <pre className="data">{JSON.stringify(user.data, null, 2)}</pre>
        </div>
        <div className="card">
          <h2>Subscriptions</h2>
          {subscriptions.length === 0 ? <p className="muted">No subscription groups.</p> : (
            <ul className="plain">
              {subscriptions.map((s) => (
                <li key={s.group_id}>
                  <label>
                    <input type="checkbox" checked={s.state === "subscribed"} disabled={!allows(project.role, "editor")}
                      onChange={(e) => void choose(s, e.target.checked ? "subscribed" : "unsubscribed")} />{" "}
                    {s.name} <span className="muted">({s.channel}{s.explicit ? "" : ", project default"})</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          <h2>Messages</h2>
          {messages.length === 0 ? <p className="muted">No messages yet.</p> : (
            <ul className="plain">
              {messages.map((m) => (
                <li key={m.key}>{new Date(m.created_at).toLocaleString()} · <strong>{m.status}</strong>{m.reason ? ` (${m.reason})` : ""}</li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <div className="two-columns">
        <div className="card">
          <h2>Journeys</h2>
          {runs.length === 0 ? <p className="muted">In no journey.</p> : (
            <ul className="plain" data-testid="user-journeys">
              {runs.map((r) => (
                <li key={r.workflow_id}>
                  <a href={`#/p/${project.id}/journeys/${r.journey_id}`}>{r.journey_name}</a> · <strong>{r.status}</strong>
                  {r.status === "active" && r.current_step ? ` at ${r.current_step}` : ""} · v{r.version}
                  <span className="muted"> · since {new Date(r.created_at).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="card">
          <h2>Schedules</h2>
          {schedules.length === 0 ? <p className="muted">No schedules.</p> : (
            <ul className="plain">
              {schedules.map((s) => (
                <li key={s.id}>{s.name} · {s.status}{s.interval ? ` · every ${s.interval}` : ""}
                  {s.scheduled_at ? <span className="muted"> · next {new Date(s.scheduled_at).toLocaleString()}</span> : null}</li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <div className="card">
        <h2>Timeline</h2>
        <label htmlFor="timeline-filter">Show</label>{" "}
        <select id="timeline-filter" value={filter} onChange={(e) => setFilter(e.target.value)}>
          <option value="">every event</option>
          <option value="client">events sent by your product</option>
          <option value="system">Tempogram's own events</option>
        </select>
        <ol className="plain timeline" aria-live="polite" data-testid="timeline">
          {shown.map((e) => (
            <li key={e.id}>
              <strong>{e.name}</strong> <span className="muted">{new Date(e.created_at).toLocaleString()} · {e.source}</span>
              {Object.keys(e.data).length > 0 && <code className="event-data">{JSON.stringify(e.data)}</code>}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}

function name(user: User): string {
  return user.identifier.find((i) => i.source === "default")?.external_id ?? user.identifier[0]?.external_id ?? user.email ?? user.id;
}

interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: { line: number; error: string }[];
}

/** A CSV of users uploaded with a progress bar; the answer counts them and names each line it refused. */
function ImportUsers({ base }: { base: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<number | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const upload = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const body = new FormData();
    body.append("file", file);
    const request = new XMLHttpRequest();  // fetch cannot report an upload's progress
    request.open("POST", `${base}/import`);
    request.upload.onprogress = (e) => setSent(e.lengthComputable ? Math.round((100 * e.loaded) / e.total) : null);
    request.onload = () => {
      setSent(null);
      const answer = JSON.parse(request.responseText || "{}");
      if (request.status >= 400) setError(answer.detail ?? `the server answered ${request.status}`);
      else { setResult(answer as ImportResult); setError(null); }
    };
    request.onerror = () => { setSent(null); setError("the upload did not reach the server"); };
    setSent(0);
    setResult(null);
    request.send(body);
  };
  return (
    <form className="card" onSubmit={upload}>
      <h2>Import users from CSV</h2>
      <p className="muted">A header row; an <code>external_id</code> (or <code>identifier</code>) column, and any of email, phone,
        timezone, locale and data columns.</p>
      <div className="rule-row">
        <label htmlFor="csv-file">CSV file</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <button type="submit" disabled={!file || sent !== null}>Import</button>
      </div>
      {sent !== null && <progress max={100} value={sent} aria-label="Upload progress" />}
      {error && <p className="error" role="alert">{error}</p>}
      {result && (
        <div role="status" data-testid="import-result">
          <p>{result.created} created, {result.updated} updated, {result.unchanged} unchanged, {result.failed} refused</p>
          {result.errors.length > 0 && (
            <ul className="plain">{result.errors.map((e) => <li key={e.line}>line {e.line}: {e.error}</li>)}</ul>
          )}
        </div>
      )}
    </form>
  );
}
