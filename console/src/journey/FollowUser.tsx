import { useState, type FormEvent } from "react";
import { api, findUser, temporalRunsUrl, type ConsoleConfig } from "../api";
import { FindingView } from "./Finding";
import { pathOfRun, pathTaken, type FollowedRun, type ShownPath } from "./paths";

/** Where a user is in this journey, and why: their latest run's visits drawn on the graph, each gate
with the conditions it judged and the values it saw then. */
export function FollowUser({ base, journeyId, config, onShow }: {
  base: string; journeyId: string; config: ConsoleConfig; onShow: (path: ShownPath | null) => void;
}) {
  const [identifier, setIdentifier] = useState("");
  const [followed, setFollowed] = useState<FollowedRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  const show = (run: FollowedRun | null) => {
    setFollowed(run);
    onShow(run ? pathOfRun(run) : null);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const user = await findUser(base, identifier);
      const page = await api<{ results: FollowedRun[] }>("GET", `${base}/journeys/${journeyId}/runs?user_id=${user.id}`);
      const latest = page.results[page.results.length - 1];
      if (!latest) throw new Error(`${identifier} has not entered this journey`);
      show(latest);
      setError(null);
    } catch (e) {
      show(null);
      setError((e as Error).message);
    }
  };
  const url = followed ? temporalRunsUrl(config, journeyId, followed.user_id) : null;
  return (
    <form className="panel-body" onSubmit={submit}>
      <h2>Where is a user, and why?</h2>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="field">
        <label htmlFor="follow-user">Identifier of the user to show</label>
        <input id="follow-user" required value={identifier} onChange={(e) => setIdentifier(e.target.value)} placeholder="ana" />
      </div>
      <button type="submit" className="quiet">Show their path</button>
      {followed && (
        <div data-testid="followed-run">
          <p><strong>{followed.status}</strong>{followed.current_step ? ` at ${followed.current_step}` : ""} · version {followed.version}
            {url && <> · <a href={url} target="_blank" rel="noreferrer">Temporal UI</a></>}</p>
          <ol className="plain history">
            {pathTaken(followed).map((visit, i) => (
              <li key={i}>
                <code>{visit.step_id}</code> {new Date(visit.entered_at).toLocaleString()}
                {visit.next ? <> → <code>{visit.next}</code></> : null}
                {visit.result && typeof visit.result.status === "string" ? <> · {String(visit.result.status)}{visit.result.reason ? ` (${String(visit.result.reason)})` : ""}</> : null}
                {visit.gate && <FindingView finding={visit.gate} />}
              </li>
            ))}
          </ol>
          <button type="button" className="quiet small" onClick={() => show(null)}>Stop showing</button>
        </div>
      )}
    </form>
  );
}
