import { useEffect, useState } from "react";
import { api, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface Organization {
  id: string;
  name: string | null;
  identifier: { source: string; external_id: string }[];
  data: Record<string, unknown>;
}
interface Membership {
  user_id: string;
  data: Record<string, unknown>;
}
interface Page<T> {
  results: T[];
  next_cursor: string | null;
}

/** The project's organizations, a page at a time; one's members with their membership data. */
export function Organizations({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}/organizations`;
  const [page, setPage] = useState<Page<Organization> | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [members, setMembers] = useState<Membership[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = (cursor?: string) =>
    api<Page<Organization>>("GET", `${base}?limit=50${cursor ? `&cursor=${cursor}` : ""}`)
      .then((next) => setPage((current) => (cursor && current ? { results: [...current.results, ...next.results], next_cursor: next.next_cursor } : next)))
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, [base]);
  useEffect(() => {
    if (!open) return;
    setMembers(null);
    api<Page<Membership>>("GET", `${base}/${open}/users?limit=100`).then((p) => setMembers(p.results)).catch((e: Error) => setError(e.message));
  }, [open, base]);

  if (error) return <Problem message={error} />;
  if (page === null) return <p className="loading" role="status">Loading organizations…</p>;
  return (
    <section className="users">
      <h1>Organizations</h1>
      {page.results.length === 0 ? <p className="muted">No organizations yet.</p> : (
        <table>
          <thead><tr><th scope="col">Organization</th><th scope="col">Identifier</th><th scope="col">Data</th></tr></thead>
          <tbody>
            {page.results.map((o) => (
              <tr key={o.id}>
                <td><button type="button" className="quiet small" aria-expanded={open === o.id}
                  onClick={() => setOpen(open === o.id ? null : o.id)}>{o.name ?? o.identifier[0]?.external_id ?? o.id}</button></td>
                <td>{o.identifier.map((i) => i.external_id).join(", ")}</td>
                <td><code className="event-data">{JSON.stringify(o.data)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.next_cursor && <button type="button" className="quiet" onClick={() => void load(page.next_cursor!)}>More</button>}
      {open && (
        <div className="card">
          <h2>Members</h2>
          {members === null ? <p className="muted">Loading…</p> : members.length === 0 ? <p className="muted">No members.</p> : (
            <ul className="plain">
              {members.map((m) => (
                <li key={m.user_id}><a href={`#/p/${project.id}/users/${m.user_id}`}>{m.user_id.slice(0, 8)}</a>{" "}
                  <code className="event-data">{JSON.stringify(m.data)}</code></li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
