import { useEffect, useState, type FormEvent } from "react";
import { allows, api, type Journey, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

export function Journeys({ project }: { project: Project }) {
  const [journeys, setJourneys] = useState<Journey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const base = `/api/admin/projects/${project.id}/journeys`;

  const load = () =>
    api<Journey[]>("GET", base)
      .then(setJourneys)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, [project.id]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const steps = { entry: { type: "entrance", trigger: "event", event: "signed.up", next: "done", position: { x: 0, y: 0 } },
                      done: { type: "exit", position: { x: 0, y: 180 } } };
      const made = await api<Journey>("POST", base, { name, steps });
      window.location.hash = `#/p/${project.id}/journeys/${made.id}`;
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (error) return <Problem message={error} retry={() => { setError(null); void load(); }} />;
  if (journeys === null) return <p className="loading" role="status">Loading journeys…</p>;
  return (
    <section>
      <h1>Journeys</h1>
      {allows(project.role, "editor") && (
        <form className="inline" onSubmit={create}>
          <label htmlFor="new-journey">New journey</label>
          <input id="new-journey" required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} placeholder="Order follow-up" />
          <button type="submit">Create</button>
        </form>
      )}
      {journeys.length === 0 ? <p className="muted">No journeys yet.</p> : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Updated</th></tr></thead>
          <tbody>
            {journeys.map((j) => (
              <tr key={j.id}>
                <td><a href={`#/p/${project.id}/journeys/${j.id}`}>{j.name}</a></td>
                <td><span className={`badge ${j.status}`}>{j.status}</span></td>
                <td>{j.published_version ?? "—"}</td>
                <td>{new Date(j.updated_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
