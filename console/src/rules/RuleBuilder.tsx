import { useId } from "react";
import { COUNT_OPERATORS, emptyCondition, NO_VALUE, operatorsFor, type Count, type RuleNode } from "./rule";

export interface Vocabulary {
  properties: { path: string; type: string }[]; // user.*, user.data.*, organization.*, member.data.*, journey.*
  events: string[];
  organizationEvents?: string[];
  // Each event's data paths (`event.data.total`), for an event condition's `where`.
  eventProperties?: Record<string, { path: string; type: string }[]>;
  lists?: { id: string; name: string }[];
  steps?: string[]; // in a journey's gates: the steps a run may have visited
}

interface Props {
  node: RuleNode;
  onChange: (node: RuleNode) => void;
  vocabulary: Vocabulary;
  readOnly?: boolean;
  onRemove?: () => void;
  depth?: number;
}

/** all / any / not groups of conditions, each fitting its kind; names autocompleted from the schema. */
export function RuleBuilder({ node, onChange, vocabulary, readOnly, onRemove, depth = 0 }: Props) {
  const listId = useId();
  const negate = (
    <label className="check">
      <input type="checkbox" checked={node.negated} disabled={readOnly}
        onChange={(e) => onChange({ ...node, negated: e.target.checked })} /> not
    </label>
  );
  const remove = onRemove && !readOnly && (
    <button type="button" className="quiet small" onClick={onRemove} aria-label="Remove this condition">✕</button>
  );

  if (node.kind === "group") {
    const setChild = (i: number, child: RuleNode) =>
      onChange({ ...node, children: node.children.map((c, j) => (j === i ? child : c)) });
    return (
      <fieldset className={`rule-group depth-${depth % 3}`}>
        <legend>
          {negate}
          <select aria-label="Match" value={node.mode} disabled={readOnly}
            onChange={(e) => onChange({ ...node, mode: e.target.value as "all" | "any" })}>
            <option value="all">all of</option>
            <option value="any">any of</option>
          </select>
          {remove}
        </legend>
        {node.children.map((child, i) => (
          <RuleBuilder key={i} node={child} vocabulary={vocabulary} readOnly={readOnly} depth={depth + 1}
            onChange={(c) => setChild(i, c)}
            onRemove={node.children.length > 1 ? () => onChange({ ...node, children: node.children.filter((_, j) => j !== i) }) : undefined} />
        ))}
        {!readOnly && (
          <div className="rule-add">
            <button type="button" className="quiet small" onClick={() => onChange({ ...node, children: [...node.children, emptyCondition()] })}>+ property</button>
            <button type="button" className="quiet small" onClick={() => onChange({ ...node, children: [...node.children,
              { kind: "event", negated: false, entity: "user", event: vocabulary.events[0] ?? "", count: { op: ">=", value: 1 } }] })}>+ event</button>
            <button type="button" className="quiet small" onClick={() => onChange({ ...node, children: [...node.children,
              { kind: "group", mode: "any", negated: false, children: [emptyCondition()] }] })}>+ group</button>
            {vocabulary.lists && vocabulary.lists.length > 0 && (
              <button type="button" className="quiet small" onClick={() => onChange({ ...node, children: [...node.children,
                { kind: "in_list", negated: false, list: vocabulary.lists?.[0]?.id ?? "" }] })}>+ in list</button>
            )}
            {vocabulary.steps && vocabulary.steps.length > 0 && (
              <button type="button" className="quiet small" onClick={() => onChange({ ...node, children: [...node.children,
                { kind: "visited_step", negated: false, step: vocabulary.steps?.[0] ?? "", count: { op: ">=", value: 1 }, scope: "run" }] })}>+ visited step</button>
            )}
          </div>
        )}
      </fieldset>
    );
  }

  if (node.kind === "property") {
    const type = vocabulary.properties.find((p) => p.path === node.property)?.type;
    return (
      <div className="rule-row">
        {negate}
        <input aria-label="Property" list={listId} value={node.property} disabled={readOnly}
          onChange={(e) => onChange({ ...node, property: e.target.value })} />
        <datalist id={listId}>
          {vocabulary.properties.map((p) => <option key={p.path} value={p.path}>{p.type}</option>)}
        </datalist>
        <select aria-label="Operator" value={node.op} disabled={readOnly} onChange={(e) => onChange({ ...node, op: e.target.value })}>
          {operatorsFor(type).map((op) => <option key={op} value={op}>{op}</option>)}
        </select>
        {!NO_VALUE.has(node.op) && (
          <input aria-label="Value" value={show(node.value)} disabled={readOnly}
            onChange={(e) => onChange({ ...node, value: parse(e.target.value, type) })} />
        )}
        {remove}
      </div>
    );
  }

  if (node.kind === "event") {
    const names = node.entity === "user" ? vocabulary.events : vocabulary.organizationEvents ?? [];
    const whereVocabulary: Vocabulary = { properties: vocabulary.eventProperties?.[node.event] ?? [], events: [] };
    return (
      <div className="rule-event">
      <div className="rule-row">
        {negate}
        <select aria-label="Whose event" value={node.entity} disabled={readOnly}
          onChange={(e) => onChange({ ...node, entity: e.target.value as "user" | "organization" })}>
          <option value="user">the user did</option>
          <option value="organization">their organization had</option>
        </select>
        <input aria-label="Event name" list={listId} value={node.event} disabled={readOnly}
          onChange={(e) => onChange({ ...node, event: e.target.value })} />
        <datalist id={listId}>{names.map((name) => <option key={name} value={name} />)}</datalist>
        <CountFields count={node.count} readOnly={readOnly} onChange={(count) => onChange({ ...node, count })} />
        <span>times within</span>
        <input aria-label="Within" className="short" placeholder="ever" value={node.within ?? ""} disabled={readOnly}
          onChange={(e) => onChange({ ...node, within: e.target.value || undefined })} />
        {!readOnly && !node.where && (
          <button type="button" className="quiet small" onClick={() => onChange({ ...node, where: { kind: "property", negated: false, property: "event.data.", op: "=" } })}>+ where</button>
        )}
        {remove}
      </div>
      {node.where && (
        <div className="rule-where">
          <span className="muted">where the event's data:</span>
          <RuleBuilder node={node.where} vocabulary={whereVocabulary} readOnly={readOnly} depth={depth + 1}
            onChange={(where) => onChange({ ...node, where })} onRemove={() => onChange({ ...node, where: undefined })} />
        </div>
      )}
      </div>
    );
  }

  if (node.kind === "in_list") {
    const lists = vocabulary.lists ?? [];
    return (
      <div className="rule-row">
        {negate}
        <span>is in the list</span>
        <select aria-label="List" value={node.list} disabled={readOnly} onChange={(e) => onChange({ ...node, list: e.target.value })}>
          {!lists.some((l) => l.id === node.list) && <option value={node.list}>{node.list}</option>}
          {lists.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
        {remove}
      </div>
    );
  }

  const steps = vocabulary.steps ?? [];
  return (
    <div className="rule-row">
      {negate}
      <span>visited the step</span>
      <select aria-label="Step" value={node.step} disabled={readOnly} onChange={(e) => onChange({ ...node, step: e.target.value })}>
        {!steps.includes(node.step) && <option value={node.step}>{node.step}</option>}
        {steps.map((id) => <option key={id} value={id}>{id}</option>)}
      </select>
      <CountFields count={node.count} readOnly={readOnly} onChange={(count) => onChange({ ...node, count })} />
      <select aria-label="In" value={node.scope} disabled={readOnly} onChange={(e) => onChange({ ...node, scope: e.target.value })}>
        <option value="run">times in this run</option>
        <option value="journey">times in any of their runs</option>
      </select>
      {remove}
    </div>
  );
}

/** How many times: an operator and a number. */
function CountFields({ count, readOnly, onChange }: { count: Count; readOnly?: boolean; onChange: (count: Count) => void }) {
  return (
    <>
      <select aria-label="Count operator" value={count.op} disabled={readOnly} onChange={(e) => onChange({ ...count, op: e.target.value })}>
        {COUNT_OPERATORS.map((op) => <option key={op} value={op}>{op}</option>)}
      </select>
      <input aria-label="Times" type="number" min={0} className="short" value={count.value} disabled={readOnly}
        onChange={(e) => onChange({ ...count, value: Number(e.target.value) })} />
    </>
  );
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A typed value from what was typed: numbers and booleans for such properties, JSON lists, else text. */
function parse(text: string, type: string | undefined): unknown {
  if (type === "number" && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (type === "boolean" && (text === "true" || text === "false")) return text === "true";
  if (text.startsWith("[")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
