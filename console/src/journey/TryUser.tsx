import { useState, type FormEvent } from "react";
import { api, findUser } from "../api";
import { FindingView } from "./Finding";
import { pathOfTrial, type ShownPath, type Trial } from "./paths";
import type { Steps } from "./graph";

/** Try the journey as it stands in the editor (saved or not) on a chosen user: the path they would take
now, each gate's conditions passed or failed with the values they saw. Nothing is sent or changed. */
export function TryUser({ base, journeyId, steps, exitOn, entrances, onShow, onProblem }: {
  base: string; journeyId: string; steps: () => Steps; exitOn: unknown[]; entrances: string[];
  onShow: (path: ShownPath | null) => void; onProblem: (error: unknown) => void;
}) {
  const [identifier, setIdentifier] = useState("");
  const [entrance, setEntrance] = useState("");
  const [data, setData] = useState("{}");
  const [trial, setTrial] = useState<Trial | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let journeyData: unknown;
    try {
      journeyData = JSON.parse(data || "{}");
    } catch {
      setError("Journey data: not valid JSON");
      return;
    }
    try {
      const user = await findUser(base, identifier);
      const tried = await api<Trial>("POST", `${base}/journeys/${journeyId}/trial`, {
        user_id: user.id, steps: steps(), exit_on: exitOn, entrance: entrance || undefined, data: journeyData,
      });
      setTrial(tried);
      onShow(pathOfTrial(tried));
      setError(null);
    } catch (e) {
      setTrial(null);
      onShow(null);
      setError((e as Error).message);
      onProblem(e);
    }
  };
  return (
    <form className="panel-body" onSubmit={submit}>
      <h2>Try it on a user</h2>
      <p className="muted">The path they would take now. Nothing is sent, recorded or changed.</p>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="field">
        <label htmlFor="try-user">Identifier of the user to try</label>
        <input id="try-user" required value={identifier} onChange={(e) => setIdentifier(e.target.value)} placeholder="ana" />
      </div>
      {entrances.length > 1 && (
        <div className="field">
          <label htmlFor="try-entrance">Entrance</label>
          <select id="try-entrance" value={entrance} onChange={(e) => setEntrance(e.target.value)}>
            <option value="">the first</option>
            {entrances.map((id) => <option key={id} value={id}>{id}</option>)}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor="try-data">Journey data (what the entering event brings, under its data key)</label>
        <textarea id="try-data" className="code" rows={3} spellCheck={false} value={data} onChange={(e) => setData(e.target.value)}
          placeholder='{"order": {"total": 42}}' />
      </div>
      <button type="submit" className="quiet">Try</button>
      {trial && (
        <div data-testid="trial">
          <ol className="plain history">
            {trial.steps.map((step, i) => (
              <li key={i}>
                <code>{step.step_id}</code> {step.says}
                {step.gate && <FindingView finding={step.gate} />}
              </li>
            ))}
          </ol>
          <p><strong>{trial.ends}</strong></p>
          <button type="button" className="quiet small" onClick={() => { setTrial(null); onShow(null); }}>Stop showing</button>
        </div>
      )}
    </form>
  );
}
