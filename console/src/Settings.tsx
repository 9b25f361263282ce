import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, type Me, type Role } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface Member {
  account_id: string;
  email: string;
  name: string;
  role: Role;
}
interface Key {
  id: string;
  name: string;
  kind: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
}
interface AuditEntry {
  id: number;
  at: string;
  actor_label: string;
  action: string;
  object_type: string;
  object_id: string | null;
  change: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const ROLES: Role[] = ["viewer", "editor", "admin", "owner"];

/** The project's team and roles, its keys and its audit log, as far as the member's role shows them. */
export function Settings({ project }: { project: Project }) {
  return (
    <section className="settings">
      <h1>Settings</h1>
      <ProjectSettings project={project} />
      <Team project={project} />
      {allows(project.role, "admin") && <Keys project={project} />}
      {allows(project.role, "admin") && <Audit project={project} />}
    </section>
  );
}

interface ProjectSettingsData {
  name: string;
  default_locale: string;
  subscription_default: "opt_in" | "opt_out";
  page_texts: Record<string, Record<string, string>>;
}

/** The project's messaging settings: the templates' fallback locale, whether users start subscribed to a
group, and the texts of the recipients' pages per locale. Admins change them. */
function ProjectSettings({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}`;
  const admin = allows(project.role, "admin");
  const [form, setForm] = useState<ProjectSettingsData | null>(null);
  const [texts, setTexts] = useState("{}");
  const [result, setResult] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  useEffect(() => {
    api<ProjectSettingsData>("GET", base).then((found) => { setForm(found); setTexts(JSON.stringify(found.page_texts, null, 2)); })
      .catch((e: Error) => setResult({ kind: "error", text: e.message }));
  }, [base]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    try {
      const page_texts = JSON.parse(texts || "{}");
      const saved = await api<ProjectSettingsData>("PATCH", base, {
        default_locale: form.default_locale, subscription_default: form.subscription_default, page_texts,
      });
      setForm(saved);
      setResult({ kind: "ok", text: "Settings saved." });
    } catch (e) {
      setResult({ kind: "error", text: e instanceof SyntaxError ? "Page texts: not valid JSON" : (e as Error).message });
    }
  };
  return (
    <form className="card" onSubmit={save} aria-labelledby="project-settings">
      <h2 id="project-settings">Project</h2>
      {result && <p className={result.kind === "ok" ? "notice" : "error"} role={result.kind === "ok" ? "status" : "alert"}>{result.text}</p>}
      {form === null ? <p className="muted">Loading…</p> : (
        <>
          <p><strong>{form.name}</strong></p>
          <div className="field">
            <label htmlFor="default-locale">Templates' fallback locale</label>
            <input id="default-locale" value={form.default_locale} disabled={!admin}
              onChange={(e) => setForm({ ...form, default_locale: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="subscription-default">Subscription groups</label>
            <select id="subscription-default" value={form.subscription_default} disabled={!admin}
              onChange={(e) => setForm({ ...form, subscription_default: e.target.value as "opt_in" | "opt_out" })}>
              <option value="opt_out">users are subscribed until they opt out</option>
              <option value="opt_in">users are subscribed only once they opt in</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="page-texts">Texts of the unsubscribe and preferences pages, per locale (JSON; English fills in the rest)</label>
            <textarea id="page-texts" className="code" rows={4} spellCheck={false} value={texts} disabled={!admin}
              onChange={(e) => setTexts(e.target.value)} />
          </div>
          {admin && <button type="submit">Save settings</button>}
        </>
      )}
    </form>
  );
}

function Team({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}/members`;
  const owner = allows(project.role, "owner");
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(() => {
    api<Member[]>("GET", base).then(setMembers).catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(load, [load]);

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const added = await api<{ invited?: boolean; invitation_url?: string; emailed?: boolean }>("POST", base, { email, role });
      setNotice(added.invited
        ? `Invitation ${added.emailed ? "emailed" : "made"}; its link (valid 7 days, once): ${added.invitation_url}`
        : `${email} joined as ${role}.`);
      setEmail("");
      setError(null);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const change = async (member: Member, next: Role) => {
    try {
      await api("PATCH", `${base}/${member.account_id}`, { role: next });
      setError(null);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const remove = async (member: Member) => {
    try {
      await api("DELETE", `${base}/${member.account_id}`);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="card">
      <h2>Members</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {members === null ? <p className="muted">Loading…</p> : (
        <table>
          <thead><tr><th scope="col">Member</th><th scope="col">Role</th>{owner && <th scope="col"><span className="sr-only">Actions</span></th>}</tr></thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.account_id}>
                <td>{m.name ? `${m.name} · ` : ""}{m.email}</td>
                <td>
                  {owner ? (
                    <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => void change(m, e.target.value as Role)}>
                      {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                  ) : m.role}
                </td>
                {owner && <td><button type="button" className="quiet small" onClick={() => void remove(m)}>Remove {m.email}</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {owner && (
        <form className="inline" onSubmit={invite}>
          <label htmlFor="invite-email">Add or invite</label>
          <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="sam@example.com" />
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
          <button type="submit">Add</button>
        </form>
      )}
    </div>
  );
}

function Keys({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}/keys`;
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [kind, setKind] = useState("public");
  const load = useCallback(() => {
    api<Key[]>("GET", base).then(setKeys).catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(load, [load]);

  const act = async (run: () => Promise<string | null>) => {
    try {
      setShown(await run());
      setError(null);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => (await api<{ key: string }>("POST", base, { name, kind })).key);
  };

  return (
    <div className="card">
      <h2>API keys</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {shown && <p className="notice" role="status">The new key, shown this once: <code>{shown}</code></p>}
      {keys === null ? <p className="muted">Loading…</p> : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Key</th><th scope="col">Works until</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{k.kind}</td>
                <td><code>{k.prefix}…</code></td>
                <td>{k.expires_at ? new Date(k.expires_at).toLocaleString() : "until revoked"}</td>
                <td>
                  <button type="button" className="quiet small"
                    onClick={() => void act(async () => (await api<{ new: { key: string } }>("POST", `${base}/${k.id}/rotate`, {})).new.key)}>
                    Rotate {k.name} ({k.kind})
                  </button>
                  <button type="button" className="quiet small" onClick={() => void act(async () => { await api("DELETE", `${base}/${k.id}`); return null; })}>
                    Revoke {k.name} ({k.kind})
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline" onSubmit={create}>
        <label htmlFor="key-name">New key</label>
        <input id="key-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="backend" />
        <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="public">public (client API)</option>
          <option value="secret">secret (both APIs)</option>
        </select>
        <button type="submit">Create</button>
      </form>
    </div>
  );
}

function Audit({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}/audit`;
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [objectType, setObjectType] = useState("");
  const load = useCallback((cursor?: string) => {
    const query = new URLSearchParams({ limit: "50" });
    if (objectType) query.set("object_type", objectType);
    if (cursor) query.set("cursor", cursor);
    api<{ results: AuditEntry[]; next_cursor: string | null }>("GET", `${base}?${query}`)
      .then((page) => {
        setEntries((current) => (cursor ? [...(current ?? []), ...page.results] : page.results));
        setNext(page.next_cursor);
      })
      .catch((e: Error) => setError(e.message));
  }, [base, objectType]);
  useEffect(() => load(), [load]);

  if (error) return <Problem message={error} />;
  return (
    <div className="card">
      <h2>Audit log</h2>
      <label htmlFor="audit-type">Show</label>{" "}
      <select id="audit-type" value={objectType} onChange={(e) => setObjectType(e.target.value)}>
        <option value="">every change</option>
        {["journey", "list", "campaign", "provider", "subscription_group", "key", "member", "project", "broadcast", "schedule", "suppression"]
          .map((t) => <option key={t} value={t}>{t.replace("_", " ")}s</option>)}
      </select>
      {entries === null ? <p className="muted">Loading…</p> : entries.length === 0 ? <p className="muted">No changes yet.</p> : (
        <table className="audit">
          <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Change</th></tr></thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>{e.actor_label}</td>
                <td><code>{e.action}</code><br /><span className="muted">{e.object_type} {e.object_id ?? ""}</span></td>
                <td>{changes(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button type="button" className="quiet" onClick={() => load(next)}>Older changes</button>}
    </div>
  );
}

function changes(entry: AuditEntry): string {
  if (entry.change === "created") return "created";
  if (entry.change === "deleted") return "deleted";
  if (entry.change === "requested") return "";
  const fields = Object.keys(entry.after ?? {});
  return fields.map((f) => `${f}: ${JSON.stringify(entry.before?.[f])} → ${JSON.stringify(entry.after?.[f])}`).join("; ");
}
