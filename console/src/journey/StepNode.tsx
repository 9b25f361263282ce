import { Handle, Position, type NodeProps } from "@xyflow/react";
import { outletLabel, outlets, type Step } from "./graph";

export interface StepNodeData extends Record<string, unknown> {
  step: Step;
  problem?: string;
  waiting?: number;
  passed?: number;
  exited?: number;
  live: boolean;
  visited?: boolean; // on the path of the run being followed (undefined: no run followed)
}

// Glyphs from the Geometric Shapes, Arrows and Dingbats blocks, which the common system fonts cover.
const ICONS: Record<string, string> = {
  entrance: "▶", delay: "◔", gate: "◇", send: "✉", update: "✎", action: "⇄", event: "✱",
  experiment: "◑", balancer: "⇶", link: "↪", exit: "■",
};

/** What a step does, in a few words, under its title. */
export function summary(step: Step): string {
  switch (step.type) {
    case "entrance":
      return step.trigger === "schedule" ? `every ${step.interval ?? "?"} from a list`
        : step.trigger === "none" ? "entered by a link" : `on ${step.event || "?"}`;
    case "delay":
      return step.duration ? `wait ${step.duration}` : step.until_time ? `until ${step.until_time}` : `until ${step.until_date ?? "?"}`;
    case "gate":
      return "yes / no";
    case "send":
      return step.campaign_id ? "send a campaign" : "choose a campaign";
    case "update":
      return "update the user's data";
    case "action":
      return `${step.method ?? "POST"} ${step.url ?? ""}`;
    case "event":
      return `emit ${step.name || "?"}`;
    case "experiment":
      return `${(step.variants as unknown[] | undefined)?.length ?? 0} variants`;
    case "balancer":
      return `${(step.paths as unknown[] | undefined)?.length ?? 0} paths`;
    case "link":
      return "enter another journey";
    default:
      return "end of the journey";
  }
}

export function StepNodeView({ id, data, selected }: NodeProps) {
  const { step, problem, waiting, passed, exited, live, visited } = data as StepNodeData;
  const exits = outlets(step);
  return (
    <div className={`step-node ${step.type}${selected ? " selected" : ""}${problem ? " invalid" : ""}${visited === false ? " off-path" : ""}${visited ? " on-path" : ""}`}
      aria-label={`step ${id}: ${step.type}`} data-step={id}>
      {step.type !== "entrance" && <Handle type="target" position={Position.Top} />}
      <div className="step-head">
        <span className="step-icon" aria-hidden="true">{ICONS[step.type] ?? "•"}</span>
        <strong>{(step.title as string) || id}</strong>
        <span className="step-type">{step.type}</span>
      </div>
      <div className="step-summary">{summary(step)}</div>
      {live && (
        <div className="step-counts" data-testid={`counts-${id}`}>
          <span title="users waiting here now">{waiting ?? 0} waiting</span>
          <span title="runs that reached this step">{passed ?? 0} reached</span>
          {exited ? <span title="runs that exited here">{exited} exited</span> : null}
        </div>
      )}
      {problem && <div className="step-problem" role="alert">{problem}</div>}
      {step.note ? <div className="step-note">{String(step.note)}</div> : null}
      {exits.map((outlet, i) => (
        <Handle key={outlet} id={outlet} type="source" position={Position.Bottom}
          style={{ left: `${((i + 1) * 100) / (exits.length + 1)}%` }}>
          {outletLabel(outlet) && <span className="outlet-label">{outletLabel(outlet)}</span>}
        </Handle>
      ))}
    </div>
  );
}
