import { api } from "./api";
import type { Vocabulary } from "./rules/RuleBuilder";

/** Names the rule builder suggests: user fields, event names and their data paths. */
export async function loadVocabulary(base: string): Promise<Vocabulary> {
  type SchemaEvent = { entity: string; name: string; properties: { path: string; type: string }[] };
  const schema = await api<SchemaEvent[]>("GET", `${base}/events/schema`).catch(() => [] as SchemaEvent[]);
  const events = [...new Set(schema.filter((e) => e.entity === "user").map((e) => e.name))].sort();
  const properties = [
    ...["user.email", "user.phone", "user.timezone", "user.locale"].map((path) => ({ path, type: "string" })),
    { path: "user.created_at", type: "date" },
    ...schema.flatMap((e) => e.properties.map((p) => ({ path: `event.data.${p.path}`, type: p.type }))),
  ];
  return { properties: [...new Map(properties.map((p) => [p.path, p])).values()], events };
}
