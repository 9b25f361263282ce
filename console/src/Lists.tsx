import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, type Me } from "./api";
import { ChartPanel } from "./Chart";
import { Problem } from "./Problem";
import { describe, fromRule, toRule, type Json, type RuleNode } from "./rules/rule";
import { RuleBuilder, type Vocabulary } from "./rules/RuleBuilder";
import { loadVocabulary } from "./vocabulary";

type Project = Me["projects"][number];

interface ListItem {
  id: string;
  name: string;
  kind: "dynamic" | "static";
  rule: Json | null;
  draft_rule: Json | null;
  rule_summary: string | null;
  member_count: number;
  recompute: { state: string; progress: Record<string, number>; recomputed_at: string | null };
}

interface Person {
  id: string;
  email: string | null;
  identifier: { source: string; external_id: string }[];
  data: Record<string, unknown>;
}

const STARTER: Json = { all: [{ property: "user.email", op: "exists" }] };

export function Lists({ project }: { project: Project }) {
  const [lists, setLists] = useState<ListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"dynamic" | "static">("dynamic");
  const base = `/api/admin/projects/${project.id}/lists`;

  const load = useCallback(() => {
    api<ListItem[]>("GET", base)
      .then(setLists)
      .catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(load, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const made = await api<ListItem>("POST", base, kind === "dynamic" ? { name, kind, rule: STARTER } : { name, kind });
      window.location.hash = `#/p/${project.id}/lists/${made.id}`;
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (error) return <Problem message={error} retry={() => { setError(null); load(); }} />;
  if (lists === null) return <p className="loading" role="status">Loading lists…</p>;
  return (
    <section>
      <h1>Lists</h1>
      {allows(project.role, "editor") && (
        <form className="inline" onSubmit={create}>
          <label htmlFor="new-list">New list</label>
          <input id="new-list" required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} placeholder="Premium customers" />
          <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value as "dynamic" | "static")}>
            <option value="dynamic">by a rule</option>
            <option value="static">by hand or CSV</option>
          </select>
          <button type="submit">Create</button>
        </form>
      )}
      {lists.length === 0 ? <p className="muted">No lists yet.</p> : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Members</th><th scope="col">Rule</th><th scope="col">Recompute</th></tr></thead>
          <tbody>
            {lists.map((l) => (
              <tr key={l.id}>
                <td><a href={`#/p/${project.id}/lists/${l.id}`}>{l.name}</a></td>
                <td>{l.member_count.toLocaleString()}</td>
                <td className="muted">{l.kind === "static" ? "static" : l.rule_summary ?? "—"}</td>
                <td>{l.recompute.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ListEditor({ project, listId }: { project: Project; listId: string }) {
  const base = `/api/admin/projects/${project.id}`;
  const editable = allows(project.role, "editor");
  const [list, setList] = useState<ListItem | null>(null);
  const [rule, setRule] = useState<RuleNode | null>(null);
  const [preview, setPreview] = useState<{ count: number; estimated?: boolean; sample: Person[] } | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [members, setMembers] = useState<{ results: Person[]; next_cursor: string | null } | null>(null);
  const [search, setSearch] = useState({ by: "external_id", term: "" });
  const [searched, setSearched] = useState<string | null>(null);
  const [vocabulary, setVocabulary] = useState<Vocabulary>({ properties: [], events: [] });
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const found = await api<ListItem>("GET", `${base}/lists/${listId}`);
      setList(found);
      setRule((current) => current ?? fromRule(found.draft_rule ?? found.rule ?? STARTER));
      setMembers(await api("GET", `${base}/lists/${listId}/users?limit=20`));
      return found;
    } catch (e) {
      setLoadError((e as Error).message);
      return null;
    }
  }, [base, listId]);
  useEffect(() => {
    void load();
    void loadVocabulary(base).then(setVocabulary);
  }, [load, base]);

  // A live count and sample while the rule is edited (after a short pause in typing).
  useEffect(() => {
    if (!rule || list?.kind !== "dynamic") return;
    const timer = window.setTimeout(() => {
      api<{ count: number; estimated?: boolean; sample: Person[] }>("POST", `${base}/lists/${listId}/preview`, { rule: toRule(rule) })
        .then((p) => { setPreview(p); setPreviewError(null); })
        .catch((e: Error) => setPreviewError(e.message));
    }, 400);
    return () => window.clearTimeout(timer);
  }, [rule, list?.kind, base, listId]);

  // While a recompute runs, its progress.
  useEffect(() => {
    if (list?.recompute.state !== "running") return;
    const timer = window.setTimeout(() => void load(), 1000);
    return () => window.clearTimeout(timer);
  }, [list, load]);

  // The data keys of the users seen so far (members, sample) join the suggestions, with their JSON types.
  const seen = [...(members?.results ?? []), ...(preview?.sample ?? [])];
  const dataPaths = [...new Map(seen.flatMap((u) => Object.entries(u.data))
    .map(([key, value]) => [key, { path: `user.data.${key}`, type: jsonType(value) }])).values()];
  const suggestions = {
    ...vocabulary, properties: [...dataPaths, ...vocabulary.properties],
    lists: vocabulary.lists?.filter((l) => l.id !== listId),  // a list cannot contain itself
  };

  if (loadError) return <Problem message={loadError} retry={() => { setLoadError(null); void load(); }} />;
  if (!list || !rule) return <p className="loading" role="status">Loading the list…</p>;

  const saveAndPublish = async () => {
    try {
      await api("PATCH", `${base}/lists/${listId}`, { rule: toRule(rule) });
      await api("POST", `${base}/lists/${listId}/publish`);
      setMessage({ kind: "ok", text: "Published: the list is being recomputed." });
      await load();
    } catch (e) {
      setMessage({ kind: "error", text: (e as Error).message });
    }
  };
  const saveDraft = async () => {
    try {
      await api("PATCH", `${base}/lists/${listId}`, { rule: toRule(rule) });
      setMessage({ kind: "ok", text: "Draft saved." });
    } catch (e) {
      setMessage({ kind: "error", text: (e as Error).message });
    }
  };
  const findMember = async (event: FormEvent) => {
    event.preventDefault();
    const term = search.term.trim();
    const only = term ? `&${search.by}=${encodeURIComponent(term)}` : "";
    try {
      setMembers(await api("GET", `${base}/lists/${listId}/users?limit=20${only}`));
      setSearched(term || null);
    } catch (e) {
      setMessage({ kind: "error", text: (e as Error).message });
    }
  };
  const more = async () => {
    if (!members?.next_cursor) return;
    const page = await api<{ results: Person[]; next_cursor: string | null }>(
      "GET", `${base}/lists/${listId}/users?limit=20&cursor=${members.next_cursor}`);
    setMembers({ results: [...members.results, ...page.results], next_cursor: page.next_cursor });
  };
  const progress = list.recompute.progress;

  return (
    <section className="list-editor">
      <div className="editor-bar">
        <h1>{list.name}</h1>
        <span className="badge">{list.kind}</span>
        <span className="muted" data-testid="member-count">{list.member_count.toLocaleString()} members</span>
        {list.recompute.state === "running" && (
          <span role="status">Recomputing… {progress.scanned ?? 0} scanned, {progress.added ?? 0} added, {progress.removed ?? 0} removed</span>
        )}
        <span className="spacer" />
        {editable && list.kind === "dynamic" && (
          <>
            <button type="button" className="quiet" onClick={() => void saveDraft()}>Save draft</button>
            <button type="button" onClick={() => void saveAndPublish()}>Publish</button>
          </>
        )}
      </div>
      {message && <p className={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"}>{message.text}</p>}
      {list.kind === "dynamic" && (
        <div className="two-columns">
          <div className="card">
            <h2>Rule</h2>
            <RuleBuilder node={rule} onChange={setRule} vocabulary={suggestions} readOnly={!editable} />
            <p className="muted">{describe(rule)}</p>
          </div>
          <div className="card" aria-live="polite">
            <h2>Preview</h2>
            {previewError ? <p className="error" role="alert">{previewError}</p> : preview === null ? <p className="muted">Counting…</p> : (
              <>
                <p data-testid="preview-count">{preview.estimated ? "about " : ""}<strong>{preview.count.toLocaleString()}</strong> users match now{preview.estimated ? " (estimated from a sample of the project's users)" : ""}</p>
                <ul className="plain">{preview.sample.map((u) => <li key={u.id}>{label(u)}</li>)}</ul>
              </>
            )}
          </div>
        </div>
      )}
      <div className="card">
        <h2>Members</h2>
        <form className="rule-row" onSubmit={findMember}>
          <label htmlFor="member-by">Find a member by</label>
          <select id="member-by" value={search.by} onChange={(e) => setSearch({ ...search, by: e.target.value })}>
            <option value="external_id">identifier</option>
            <option value="email">email</option>
          </select>
          <input aria-label="Member to find" value={search.term} onChange={(e) => setSearch({ ...search, term: e.target.value })} />
          <button type="submit" className="quiet small">{search.term.trim() ? "Find" : "Show all"}</button>
        </form>
        {members === null ? <p className="muted">Loading…</p> : members.results.length === 0 ? (
          <p className="muted" data-testid="member-search">{searched ? `${searched} is not a member.` : "No members yet."}</p>
        ) : (
          <>
            <ul className="plain" data-testid="members">{members.results.map((u) => <li key={u.id}>{label(u)}</li>)}</ul>
            {members.next_cursor && <button type="button" className="quiet" onClick={() => void more()}>More</button>}
          </>
        )}
      </div>
      <ChartPanel title="Size over time" path={`${base}/lists/${listId}/sizes`} metrics={["members"]} gauge />
    </section>
  );
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "object";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return "date";
  return typeof value === "object" ? "object" : typeof value;
}

function label(user: Person): string {
  const id = user.identifier.find((i) => i.source === "default")?.external_id ?? user.identifier[0]?.external_id;
  return [id, user.email].filter(Boolean).join(" · ") || user.id;
}
