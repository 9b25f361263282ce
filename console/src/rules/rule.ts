// A list rule or gate rule as the builder edits it, and back to the API's rule JSON. Every node may be
// negated (`{"not": …}`); groups hold all/any of their children.
export type Json = Record<string, unknown>;

export interface Count {
  op: string;
  value: number;
}

export type RuleNode =
  | { kind: "group"; mode: "all" | "any"; negated: boolean; children: RuleNode[] }
  | { kind: "property"; negated: boolean; property: string; op: string; value?: unknown }
  | { kind: "event"; negated: boolean; entity: "user" | "organization"; event: string; count: Count;
      within?: string; where?: RuleNode }
  | { kind: "in_list"; negated: boolean; list: string }
  | { kind: "visited_step"; negated: boolean; step: string; count: Count; scope: string };

export const OPERATORS: Record<string, string[]> = {
  string: ["=", "!=", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with", "exists", "not_exists", "empty"],
  number: ["=", "!=", ">", ">=", "<", "<=", "in", "not_in", "exists", "not_exists"],
  boolean: ["=", "!=", "exists", "not_exists"],
  date: ["before", "after", "same_day", "exists", "not_exists"],
  array: ["any", "none", "contains", "not_contains", "empty", "exists", "not_exists"],
  object: ["exists", "not_exists", "empty"],
};
export const COUNT_OPERATORS = ["=", "!=", ">", ">=", "<", "<="];
export const NO_VALUE = new Set(["exists", "not_exists", "empty"]);

/** The operators that fit a property of a discovered type (every one when the type is unknown). */
export function operatorsFor(type: string | undefined): string[] {
  if (type && type in OPERATORS) return OPERATORS[type];
  return Array.from(new Set(Object.values(OPERATORS).flat()));
}

export function fromRule(raw: Json): RuleNode {
  if ("not" in raw) {
    const inner = fromRule(raw.not as Json);
    if (inner.negated) return { kind: "group", mode: "all", negated: true, children: [inner] };
    return { ...inner, negated: true };
  }
  if ("all" in raw || "any" in raw) {
    const mode = "all" in raw ? "all" : "any";
    return { kind: "group", mode, negated: false, children: (raw[mode] as Json[]).map(fromRule) };
  }
  if ("in_list" in raw) return { kind: "in_list", negated: false, list: String(raw.in_list) };
  if ("visited_step" in raw) {
    return {
      kind: "visited_step", negated: false, step: String(raw.visited_step),
      count: (raw.count as Count) ?? { op: ">=", value: 1 }, scope: String(raw.scope ?? "run"),
    };
  }
  if ("event" in raw || "organization_event" in raw) {
    const entity = "event" in raw ? "user" : "organization";
    const node: RuleNode = {
      kind: "event", negated: false, entity, event: String(raw[entity === "user" ? "event" : "organization_event"]),
      count: (raw.count as Count) ?? { op: ">=", value: 1 },
    };
    if (raw.within !== undefined) node.within = String(raw.within);
    if (raw.where !== undefined) node.where = fromRule(raw.where as Json);
    return node;
  }
  const node: RuleNode = { kind: "property", negated: false, property: String(raw.property ?? ""), op: String(raw.op ?? "=") };
  if ("value" in raw) node.value = raw.value;
  return node;
}

export function toRule(node: RuleNode): Json {
  const rule = positive(node);
  return node.negated ? { not: rule } : rule;
}

function positive(node: RuleNode): Json {
  switch (node.kind) {
    case "group":
      return { [node.mode]: node.children.map(toRule) };
    case "in_list":
      return { in_list: node.list };
    case "visited_step":
      return { visited_step: node.step, count: node.count, scope: node.scope };
    case "event": {
      const rule: Json = { [node.entity === "user" ? "event" : "organization_event"]: node.event, count: node.count };
      if (node.within !== undefined) rule.within = node.within;
      if (node.where !== undefined) rule.where = toRule(node.where);
      return rule;
    }
    case "property": {
      const rule: Json = { property: node.property, op: node.op };
      if (!NO_VALUE.has(node.op) && node.value !== undefined) rule.value = node.value;
      return rule;
    }
  }
}

/** One line a person reads: `user.data.plan = "pro" AND did order.completed >= 2 times within 30 days`. */
export function describe(node: RuleNode): string {
  const text = (() => {
    switch (node.kind) {
      case "group":
        return node.children.length === 1
          ? describe(node.children[0])
          : `(${node.children.map(describe).join(node.mode === "all" ? " AND " : " OR ")})`;
      case "in_list":
        return `in list ${node.list}`;
      case "visited_step":
        return `visited ${node.step} ${node.count.op} ${node.count.value} times`;
      case "event": {
        const who = node.entity === "user" ? "did" : "their organization had";
        const within = node.within ? ` within ${node.within}` : "";
        return `${who} ${node.event} ${node.count.op} ${node.count.value} times${within}${node.where ? ` where ${describe(node.where)}` : ""}`;
      }
      case "property":
        return NO_VALUE.has(node.op) ? `${node.property} ${node.op}` : `${node.property} ${node.op} ${JSON.stringify(node.value)}`;
    }
  })();
  return node.negated ? `NOT ${text}` : text;
}

export function emptyCondition(): RuleNode {
  return { kind: "property", negated: false, property: "user.data.", op: "=", value: "" };
}
