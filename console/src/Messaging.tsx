import { useCallback, useEffect, useState, type FormEvent } from "react";
import { allows, api, type Me } from "./api";
import { Problem } from "./Problem";

type Project = Me["projects"][number];

interface Provider {
  id: string;
  name: string;
  kind: "smtp" | "sms" | "webhook";
  config: Record<string, unknown>;
  feedback_url: string;
}
interface Group {
  id: string;
  name: string;
  channel: string;
}
interface TestAnswer {
  ok: boolean;
  answer: string;
  sent: boolean;
}

// The fields of each kind of provider, as the API types them; secrets are sent, never shown back.
const FIELDS: Record<Provider["kind"], { name: string; label: string; type?: string; secret?: boolean; choices?: string[] }[]> = {
  smtp: [
    { name: "host", label: "Host" },
    { name: "port", label: "Port", type: "number" },
    { name: "tls", label: "TLS", choices: ["starttls", "tls", "none"] },
    { name: "username", label: "Username" },
    { name: "password", label: "Password", type: "password", secret: true },
    { name: "from", label: "From address", type: "email" },
    { name: "from_name", label: "From name" },
  ],
  sms: [
    { name: "url", label: "Messages URL (Twilio-compatible)", type: "url" },
    { name: "account_sid", label: "Account SID" },
    { name: "auth_token", label: "Auth token", type: "password", secret: true },
    { name: "from", label: "From number" },
  ],
  webhook: [],
};

