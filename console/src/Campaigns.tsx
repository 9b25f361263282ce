import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, findUser, type Me } from "./api";
import { ChartPanel, ENGAGEMENT } from "./Chart";
import { Problem } from "./Problem";

type Project = Me["projects"][number];
type Templates = Record<string, Record<string, string>>;

interface Campaign {
  id: string;
  name: string;
  channel: "email" | "sms" | "webhook";
  provider_id: string;
  subscription_group_id: string | null;
  transactional: boolean;
  templates: Templates;
  variables: Record<string, unknown>;
}

const FIELDS: Record<Campaign["channel"], string[]> = {
  email: ["subject", "text", "html"],
  sms: ["text"],
  webhook: ["url", "method", "headers", "body"],
};

export function Campaigns({ project }: { project: Project }) {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<Campaign[]>("GET", `/api/admin/projects/${project.id}/campaigns`).then(setCampaigns).catch((e: Error) => setError(e.message));
  }, [project.id]);
  useEffect(load, [load]);
  if (error) return <Problem message={error} retry={() => { setError(null); load(); }} />;
  if (campaigns === null) return <p className="loading" role="status">Loading campaigns…</p>;
  return (
    <section>
      <h1>Campaigns</h1>
      {campaigns.length === 0 ? <p className="muted">No campaigns yet.</p> : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Channel</th><th scope="col">Locales</th></tr></thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id}>
                <td><a href={`#/p/${project.id}/campaigns/${c.id}`}>{c.name}</a></td>
                <td>{c.channel}{c.transactional ? " · transactional" : ""}</td>
                <td>{Object.keys(c.templates).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Per-locale templates, and beside them the message as Liquid renders it for a chosen user. */
export function CampaignEditor({ project, campaignId }: { project: Project; campaignId: string }) {
  const base = `/api/admin/projects/${project.id}/campaigns/${campaignId}`;
  const editable = allows(project.role, "editor");
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [templates, setTemplates] = useState<Templates>({});
  const [locale, setLocale] = useState("en");
  const [who, setWho] = useState("");
  const [journeyData, setJourneyData] = useState("");
  const [userId, setUserId] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ locale: string; fields: Record<string, unknown> } | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    api<Campaign>("GET", base).then((found) => {
      setCampaign(found);
      setTemplates(found.templates);
      setLocale(Object.keys(found.templates)[0] ?? "en");
    }).catch((e: Error) => setLoadError(e.message));
  }, [base]);

  // The preview follows the templates as they are typed (after a short pause).
  useEffect(() => {
    if (!userId) return;
    let journey: unknown = {};
    try {
      journey = journeyData.trim() ? JSON.parse(journeyData) : {};
    } catch {
      setPreviewError("journey data: not JSON yet");
      return;
    }
    const timer = window.setTimeout(() => {
      api<{ locale: string; fields: Record<string, unknown> }>("POST", `${base}/preview`, { user_id: userId, templates, journey })
        .then((p) => { setPreview(p); setPreviewError(null); })
        .catch((e: Error) => setPreviewError(e.message));
    }, 400);
    return () => window.clearTimeout(timer);
  }, [userId, templates, base, journeyData]);

  const choose = async () => {
    try {
      const user = await findUser(`/api/admin/projects/${project.id}`, who);
      setUserId(user.id);
      setPreviewError(null);
    } catch (e) {
      setPreviewError((e as Error).message);
    }
  };
  const save = async () => {
    if (!campaign) return;
    try {
      const { name, channel, provider_id, subscription_group_id, transactional, variables } = campaign;
      const body = { name, channel, provider_id, subscription_group_id, transactional, variables, templates };
      const saved = await api<Campaign>("PUT", base, body);
      setCampaign(saved);
      setMessage({ kind: "ok", text: "Saved: sends from now on use these templates." });
    } catch (e) {
      setMessage({ kind: "error", text: (e as Error).message });
    }
  };

  if (loadError) return <Problem message={loadError} />;
  if (!campaign) return <p className="loading" role="status">Loading the campaign…</p>;
  const fields = FIELDS[campaign.channel];
  const current = templates[locale] ?? {};
  const setField = (field: string, value: string) => setTemplates({ ...templates, [locale]: { ...current, [field]: value } });

  return (
    <section>
      <div className="editor-bar">
        <h1>{campaign.name}</h1>
        <span className="badge">{campaign.channel}</span>
        <span className="spacer" />
        {editable && <button type="button" onClick={() => void save()}>Save</button>}
      </div>
      {message && <p className={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"}>{message.text}</p>}
      <div className="two-columns">
        <div className="card">
          <div className="field">
            <label htmlFor="campaign-locale">Locale</label>
            <select id="campaign-locale" value={locale} onChange={(e) => setLocale(e.target.value)}>
              {Object.keys(templates).map((l) => <option key={l} value={l}>{l}</option>)}
            </select>
          </div>
          {fields.map((field) => (
            <div className="field" key={field}>
              <label htmlFor={`template-${field}`}>{field}</label>
              {field === "subject" || field === "url" || field === "method" ? (
                <input id={`template-${field}`} value={current[field] ?? ""} disabled={!editable} onChange={(e) => setField(field, e.target.value)} />
              ) : (
                <textarea id={`template-${field}`} className="code" rows={field === "html" ? 10 : 5} disabled={!editable} spellCheck={false}
                  value={current[field] === undefined || typeof current[field] === "string" ? current[field] ?? "" : JSON.stringify(current[field])}
                  onChange={(e) => setField(field, e.target.value)} />
              )}
            </div>
          ))}
          <p className="muted">Liquid: <code>{"{{ user.data.first_name }}"}</code>, <code>{"{{ journey.order.total }}"}</code>, <code>{"{{ campaign.name }}"}</code>, <code>{"{{ unsubscribe_url }}"}</code>; variables: {Object.keys(campaign.variables).join(", ") || "none"}</p>
        </div>
        <div className="card" aria-live="polite">
          <h2>Preview</h2>
          <div className="field">
            <label htmlFor="preview-user">For the user</label>
            <div className="rule-row">
              <input id="preview-user" value={who} onChange={(e) => setWho(e.target.value)} placeholder="their identifier" />
              <button type="button" className="quiet" onClick={() => void choose()}>Show</button>
            </div>
          </div>
          <div className="field">
            <label htmlFor="preview-journey">Journey data, as a run would give it (JSON, optional)</label>
            <textarea id="preview-journey" className="code" rows={2} value={journeyData} spellCheck={false}
              placeholder='{"order": {"total": 149.99}}' onChange={(e) => setJourneyData(e.target.value)} />
          </div>
          {previewError && <p className="error" role="alert">{previewError}</p>}
          {preview && !previewError && (
            <div data-testid="campaign-preview">
              <p className="muted">As sent in <strong>{preview.locale}</strong>, rendered by the server.</p>
              {Object.entries(preview.fields).filter(([name]) => name !== "html").map(([name, value]) => (
                <p key={name}><strong>{name}:</strong> {typeof value === "string" ? value : JSON.stringify(value)}</p>
              ))}
              {typeof preview.fields.html === "string" && (
                <iframe title="The email's HTML" sandbox="" srcDoc={preview.fields.html} className="html-preview" />
              )}
              {editable && userId && <TestSend base={base} userId={userId} templates={templates} journeyData={journeyData} />}
            </div>
          )}
        </div>
      </div>
      <ChartPanel title="Engagement" path={`${base}/engagement`} metrics={ENGAGEMENT} />
    </section>
  );
}

/** Send the previewed message to an address of the author's, marked "[Test]"; the provider's answer is shown. */
function TestSend({ base, userId, templates, journeyData }: {
  base: string; userId: string; templates: Templates; journeyData: string;
}) {
  const [to, setTo] = useState("");
  const [answer, setAnswer] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const journey = journeyData.trim() ? JSON.parse(journeyData) : {};
      const result = await api<{ ok: boolean; answer: string }>("POST", `${base}/test`, { user_id: userId, to: to.trim(), templates, journey });
      setAnswer({ kind: result.ok ? "ok" : "error", text: `${result.ok ? "Sent" : "Not sent"}: ${result.answer}` });
    } catch (e) {
      setAnswer({ kind: "error", text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="rule-row" onSubmit={send}>
      <label htmlFor="test-to">Send a test to</label>
      <input id="test-to" required value={to} onChange={(e) => setTo(e.target.value)} placeholder="you@example.com" />
      <button type="submit" className="quiet small" disabled={busy}>Send test</button>
      {answer && <span className={answer.kind === "ok" ? "notice" : "error"} role={answer.kind === "ok" ? "status" : "alert"}>{answer.text}</span>}
    </form>
  );
}
