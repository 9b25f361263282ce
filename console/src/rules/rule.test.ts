import { describe, expect, it } from "vitest";
import { describe as sentence, fromRule, OPERATORS, toRule, type Json } from "./rule";

const RULES: Record<string, Json> = {
  property: { property: "user.data.plan", op: "=", value: "premium" },
  "no value": { property: "user.email", op: "exists" },
  all: { all: [{ property: "user.data.seats", op: ">=", value: 5 }, { property: "user.locale", op: "starts_with", value: "de" }] },
  any: { any: [{ in_list: "l1" }, { property: "user.data.tags", op: "any", value: ["vip"] }] },
  not: { not: { property: "user.data.churned", op: "=", value: true } },
  "negated group": { not: { any: [{ in_list: "a" }, { in_list: "b" }] } },
  event: {
    event: "order.completed", count: { op: ">=", value: 2 }, within: "30 days",
    where: { property: "event.data.total", op: ">", value: 100 },
  },
  "organization event": { organization_event: "invoice.paid", count: { op: "=", value: 0 } },
  "visited step": { visited_step: "tag", count: { op: ">=", value: 2 }, scope: "journey" },
  nested: { all: [{ any: [{ not: { in_list: "x" } }, { event: "login", count: { op: ">", value: 3 } }] }] },
};

describe("rule JSON ↔ builder", () => {
  for (const [name, rule] of Object.entries(RULES)) {
    it(`round-trips ${name}`, () => expect(toRule(fromRule(rule))).toEqual(rule));
  }

  it("round-trips every operator", () => {
    for (const op of new Set(Object.values(OPERATORS).flat())) {
      const rule = ["exists", "not_exists", "empty"].includes(op)
        ? { property: "user.data.x", op }
        : { property: "user.data.x", op, value: 1 };
      expect(toRule(fromRule(rule))).toEqual(rule);
    }
  });

  it("reads as a sentence", () => {
    expect(sentence(fromRule(RULES.all))).toBe('(user.data.seats >= 5 AND user.locale starts_with "de")');
    expect(sentence(fromRule(RULES.not))).toBe("NOT user.data.churned = true");
    expect(sentence(fromRule(RULES.event))).toBe('did order.completed >= 2 times within 30 days where event.data.total > 100');
    expect(sentence(fromRule(RULES["organization event"]))).toBe("their organization had invoice.paid = 0 times");
  });
});