/** Providers (with a test that reports the server's own answer) and subscription groups. */
export function Messaging({ project }: { project: Project }) {
  const base = `/api/admin/projects/${project.id}`;
  const admin = allows(project.role, "admin");
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [groups, setGroups] = useState<Group[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    Promise.all([
      api<Provider[]>("GET", `${base}/providers`).then(setProviders),
      api<Group[]>("GET", `${base}/subscriptions`).then(setGroups),
    ]).catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(load, [load]);

  if (error) return <Problem message={error} retry={() => { setError(null); load(); }} />;
  if (providers === null) return <p className="loading" role="status">Loading messaging…</p>;
  return (
    <section className="settings">
      <h1>Messaging</h1>
      <div className="card">
        <h2>Providers</h2>
        {providers.length === 0 ? <p className="muted">No providers yet.</p> : (
          <ul className="plain">
            {providers.map((p) => <ProviderRow key={p.id} base={base} provider={p} canTest={admin} />)}
          </ul>
        )}
        {admin && <NewProvider base={base} onMade={load} />}
      </div>
      <div className="card">
        <h2>Subscription groups</h2>
        {groups.length === 0 ? <p className="muted">No groups yet.</p> : (
          <ul className="plain">{groups.map((g) => <li key={g.id}>{g.name} <span className="muted">({g.channel})</span></li>)}</ul>
        )}
        {admin && <NewGroup base={base} onMade={load} />}
      </div>
      <Suppressions base={base} canLift={admin} />
    </section>
  );
}

interface Suppression {
  channel: string;
  address: string;
  reason: string;
  detail: string | null;
  created_at: string;
}

/** Addresses nothing is sent to (hard bounces, complaints, STOP replies), newest first; an admin may lift one. */
function Suppressions({ base, canLift }: { base: string; canLift: boolean }) {
  const [items, setItems] = useState<Suppression[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<Suppression[]>("GET", `${base}/suppressions`).then(setItems).catch((e: Error) => setError(e.message));
  }, [base]);
  useEffect(load, [load]);
  const lift = async (s: Suppression) => {
    try {
      await api("DELETE", `${base}/suppressions/${s.channel}/${encodeURIComponent(s.address)}`);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="card">
      <h2>Suppressions</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {items === null ? <p className="muted">Loading…</p> : items.length === 0 ? <p className="muted">No address is suppressed.</p> : (
        <table>
          <thead><tr><th scope="col">Address</th><th scope="col">Channel</th><th scope="col">Why</th><th scope="col">Since</th>{canLift && <th scope="col"><span className="visually-hidden">Action</span></th>}</tr></thead>
          <tbody>
            {items.map((s) => (
              <tr key={`${s.channel}/${s.address}`}>
                <td>{s.address}</td><td>{s.channel}</td>
                <td>{s.reason.replace("_", " ")}{s.detail ? ` (${s.detail})` : ""}</td>
                <td>{new Date(s.created_at).toLocaleString()}</td>
                {canLift && <td><button type="button" className="quiet small" onClick={() => void lift(s)} aria-label={`Send to ${s.address} again`}>Lift</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ProviderRow({ base, provider, canTest }: { base: string; provider: Provider; canTest: boolean }) {
  const [to, setTo] = useState("");
  const [answer, setAnswer] = useState<TestAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const test = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      setAnswer(await api<TestAnswer>("POST", `${base}/providers/${provider.id}/test`, to ? { to } : {}));
    } catch (e) {
      setAnswer({ ok: false, answer: (e as Error).message, sent: false });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="provider">
      <strong>{provider.name}</strong> <span className="muted">{provider.kind} · {describe(provider)}</span>
      {canTest && provider.kind !== "webhook" && (
        <form className="inline" onSubmit={test}>
          <label htmlFor={`test-${provider.id}`}>Send a test to</label>
          <input id={`test-${provider.id}`} value={to} onChange={(e) => setTo(e.target.value)}
            placeholder={provider.kind === "smtp" ? "you@example.com (optional)" : "+15550000000 (optional)"} />
          <button type="submit" disabled={busy}>{busy ? "Testing…" : `Test ${provider.name}`}</button>
        </form>
      )}
      {answer && (
        <p className={answer.ok ? "notice" : "error"} role={answer.ok ? "status" : "alert"} data-testid={`answer-${provider.id}`}>
          {answer.ok ? "Works" : "Fails"}: {answer.answer}
        </p>
      )}
    </li>
  );
}

function describe(provider: Provider): string {
  const c = provider.config;
  if (provider.kind === "smtp") return `${c.host}:${c.port} (${c.tls}) from ${c.from ?? c.from_address}`;
  if (provider.kind === "sms") return `${c.url} from ${c.from ?? c.from_number}`;
  return "each campaign names its URL";
}

function NewProvider({ base, onMade }: { base: string; onMade: () => void }) {
  const [kind, setKind] = useState<Provider["kind"]>("smtp");
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({ port: "587", tls: "starttls" });
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const config: Record<string, unknown> = {};
    for (const field of FIELDS[kind]) {
      const value = values[field.name];
      if (value) config[field.name] = field.type === "number" ? Number(value) : value;
    }
    try {
      await api("POST", `${base}/providers`, { name, kind, config });
      setName("");
      setValues({ port: "587", tls: "starttls" });  // the secrets leave the page with the form
      setError(null);
      onMade();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form onSubmit={submit} className="new-provider">
      <h3>New provider</h3>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="field"><label htmlFor="provider-name">Name</label>
        <input id="provider-name" required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} /></div>
      <div className="field"><label htmlFor="provider-kind">Kind</label>
        <select id="provider-kind" value={kind} onChange={(e) => setKind(e.target.value as Provider["kind"])}>
          <option value="smtp">email (SMTP)</option>
          <option value="sms">SMS (Twilio-compatible)</option>
          <option value="webhook">webhook</option>
        </select></div>
      {FIELDS[kind].map((field) => (
        <div className="field" key={field.name}>
          <label htmlFor={`provider-${field.name}`}>{field.label}{field.secret ? " (sealed, never shown again)" : ""}</label>
          {field.choices ? (
            <select id={`provider-${field.name}`} value={values[field.name] ?? field.choices[0]}
              onChange={(e) => setValues({ ...values, [field.name]: e.target.value })}>
              {field.choices.map((c) => <option key={c}>{c}</option>)}
            </select>
          ) : (
            <input id={`provider-${field.name}`} type={field.type ?? "text"} value={values[field.name] ?? ""}
              autoComplete={field.secret ? "new-password" : "off"}
              onChange={(e) => setValues({ ...values, [field.name]: e.target.value })} />
          )}
        </div>
      ))}
      <button type="submit">Add the provider</button>
    </form>
  );
}

function NewGroup({ base, onMade }: { base: string; onMade: () => void }) {
  const [name, setName] = useState("");
  const [channel, setChannel] = useState("email");
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api("POST", `${base}/subscriptions`, { name, channel });
      setName("");
      onMade();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form className="inline" onSubmit={submit}>
      {error && <p className="error" role="alert">{error}</p>}
      <label htmlFor="group-name">New group</label>
      <input id="group-name" required value={name} onChange={(e) => setName(e.target.value)} placeholder="Newsletter" />
      <select aria-label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
        <option value="email">email</option>
        <option value="sms">sms</option>
        <option value="webhook">webhook</option>
      </select>
      <button type="submit">Add</button>
    </form>
  );
}
