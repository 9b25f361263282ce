import { api } from "./api";
import type { Vocabulary } from "./rules/RuleBuilder";

/** Names the rule builder suggests: user and organization fields, event names and each one's data
paths, and the project's lists. */
export async function loadVocabulary(base: string): Promise<Vocabulary> {
  type SchemaEvent = { entity: string; name: string; properties: { path: string; type: string }[] };
  const [schema, lists] = await Promise.all([
    api<SchemaEvent[]>("GET", `${base}/events/schema`).catch(() => [] as SchemaEvent[]),
    api<{ id: string; name: string }[]>("GET", `${base}/lists`).catch(() => []),
  ]);
  const names = (entity: string) => [...new Set(schema.filter((e) => e.entity === entity).map((e) => e.name))].sort();
  const properties = [
    ...["user.email", "user.phone", "user.timezone", "user.locale", "organization.name"].map((path) => ({ path, type: "string" })),
    { path: "user.created_at", type: "date" },
    { path: "organization.created_at", type: "date" },
    { path: "organization.data.", type: "" },
    { path: "member.data.", type: "" },
  ];
  const eventProperties: Record<string, { path: string; type: string }[]> = {};
  for (const e of schema) {
    eventProperties[e.name] = [...(eventProperties[e.name] ?? []), ...e.properties.map((p) => ({ path: `event.${p.path}`, type: p.type }))];
  }
  return {
    properties, events: names("user"), organizationEvents: names("organization"), eventProperties,
    lists: lists.map((l) => ({ id: l.id, name: l.name })),
  };
}
