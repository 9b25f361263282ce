import type { ComponentProps, ReactNode } from "react";
import { fromRule, toRule, type Json } from "../rules/rule";
import { RuleBuilder, type Vocabulary } from "../rules/RuleBuilder";
import type { Step } from "./graph";

export interface Choices {
  campaigns: { id: string; name: string }[];
  journeys: { id: string; name: string }[];
  lists: { id: string; name: string }[];
  vocabulary: Vocabulary;
}

interface Props {
  id: string;
  step: Step;
  problem?: string;
  readOnly: boolean;
  choices: Choices;
  onChange: (step: Step) => void;
}

/** Every field of a step, by its type. */
export function StepPanel({ id, step, problem, readOnly, choices, onChange }: Props) {
  const set = (field: string, value: unknown) => onChange({ ...step, [field]: value === "" ? undefined : value });
  const text = (field: string, label: string, extra: Partial<ComponentProps<"input">> = {}) => (
    <Field label={label} id={`${id}-${field}`}>
      <input id={`${id}-${field}`} value={(step[field] as string | undefined) ?? ""} disabled={readOnly}
        onChange={(e) => set(field, e.target.value)} {...extra} />
    </Field>
  );
  const liquid = (field: string, label: string) => (
    <Field label={label} id={`${id}-${field}`}>
      <textarea id={`${id}-${field}`} className="code" rows={5} disabled={readOnly} spellCheck={false}
        value={typeof step[field] === "string" ? (step[field] as string) : JSON.stringify(step[field] ?? "", null, 2)}
        onChange={(e) => set(field, e.target.value)} />
      <small className="muted">Liquid: <code>{"{{ user.data.plan }}"}</code>, <code>{"{{ journey.order.total }}"}</code>, <code>{"{{ now }}"}</code></small>
    </Field>
  );
  const rule = (field: string, label: string) => (
    <Field label={label} id={`${id}-${field}`}>
      <RuleBuilder node={fromRule((step[field] as Json) ?? { property: "user.data.", op: "exists" })}
        vocabulary={choices.vocabulary} readOnly={readOnly} onChange={(node) => set(field, toRule(node))} />
    </Field>
  );

  return (
    <div className="panel-body">
      {problem && <p className="error" role="alert">{problem}</p>}
      <p className="muted">Step <code>{id}</code> · {step.type}</p>
      {text("title", "Name")}
      <Field label="Note" id={`${id}-note`}>
        <textarea id={`${id}-note`} rows={2} disabled={readOnly} value={(step.note as string) ?? ""}
          onChange={(e) => set("note", e.target.value)} />
      </Field>
      {step.type === "entrance" && (
        <>
          <Field label="Trigger" id={`${id}-trigger`}>
            <select id={`${id}-trigger`} value={(step.trigger as string) ?? "event"} disabled={readOnly}
              onChange={(e) => set("trigger", e.target.value)}>
              <option value="event">an event</option>
              <option value="schedule">a list, on a schedule</option>
              <option value="none">only a link from another journey</option>
            </select>
          </Field>
          {(step.trigger ?? "event") === "event" && (
            <>
              <Field label="Event" id={`${id}-event`}>
                <input id={`${id}-event`} list={`${id}-events`} value={(step.event as string) ?? ""} disabled={readOnly}
                  onChange={(e) => set("event", e.target.value)} />
                <datalist id={`${id}-events`}>{choices.vocabulary.events.map((n) => <option key={n} value={n} />)}</datalist>
              </Field>
              {text("data_key", "Keep the event's data as journey.<key>")}
            </>
          )}
          {step.trigger === "schedule" && (
            <>
              <Field label="List" id={`${id}-list`}>
                <select id={`${id}-list`} value={(step.list_id as string) ?? ""} disabled={readOnly}
                  onChange={(e) => set("list_id", e.target.value)}>
                  <option value="">choose a list</option>
                  {choices.lists.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
                </select>
              </Field>
              {text("interval", "Every", { placeholder: "7 days" })}
            </>
          )}
          <label className="check"><input type="checkbox" checked={Boolean(step.multiple)} disabled={readOnly}
            onChange={(e) => set("multiple", e.target.checked)} /> users may enter again</label>
          <label className="check"><input type="checkbox" checked={Boolean(step.simultaneous)} disabled={readOnly}
            onChange={(e) => set("simultaneous", e.target.checked)} /> … while a run is still open</label>
        </>
      )}
      {step.type === "delay" && <DelayFields id={id} step={step} readOnly={readOnly} onChange={onChange} />}
      {step.type === "gate" && rule("rule", "Continue down “yes” when")}
      {step.type === "send" && (
        <>
          <Field label="Campaign" id={`${id}-campaign`}>
            <select id={`${id}-campaign`} value={(step.campaign_id as string) ?? ""} disabled={readOnly}
              onChange={(e) => set("campaign_id", e.target.value)}>
              <option value="">choose a campaign</option>
              {choices.campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </Field>
          {text("data_key", "Keep the outcome as journey.<key>")}
        </>
      )}
      {step.type === "update" && liquid("body", "Data to merge into the user's (a JSON object, Liquid allowed)")}
      {step.type === "action" && (
        <>
          {text("url", "URL")}
          <Field label="Method" id={`${id}-method`}>
            <select id={`${id}-method`} value={(step.method as string) ?? "POST"} disabled={readOnly}
              onChange={(e) => set("method", e.target.value)}>
              {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => <option key={m}>{m}</option>)}
            </select>
          </Field>
          {liquid("body", "Body")}
          {text("data_key", "Keep the response as journey.<key>")}
        </>
      )}
      {step.type === "event" && (<>{text("name", "Event name")}{liquid("body", "Event data")}</>)}
      {step.type === "experiment" && (
        <Field label="Variants (ratios)" id={`${id}-variants`}>
          {((step.variants as { ratio: number; next: string | null }[]) ?? []).map((v, i, all) => (
            <div className="rule-row" key={i}>
              <span>variant {i + 1}</span>
              <input aria-label={`Ratio of variant ${i + 1}`} type="number" min={0} className="short" value={v.ratio} disabled={readOnly}
                onChange={(e) => set("variants", all.map((w, j) => (j === i ? { ...w, ratio: Number(e.target.value) } : w)))} />
            </div>
          ))}
          {!readOnly && <button type="button" className="quiet small"
            onClick={() => set("variants", [...((step.variants as unknown[]) ?? []), { ratio: 1, next: null }])}>+ variant</button>}
        </Field>
      )}
      {step.type === "balancer" && (
        <>
          <Field label="Paths" id={`${id}-paths`}>
            <input id={`${id}-paths`} type="number" min={2} max={10} className="short" disabled={readOnly}
              value={((step.paths as unknown[]) ?? []).length}
              onChange={(e) => {
                const n = Math.max(2, Math.min(10, Number(e.target.value)));
                const paths = (step.paths as (string | null)[]) ?? [];
                set("paths", Array.from({ length: n }, (_, i) => paths[i] ?? null));
              }} />
          </Field>
          {text("limit", "At most this many runs per window (empty: no limit)")}
          {text("period", "Window", { placeholder: "hour" })}
        </>
      )}
      {step.type === "link" && (
        <>
          <Field label="Journey" id={`${id}-journey`}>
            <select id={`${id}-journey`} value={(step.journey_id as string) ?? ""} disabled={readOnly}
              onChange={(e) => set("journey_id", e.target.value)}>
              <option value="">choose a journey</option>
              {choices.journeys.map((j) => <option key={j.id} value={j.id}>{j.name}</option>)}
            </select>
          </Field>
          {text("delay", "After", { placeholder: "1 hour" })}
        </>
      )}
    </div>
  );
}

function DelayFields({ id, step, readOnly, onChange }: { id: string; step: Step; readOnly: boolean; onChange: (s: Step) => void }) {
  const mode = step.until_time !== undefined ? "until_time" : step.until_date !== undefined ? "until_date" : "duration";
  const value = (step[mode] as string) ?? "";
  const choose = (next: string) => {
    const { duration: _d, until_time: _t, until_date: _u, ...rest } = step;
    onChange({ ...rest, [next]: next === "duration" ? "1 day" : next === "until_time" ? "09:00" : "" } as Step);
  };
  return (
    <>
      <Field label="Wait" id={`${id}-mode`}>
        <select id={`${id}-mode`} value={mode} disabled={readOnly} onChange={(e) => choose(e.target.value)}>
          <option value="duration">for a duration</option>
          <option value="until_time">until a time of day (the user's timezone)</option>
          <option value="until_date">until a date</option>
        </select>
      </Field>
      <Field label={mode === "duration" ? "Duration" : mode === "until_time" ? "Time of day" : "Date"} id={`${id}-value`}>
        {mode === "until_time" ? (
          <input id={`${id}-value`} type="time" value={value} disabled={readOnly} onChange={(e) => onChange({ ...step, until_time: e.target.value })} />
        ) : mode === "until_date" ? (
          <input id={`${id}-value`} value={value} placeholder="2027-01-01T09:00:00Z or {{ user.data.renewal }}" disabled={readOnly}
            onChange={(e) => onChange({ ...step, until_date: e.target.value })} />
        ) : (
          <input id={`${id}-value`} value={value} placeholder="2 days 3 hours" disabled={readOnly}
            onChange={(e) => onChange({ ...step, duration: e.target.value })} />
        )}
      </Field>
    </>
  );
}

function Field({ label, id, children }: { label: string; id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}
