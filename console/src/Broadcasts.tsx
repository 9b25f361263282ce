import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface Broadcast {
  id: string;
  name: string;
  campaign_id: string;
  list_id: string;
  send_at: string | null;
  status: string;
  progress: { total: number; pending: number; sent: number; skipped: number; failed: number };
}
interface Named {
  id: string;
  name: string;
  member_count?: number;
}

/** Send a campaign once to a list — now or at a time — and watch it go out; cancel while it may. */
export function Broadcasts({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}`;
  const editable = allows(project.role, "editor");
  const [broadcasts, setBroadcasts] = useState<Broadcast[] | null>(null);
  const [campaigns, setCampaigns] = useState<Named[]>([]);
  const [lists, setLists] = useState<Named[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ name: "", campaign_id: "", list_id: "", send_at: "" });

  const load = useCallback(() => {
    api<Broadcast[]>("GET", `${base}/broadcasts`).then(setBroadcasts).catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(() => {
    load();
    api<Named[]>("GET", `${base}/campaigns`).then(setCampaigns).catch(() => undefined);
    api<Named[]>("GET", `${base}/lists`).then(setLists).catch(() => undefined);
  }, [load, base]);
  // Progress while any broadcast is on its way.
  useEffect(() => {
    if (!broadcasts?.some((b) => b.status === "sending" || b.status === "scheduled")) return;
    const timer = window.setTimeout(load, 1500);
    return () => window.clearTimeout(timer);
  }, [broadcasts, load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const sendAt = form.send_at ? new Date(form.send_at).toISOString() : undefined;
      await api("POST", `${base}/broadcasts`, { name: form.name, campaign_id: form.campaign_id, list_id: form.list_id, send_at: sendAt });
      setForm({ name: "", campaign_id: "", list_id: "", send_at: "" });
      setError(null);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const cancel = async (b: Broadcast) => {
    try {
      await api("POST", `${base}/broadcasts/${b.id}/cancel`);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (broadcasts === null && !error) return <p className="loading" role="status">Loading broadcasts…</p>;
  const audience = lists.find((l) => l.id === form.list_id)?.member_count;
  return (
    <section className="settings">
      <h1>Broadcasts</h1>
      {error && <Problem message={error} />}
      {editable && (
        <form className="card" onSubmit={create}>
          <h2>New broadcast</h2>
          <div className="field"><label htmlFor="b-name">Name</label>
            <input id="b-name" required maxLength={255} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></div>
          <div className="field"><label htmlFor="b-campaign">Campaign</label>
            <select id="b-campaign" required value={form.campaign_id} onChange={(e) => setForm({ ...form, campaign_id: e.target.value })}>
              <option value="">choose a campaign</option>
              {campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select></div>
          <div className="field"><label htmlFor="b-list">To the list</label>
            <select id="b-list" required value={form.list_id} onChange={(e) => setForm({ ...form, list_id: e.target.value })}>
              <option value="">choose a list</option>
              {lists.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
            </select>
            {audience !== undefined && <small className="muted" data-testid="audience">{audience.toLocaleString()} members now</small>}</div>
          <div className="field"><label htmlFor="b-at">Send at (empty: now)</label>
            <input id="b-at" type="datetime-local" value={form.send_at} onChange={(e) => setForm({ ...form, send_at: e.target.value })} /></div>
          <button type="submit">Send</button>
        </form>
      )}
      <div className="card">
        <h2>Sent and scheduled</h2>
        {!broadcasts || broadcasts.length === 0 ? <p className="muted">No broadcasts yet.</p> : (
          <ul className="plain">
            {broadcasts.map((b) => {
              const done = b.progress.total - b.progress.pending;
              return (
                <li key={b.id} className="provider" data-testid={`broadcast-${b.name}`}>
                  <strong>{b.name}</strong> <span className="badge">{b.status}</span>
                  {b.send_at && <span className="muted"> at {new Date(b.send_at).toLocaleString()}</span>}
                  <div>
                    <progress max={Math.max(b.progress.total, 1)} value={done} aria-label={`Progress of ${b.name}`} />{" "}
                    {done} of {b.progress.total} · {b.progress.sent} sent, {b.progress.skipped} skipped, {b.progress.failed} failed
                  </div>
                  {editable && (b.status === "scheduled" || b.status === "sending") && (
                    <button type="button" className="quiet small" onClick={() => void cancel(b)}>Cancel {b.name}</button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}
