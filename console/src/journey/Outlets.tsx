import { outletLabel, outlets, type Step, type StepEdge, type StepNode } from "./graph";

/** Where each outlet of a step leads, chosen from a list: the graph's edges, built without a pointer. */
export function Outlets({ id, step, nodes, edges, readOnly, onLink }: {
  id: string; step: Step; nodes: StepNode[]; edges: StepEdge[]; readOnly: boolean;
  onLink: (outlet: string, target: string | null) => void;
}) {
  const names = outlets(step);
  if (names.length === 0) return null;
  const others = nodes.filter((n) => n.id !== id && n.step.type !== "entrance");
  return (
    <fieldset className="panel-body outlets">
      <legend>Leads to</legend>
      {names.map((outlet) => {
        const current = edges.find((e) => e.source === id && e.outlet === outlet)?.target ?? "";
        const label = outletLabel(outlet) || "then";
        return (
          <div className="field" key={outlet}>
            <label htmlFor={`${id}-leads-${outlet}`}>{label}</label>
            <select id={`${id}-leads-${outlet}`} value={current} disabled={readOnly}
              onChange={(e) => onLink(outlet, e.target.value || null)}>
              <option value="">nowhere (the run ends)</option>
              {others.map((n) => (
                <option key={n.id} value={n.id}>{typeof n.step.title === "string" && n.step.title ? `${n.step.title} (${n.id})` : n.id}</option>
              ))}
            </select>
          </div>
        );
      })}
    </fieldset>
  );
}
