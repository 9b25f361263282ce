// A journey's steps JSON as a graph and back: nodes are steps, edges are the links a step names
// (`next`, a gate's `yes`/`no`, an experiment's variants, a balancer's paths). Editor-only fields live in
// each step (`title`, `note`, `position`); the engine ignores them.
import dagre from "@dagrejs/dagre";

export type Step = Record<string, unknown> & { type: string };
export type Steps = Record<string, Step>;

export interface Position {
  x: number;
  y: number;
}

export interface StepNode {
  id: string;
  step: Step;
  position: Position;
}

// An edge leaves a step by one of its outlets ("next", "yes", "no", "variant:0", "path:1") for a target.
export interface StepEdge {
  id: string;
  source: string;
  outlet: string;
  target: string;
}

export const STEP_TYPES = [
  "entrance", "delay", "gate", "send", "update", "action", "event", "experiment", "balancer", "link", "exit",
] as const;

const EDITOR_FIELDS = ["title", "note", "position"];

/** The outlets a step has, in order: where its edges may start. */
export function outlets(step: Step): string[] {
  switch (step.type) {
    case "gate":
      return ["yes", "no"];
    case "experiment":
      return (asList(step.variants)).map((_, i) => `variant:${i}`);
    case "balancer":
      return (asList(step.paths)).map((_, i) => `path:${i}`);
    case "exit":
    case "link":
      return [];
    default:
      return ["next"];
  }
}

/** How an outlet is labelled on its step ("" for the plain "next"). */
export function outletLabel(outlet: string): string {
  const [kind, index] = outlet.split(":");
  if (kind === "variant") return `variant ${Number(index) + 1}`;
  if (kind === "path") return `path ${Number(index) + 1}`;
  return kind === "next" ? "" : kind;
}

/** Where an outlet of a step leads now (null: nowhere). */
export function targetOf(step: Step, outlet: string): string | null {
  const [kind, index] = outlet.split(":");
  if (kind === "variant") return (asList(step.variants)[Number(index)] as { next?: string | null })?.next ?? null;
  if (kind === "path") return (asList(step.paths)[Number(index)] as string | null) ?? null;
  return (step[kind] as string | null | undefined) ?? null;
}

/** The step with an outlet leading to `target` (null: nowhere). */
export function withTarget(step: Step, outlet: string, target: string | null): Step {
  const [kind, index] = outlet.split(":");
  if (kind === "variant") {
    const variants = asList(step.variants).map((v, i) => (i === Number(index) ? { ...(v as object), next: target } : v));
    return { ...step, variants };
  }
  if (kind === "path") {
    const paths = asList(step.paths).map((p, i) => (i === Number(index) ? target : p));
    return { ...step, paths };
  }
  return { ...step, [kind]: target };
}

export function edgeId(source: string, outlet: string): string {
  return `${source}→${outlet}`;
}

/** Nodes and edges of the steps; steps without a position are laid out automatically. */
export function stepsToGraph(steps: Steps): { nodes: StepNode[]; edges: StepEdge[] } {
  const edges: StepEdge[] = [];
  for (const [id, step] of Object.entries(steps)) {
    for (const outlet of outlets(step)) {
      const target = targetOf(step, outlet);
      if (target && target in steps) edges.push({ id: edgeId(id, outlet), source: id, outlet, target });
    }
  }
  const placed = Object.values(steps).every((s) => isPosition(s.position));
  const layout = placed ? null : autoLayout(Object.keys(steps), edges);
  const nodes = Object.entries(steps).map(([id, step]) => ({
    id,
    step,
    position: isPosition(step.position) && layout === null ? step.position : layout![id],
  }));
  return { nodes, edges };
}

/** The steps JSON of a graph: each step's links rebuilt from the edges, its position kept. */
export function graphToSteps(nodes: StepNode[], edges: StepEdge[]): Steps {
  const steps: Steps = {};
  for (const node of nodes) {
    let step: Step = { ...node.step, position: { x: Math.round(node.position.x), y: Math.round(node.position.y) } };
    for (const outlet of outlets(step)) {
      const edge = edges.find((e) => e.source === node.id && e.outlet === outlet);
      step = withTarget(step, outlet, edge ? edge.target : null);
    }
    steps[node.id] = step;
  }
  return steps;
}

/** The steps without the editor's own fields: what the engine reads. */
export function engineSteps(steps: Steps): Steps {
  return Object.fromEntries(
    Object.entries(steps).map(([id, step]) => [
      id,
      Object.fromEntries(Object.entries(step).filter(([key]) => !EDITOR_FIELDS.includes(key))) as Step,
    ]),
  );
}

const NODE_WIDTH = 240;
const NODE_HEIGHT = 90;

/** Top-to-bottom positions for every node (dagre's layered layout). */
export function autoLayout(ids: string[], edges: StepEdge[]): Record<string, Position> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "TB", nodesep: 50, ranksep: 70 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  return Object.fromEntries(
    ids.map((id) => {
      const { x, y } = graph.node(id);
      return [id, { x: Math.round(x - NODE_WIDTH / 2), y: Math.round(y - NODE_HEIGHT / 2) }];
    }),
  );
}

/** A fresh step of a type, with the fields it needs to be valid once filled in. */
export function newStep(type: string): Step {
  switch (type) {
    case "entrance":
      return { type, trigger: "event", event: "", next: null };
    case "delay":
      return { type, duration: "1 day", next: null };
    case "gate":
      return { type, rule: { property: "user.data.plan", op: "exists" }, yes: null, no: null };
    case "send":
      return { type, campaign_id: "", next: null };
    case "update":
      return { type, body: "{}", next: null };
    case "action":
      return { type, url: "https://", method: "POST", next: null };
    case "event":
      return { type, name: "", next: null };
    case "experiment":
      return { type, variants: [{ ratio: 1, next: null }, { ratio: 1, next: null }] };
    case "balancer":
      return { type, paths: [null, null], limit: null, period: "hour" };
    case "link":
      return { type, journey_id: "", delay: "0 seconds" };
    default:
      return { type: "exit" };
  }
}

/** An id for a new step of a type: `send`, `send_2`, … */
export function freshId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(type)) return type;
  let n = 2;
  while (used.has(`${type}_${n}`)) n += 1;
  return `${type}_${n}`;
}

/** Copies of steps under fresh ids, with links between the copied steps kept and others cut. */
export function duplicate(nodes: StepNode[], taken: Iterable<string>, offset = 40): StepNode[] {
  const used = new Set(taken);
  const renamed = new Map<string, string>();
  for (const node of nodes) {
    const id = freshId(node.id, used);
    used.add(id);
    renamed.set(node.id, id);
  }
  return nodes.map((node) => {
    let step: Step = { ...node.step };
    for (const outlet of outlets(step)) {
      const target = targetOf(step, outlet);
      step = withTarget(step, outlet, target && renamed.has(target) ? renamed.get(target)! : null);
    }
    return {
      id: renamed.get(node.id)!,
      step,
      position: { x: node.position.x + offset, y: node.position.y + offset },
    };
  });
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isPosition(value: unknown): value is Position {
  return typeof value === "object" && value !== null && typeof (value as Position).x === "number"
    && typeof (value as Position).y === "number";
}
