import { describe, expect, it } from "vitest";
import { duplicate, engineSteps, graphToSteps, newStep, STEP_TYPES, stepsToGraph, type Steps } from "./graph";

const ORDER_FOLLOW_UP: Steps = {
  entry: { type: "entrance", trigger: "event", event: "order.completed", data_key: "order", next: "plan" },
  plan: { type: "gate", rule: { property: "user.data.plan", op: "=", value: "premium" }, yes: "thanks", no: "done" },
  thanks: { type: "send", campaign_id: "c1", data_key: "thanks", next: "remember" },
  remember: { type: "update", body: '{"last_order_total": {{ journey.order.total }}}', next: "wait" },
  wait: { type: "delay", duration: "2 days", next: "done" },
  done: { type: "exit" },
};

const EVERY_TYPE: Steps = {
  entry: { type: "entrance", trigger: "event", event: "signed.up", next: "split" },
  split: { type: "experiment", variants: [{ ratio: 1, next: "gate" }, { ratio: 3, next: "spread" }] },
  gate: { type: "gate", rule: { event: "order.completed", count: { op: ">=", value: 1 } }, yes: "hook", no: null },
  spread: { type: "balancer", paths: ["ping", "later"], limit: 10, period: "hour" },
  hook: { type: "action", url: "https://crm.example/hook", method: "POST", next: "ping" },
  ping: { type: "event", name: "pinged", body: { a: 1 }, next: "note" },
  note: { type: "update", body: { seen: true }, next: "mail" },
  mail: { type: "send", campaign_id: "c2", next: "end" },
  later: { type: "delay", until_time: "09:00", exclusion_days: [0, 6], next: "hop" },
  hop: { type: "link", journey_id: "j2", delay: "1 hour" },
  end: { type: "exit" },
};

describe("steps ↔ graph", () => {
  for (const [name, steps] of Object.entries({ "order follow-up": ORDER_FOLLOW_UP, "every step type": EVERY_TYPE })) {
    it(`round-trips the ${name} journey`, () => {
      const { nodes, edges } = stepsToGraph(steps);
      expect(nodes.map((n) => n.id).sort()).toEqual(Object.keys(steps).sort());
      expect(engineSteps(graphToSteps(nodes, edges))).toEqual(steps);
      // Positions are kept once laid out: a second round trip changes nothing.
      const placed = graphToSteps(nodes, edges);
      const again = stepsToGraph(placed);
      expect(graphToSteps(again.nodes, again.edges)).toEqual(placed);
    });
  }

  it("draws an edge per link, from the outlet that names it", () => {
    const { edges } = stepsToGraph(EVERY_TYPE);
    const by = Object.fromEntries(edges.map((e) => [`${e.source}.${e.outlet}`, e.target]));
    expect(by).toMatchObject({
      "entry.next": "split", "split.variant:0": "gate", "split.variant:1": "spread", "gate.yes": "hook",
      "spread.path:0": "ping", "spread.path:1": "later", "later.next": "hop",
    });
    expect(by["gate.no"]).toBeUndefined();
    expect(edges.filter((e) => e.source === "hop" || e.source === "end")).toEqual([]);
  });

  it("rebuilds links from edges: removing one cuts it, adding one sets it", () => {
    const { nodes, edges } = stepsToGraph(ORDER_FOLLOW_UP);
    const kept = edges.filter((e) => !(e.source === "plan" && e.outlet === "no"));
    kept.push({ id: "x", source: "wait", outlet: "next", target: "thanks" });
    const steps = graphToSteps(nodes, kept.filter((e) => !(e.source === "wait" && e.target === "done")));
    expect(steps.plan.no).toBeNull();
    expect(steps.wait.next).toBe("thanks");
  });

  it("makes a valid-shaped step of every type", () => {
    for (const type of STEP_TYPES) expect(newStep(type).type).toBe(type);
  });

  it("duplicates steps under fresh ids, keeping links inside the copy", () => {
    const { nodes } = stepsToGraph(ORDER_FOLLOW_UP);
    const copies = duplicate(nodes.filter((n) => ["wait", "done"].includes(n.id)), Object.keys(ORDER_FOLLOW_UP));
    expect(copies.map((c) => c.id)).toEqual(["wait_2", "done_2"]);
    expect(copies[0].step.next).toBe("done_2");
  });
});
