import {
  applyNodeChanges, Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow,
  type Connection, type Edge, type EdgeChange, type Node, type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from "react";
import {
  allows, api, ApiError, findUser, temporalRunsUrl, type ConsoleConfig, type Journey, type JourneyStats, type Me, type Run,
} from "../api";
import { ChartPanel, ENGAGEMENT } from "../Chart";
import { Problem } from "../Problem";
import {
  autoLayout, duplicate, edgeId, freshId, graphToSteps, newStep, STEP_TYPES, stepsToGraph,
  type Step, type StepEdge, type StepNode,
} from "./graph";
import { FollowUser } from "./FollowUser";
import { Outlets } from "./Outlets";
import type { ShownPath } from "./paths";
import { StepNodeView, type StepNodeData } from "./StepNode";
import { StepPanel, type Choices } from "./StepPanel";
import { TryUser } from "./TryUser";
import { loadVocabulary } from "../vocabulary";

type Project = Me["projects"][number];
interface Graph {
  nodes: StepNode[];
  edges: StepEdge[];
}

const NODE_TYPES = { step: StepNodeView };
const HISTORY_LIMIT = 100;

export function JourneyEditor(props: { project: Project; journeyId: string }) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ project, journeyId }: { project: Project; journeyId: string }) {
  const base = `/api/admin/projects/${project.id}`;
  const editable = allows(project.role, "editor");
  const flow = useReactFlow();
  const [journey, setJourney] = useState<Journey | null>(null);
  const [graph, setGraph] = useState<Graph>({ nodes: [], edges: [] });
  const [selected, setSelected] = useState<string[]>([]);
  const [exitOn, setExitOn] = useState<unknown[]>([]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [stats, setStats] = useState<JourneyStats | null>(null);
  const [config, setConfig] = useState<ConsoleConfig>({ temporal_ui_url: null, temporal_namespace: "default" });
  const [choices, setChoices] = useState<Choices>({ campaigns: [], journeys: [], lists: [], vocabulary: { properties: [], events: [] } });
  const [confirmPublish, setConfirmPublish] = useState(false);
  // A path drawn on the graph: a user's run (where they are, and why) or a trial's.
  const [shown, setShown] = useState<ShownPath | null>(null);
  const [dirty, setDirty] = useState(false);
  // Sizes React Flow measured: given back with the nodes, so edges and the minimap know them.
  const [sizes, setSizes] = useState<Record<string, { width: number; height: number }>>({});
  const past = useRef<Graph[]>([]);
  const future = useRef<Graph[]>([]);
  const clipboard = useRef<StepNode[]>([]);

  const load = useCallback(async () => {
    try {
      const found = await api<Journey>("GET", `${base}/journeys/${journeyId}`);
      setJourney(found);
      setGraph(stepsToGraph(found.steps));
      setExitOn(found.exit_on);
      setDirty(false);
      past.current = [];
      future.current = [];
    } catch (e) {
      setLoadError((e as Error).message);
    }
  }, [base, journeyId]);

  useEffect(() => {
    void load();
    api<ConsoleConfig>("GET", "/api/console/config").then(setConfig).catch(() => undefined);
    void loadChoices(base, journeyId).then(setChoices);
  }, [load, base, journeyId]);

  // Live counts on a published journey, every few seconds.
  useEffect(() => {
    if (!journey || journey.status === "draft") return;
    let stopped = false;
    // Not while the tab is hidden: each poll counts the journey's runs and visits.
    const tick = () => document.visibilityState === "hidden" ? undefined : api<JourneyStats>("GET", `${base}/journeys/${journeyId}/stats`)
      .then((s) => { if (!stopped) setStats(s); }).catch(() => undefined);
    void tick();
    const timer = window.setInterval(tick, 3000);
    return () => { stopped = true; window.clearInterval(timer); };
  }, [journey, base, journeyId]);

  /** Every change goes through here, so it can be undone. */
  const change = useCallback((next: Graph) => {
    setGraph((current) => {
      past.current = [...past.current.slice(-HISTORY_LIMIT + 1), current];
      future.current = [];
      return next;
    });
    setDirty(true);
  }, []);

  const undo = useCallback(() => {
    const previous = past.current.pop();
    if (!previous) return;
    setGraph((current) => { future.current.push(current); return previous; });
    setDirty(true);
  }, []);
  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    setGraph((current) => { past.current.push(current); return next; });
    setDirty(true);
  }, []);

  const addStep = useCallback((type: string, at?: { x: number; y: number }) => {
    const id = freshId(type, graph.nodes.map((n) => n.id));
    const center = at ?? flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 });
    change({ ...graph, nodes: [...graph.nodes, { id, step: newStep(type), position: center }] });
    setSelected([id]);
  }, [graph, change, flow]);

  const paste = useCallback((nodes: StepNode[]) => {
    if (nodes.length === 0) return;
    const copies = duplicate(nodes, graph.nodes.map((n) => n.id));
    const links = stepsToGraph(Object.fromEntries(copies.map((c) => [c.id, c.step]))).edges;
    change({ nodes: [...graph.nodes, ...copies], edges: [...graph.edges, ...links] });
    setSelected(copies.map((c) => c.id));
  }, [graph, change]);

  const removeSelected = useCallback(() => {
    if (selected.length === 0) return;
    const gone = new Set(selected);
    change({
      nodes: graph.nodes.filter((n) => !gone.has(n.id)),
      edges: graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target) && !gone.has(e.id)),
    });
    setSelected([]);
  }, [graph, selected, change]);

  // Keyboard: undo/redo, copy/paste, duplicate, delete — not while typing in a field.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (!editable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key.toLowerCase() === "z") { event.preventDefault(); if (event.shiftKey) redo(); else undo(); }
      else if (mod && event.key.toLowerCase() === "y") { event.preventDefault(); redo(); }
      else if (mod && event.key.toLowerCase() === "c") clipboard.current = graph.nodes.filter((n) => selected.includes(n.id));
      else if (mod && event.key.toLowerCase() === "v") paste(clipboard.current);
      else if (mod && event.key.toLowerCase() === "d") { event.preventDefault(); paste(graph.nodes.filter((n) => selected.includes(n.id))); }
      else if (event.key === "Delete" || event.key === "Backspace") removeSelected();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [editable, graph, selected, undo, redo, paste, removeSelected]);

  const entrances = graph.nodes.filter((n) => n.step.type === "entrance").length;
  const rfNodes: Node[] = useMemo(() => graph.nodes.map((n) => ({
    id: n.id,
    type: "step",
    position: n.position,
    measured: sizes[n.id],
    selected: selected.includes(n.id),
    data: {
      step: n.step, problem: problems[n.id], live: journey?.status !== "draft" && stats !== null,
      waiting: stats?.waiting[n.id],
      exited: stats?.exited_at[n.id],
      visited: shown ? shown.steps.has(n.id) : undefined,
      // An entrance is not a visit: with one entrance, everyone who entered passed it.
      passed: n.step.type === "entrance" && entrances === 1 ? stats?.entered : stats?.steps[n.id],
    } satisfies StepNodeData,
  })), [graph.nodes, selected, problems, journey, stats, entrances, sizes, shown]);
  // Edges carry no labels: each leaves its step by an outlet labelled on the step itself.
  const taken = useMemo(() => shown?.moves ?? new Set<string>(), [shown]);
  const rfEdges: Edge[] = useMemo(() => graph.edges.map((e) => ({
    id: e.id, source: e.source, target: e.target, sourceHandle: e.outlet, selected: selected.includes(e.id),
    animated: taken.has(`${e.source}>${e.target}`), className: taken.has(`${e.source}>${e.target}`) ? "taken" : undefined,
  })), [graph.edges, selected, taken]);

  // Steps and links share one selection (what Delete, Duplicate and the side panel act on).
  const applySelection = useCallback((changes: (NodeChange | EdgeChange)[]) => {
    const picks = changes.flatMap((c) => (c.type === "select" ? [c] : []));
    if (picks.length === 0) return;
    setSelected((current) => {
      const next = new Set(current);
      for (const c of picks) (c.selected ? next.add(c.id) : next.delete(c.id));
      return [...next];
    });
  }, []);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    applySelection(changes);
    const measured = changes.filter((c) => c.type === "dimensions" && c.dimensions);
    if (measured.length) {
      setSizes((current) => {
        const next = { ...current };
        for (const c of measured) if (c.type === "dimensions" && c.dimensions) next[c.id] = c.dimensions;
        return next;
      });
    }
    const moved = changes.filter((c) => c.type === "position");
    if (moved.length && editable) {
      const applied = applyNodeChanges(moved, rfNodes);
      const positions = new Map(applied.map((n) => [n.id, n.position]));
      const dragging = moved.some((c) => c.type === "position" && c.dragging);
      const next = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })) };
      setGraph(next);  // the position before the drag went onto the undo stack at its start
      if (!dragging) setDirty(true);
    }
  }, [rfNodes, graph, editable, applySelection]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    applySelection(changes);  // removal is the keyboard's (deleteKeyCode is off), so only selection comes here
  }, [applySelection]);

  /** Lead a step's outlet to `target` (null: nowhere); an outlet leads to one step. */
  const link = useCallback((source: string, outlet: string, target: string | null) => {
    const id = edgeId(source, outlet);
    const edges = graph.edges.filter((e) => e.id !== id);
    change({ ...graph, edges: target ? [...edges, { id, source, outlet, target }] : edges });
  }, [graph, change]);

  const onConnect = useCallback((connection: Connection) => {
    if (connection.source && connection.target && connection.sourceHandle) {
      link(connection.source, connection.sourceHandle, connection.target);
    }
  }, [link]);

  const onDrop = useCallback((event: DragEvent) => {
    event.preventDefault();
    const type = event.dataTransfer.getData("application/tempogram-step");
    if (STEP_TYPES.includes(type as (typeof STEP_TYPES)[number])) {
      addStep(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    }
  }, [addStep, flow]);

  const layout = () => {
    const positions = autoLayout(graph.nodes.map((n) => n.id), graph.edges);
    change({ ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: positions[n.id] })) });
    window.setTimeout(() => flow.fitView({ padding: 0.2 }), 50);
  };

  const save = async (): Promise<boolean> => {
    if (!journey) return false;
    try {
      const steps = graphToSteps(graph.nodes, graph.edges);
      const saved = await api<Journey>("PUT", `${base}/journeys/${journeyId}`, {
        name: journey.name, description: journey.description, steps, exit_on: exitOn,
      });
      setJourney(saved);
      setProblems({});
      setDirty(false);
      setMessage({ kind: "ok", text: "Draft saved." });
      return true;
    } catch (e) {
      showProblem(e);
      return false;
    }
  };

  /** Show a server error on the step it names, if it names one. */
  const markStep = (e: unknown) => {
    const text = e instanceof Error ? e.message : String(e);
    const named = /steps\.([^.:\s]+)/.exec(text);
    if (named && graph.nodes.some((n) => n.id === named[1])) {
      setProblems({ [named[1]]: text.replace(/^steps\.[^:]+:\s*/, "") });
      setSelected([named[1]]);
    }
  };

  const showProblem = (e: unknown) => {
    markStep(e);
    setMessage({ kind: "error", text: e instanceof Error ? e.message : String(e) });
  };

  const publish = async () => {
    setConfirmPublish(false);
    if (dirty && !(await save())) return;
    try {
      setJourney(await api<Journey>("POST", `${base}/journeys/${journeyId}/publish`));
      setMessage({ kind: "ok", text: "Published: new entrants get this version." });
    } catch (e) {
      showProblem(e);
    }
  };

  const pause = async () => {
    try {
      setJourney(await api<Journey>("POST", `${base}/journeys/${journeyId}/pause`));
      setMessage({ kind: "ok", text: "Paused: no one new enters; runs inside go on." });
    } catch (e) {
      showProblem(e);
    }
  };

  if (loadError) return <Problem message={loadError} retry={() => { setLoadError(null); void load(); }} />;
  if (!journey) return <p className="loading" role="status">Loading the journey…</p>;

  const focus = selected.length === 1 ? graph.nodes.find((n) => n.id === selected[0]) : undefined;
  const updateStep = (id: string, step: Step) =>
    change({ ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, step } : n)) });
  const allRuns = temporalRunsUrl(config, journeyId);

  return (
    <section className="editor">
      <div className="editor-bar">
        <h1>{journey.name}</h1>
        <span className={`badge ${journey.status}`}>{journey.status}{journey.published_version ? ` · v${journey.published_version}` : ""}</span>
        {stats && <span className="muted" data-testid="journey-counts">{stats.entered} entered · {stats.active} inside · {stats.completed} completed · {stats.exited} exited</span>}
        {allRuns && <a href={allRuns} target="_blank" rel="noreferrer">Runs in the Temporal UI</a>}
        <span className="spacer" />
        {editable && (
          <>
            <button type="button" className="quiet" onClick={undo} disabled={past.current.length === 0} title="Ctrl+Z">Undo</button>
            <button type="button" className="quiet" onClick={redo} disabled={future.current.length === 0} title="Ctrl+Shift+Z">Redo</button>
            <button type="button" className="quiet" onClick={() => paste(graph.nodes.filter((n) => selected.includes(n.id)))}
              disabled={selected.length === 0} title="Ctrl+D">Duplicate</button>
            <button type="button" className="quiet" onClick={layout}>Arrange</button>
            <button type="button" className="quiet" onClick={() => void save()} disabled={!dirty}>Save draft</button>
            {journey.status === "live" && <button type="button" className="quiet" onClick={() => void pause()}>Pause</button>}
            <button type="button" onClick={() => setConfirmPublish(true)}>Publish</button>
          </>
        )}
      </div>
      {message && <p className={message.kind === "ok" ? "notice" : "error"} role={message.kind === "ok" ? "status" : "alert"}>{message.text}</p>}
      {confirmPublish && (
        <div className="confirm" role="dialog" aria-labelledby="publish-title">
          <h2 id="publish-title">Publish version {(journey.published_version ?? 0) + 1}?</h2>
          <p>
            {stats && stats.active > 0
              ? `${stats.active} users are inside version ${journey.published_version}: they keep their version to the end. New entrants get the new one.`
              : "No one is inside this journey now. New entrants get the new version."}
          </p>
          <button type="button" onClick={() => void publish()}>Publish</button>
          <button type="button" className="quiet" onClick={() => setConfirmPublish(false)}>Cancel</button>
        </div>
      )}
      <div className={editable ? "editor-body" : "editor-body read-only"}>
        {editable && (
          <aside className="palette" aria-label="Steps">
            <h2>Steps</h2>
            {STEP_TYPES.map((type) => (
              <button key={type} type="button" className="palette-item" draggable
                onDragStart={(e) => { e.dataTransfer.setData("application/tempogram-step", type); e.dataTransfer.effectAllowed = "move"; }}
                onClick={() => addStep(type)} aria-label={`Add a ${type} step`}>
                {type}
              </button>
            ))}
          </aside>
        )}
        <div className="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}
          data-testid="canvas">
          <ReactFlow nodes={rfNodes} edges={rfEdges} nodeTypes={NODE_TYPES} onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange} onConnect={onConnect} nodesDraggable={editable} nodesConnectable={editable}
            elementsSelectable deleteKeyCode={null} fitView fitViewOptions={{ padding: 0.2 }}
            onNodeDragStart={() => { past.current = [...past.current.slice(-HISTORY_LIMIT + 1), graph]; future.current = []; }}
            proOptions={{ hideAttribution: true }}>
            <Background />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable ariaLabel="Overview of the journey" nodeColor="#c9d6fb" nodeStrokeColor="#2f5bd3" />
          </ReactFlow>
        </div>
        <aside className="panel" aria-label="Step details">
          {focus ? (
            <>
              <StepPanel id={focus.id} step={focus.step} problem={problems[focus.id]} readOnly={!editable}
                choices={{ ...choices, vocabulary: { ...choices.vocabulary, steps: graph.nodes.map((n) => n.id) } }}
                onChange={(step) => updateStep(focus.id, step)} />
              <Outlets id={focus.id} step={focus.step} nodes={graph.nodes} edges={graph.edges} readOnly={!editable}
                onLink={(outlet, target) => link(focus.id, outlet, target)} />
              {journey.status !== "draft" && (
                <StepRuns base={base} journeyId={journeyId} stepId={focus.id} config={config}
                  waiting={stats?.waiting[focus.id] ?? 0} editable={editable} />
              )}
            </>
          ) : (
            <>
              <ExitOn exitOn={exitOn} readOnly={!editable} events={choices.vocabulary.events}
                onChange={(next) => { setExitOn(next); setDirty(true); }} />
              <TryUser base={base} journeyId={journeyId} steps={() => graphToSteps(graph.nodes, graph.edges)} exitOn={exitOn}
                entrances={graph.nodes.filter((n) => n.step.type === "entrance").map((n) => n.id)}
                onShow={setShown} onProblem={markStep} />
              {journey.status !== "draft" && (
                <FollowUser base={base} journeyId={journeyId} config={config} onShow={setShown} />
              )}
              {editable && journey.status === "live" && <PutUserIn base={base} journeyId={journeyId} />}
              {journey.status !== "draft" && (
                <ChartPanel title="Messages" path={`${base}/journeys/${journeyId}/engagement`} metrics={ENGAGEMENT} />
              )}
              {journey.published_version !== null && (
                <Versions base={base} journeyId={journeyId} published={journey.published_version} editable={editable}
                  onRestore={(version) => { change(stepsToGraph(version.steps)); setExitOn(version.exit_on);
                    setMessage({ kind: "ok", text: `Version ${version.version} is in the draft: save it, then publish.` }); }} />
              )}
            </>
          )}
        </aside>
      </div>
    </section>
  );
}

function ExitOn({ exitOn, readOnly, events, onChange }: {
  exitOn: unknown[]; readOnly: boolean; events: string[]; onChange: (next: unknown[]) => void;
}) {
  const items = exitOn as { event: string; condition?: unknown }[];
  return (
    <div className="panel-body">
      <h2>Exit on</h2>
      <p className="muted">A run ends at once when its user does one of these events. Select a step to edit it.</p>
      {items.map((item, i) => (
        <div className="rule-row" key={i}>
          <input aria-label={`Exit event ${i + 1}`} list="exit-events" value={item.event} disabled={readOnly}
            onChange={(e) => onChange(items.map((x, j) => (j === i ? { ...x, event: e.target.value } : x)))} />
          {!readOnly && <button type="button" className="quiet small" aria-label={`Remove exit event ${i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}>✕</button>}
        </div>
      ))}
      <datalist id="exit-events">{events.map((n) => <option key={n} value={n} />)}</datalist>
      {!readOnly && <button type="button" className="quiet small" onClick={() => onChange([...items, { event: "" }])}>+ exit event</button>}
    </div>
  );
}

interface Version {
  version: number;
  published_at: string;
  steps: Record<string, Step>;
  exit_on: unknown[];
  runs: number;
  open_runs: number;
}

/** The published versions, with the runs that entered with each (they keep it); any can become the draft. */
function Versions({ base, journeyId, published, editable, onRestore }: {
  base: string; journeyId: string; published: number; editable: boolean; onRestore: (version: Version) => void;
}) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  useEffect(() => {
    const load = () => api<Version[]>("GET", `${base}/journeys/${journeyId}/versions`).then(setVersions).catch(() => setVersions([]));
    void load();
    const timer = window.setInterval(load, 5000);  // its run counts move as users enter and leave
    return () => window.clearInterval(timer);
  }, [base, journeyId, published]);
  return (
    <div className="panel-body">
      <h2>Versions</h2>
      {versions === null ? <p className="muted">Loading…</p> : (
        <ul className="plain" data-testid="versions">
          {versions.map((v) => (
            <li key={v.version}>
              <strong>v{v.version}</strong>{v.version === published ? " (new entrants get it)" : ""} · {new Date(v.published_at).toLocaleString()}
              <br /><span className="muted">{v.runs} runs entered with it, {v.open_runs} still inside</span>
              {editable && v.version !== published && (
                <> <button type="button" className="quiet small" onClick={() => onRestore(v)}>Put v{v.version} in the draft</button></>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Put a chosen user into the journey now (its entrance's re-entry rules apply). */
function PutUserIn({ base, journeyId }: { base: string; journeyId: string }) {
  const [identifier, setIdentifier] = useState("");
  const [result, setResult] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const user = await findUser(base, identifier);
      await api("POST", `${base}/journeys/${journeyId}/runs`, { user_id: user.id });
      setResult({ kind: "ok", text: `${identifier} entered the journey.` });
      setIdentifier("");
    } catch (e) {
      setResult({ kind: "error", text: (e as Error).message });
    }
  };
  return (
    <form className="panel-body" onSubmit={submit}>
      <h2>Put a user in</h2>
      {result && <p className={result.kind === "ok" ? "notice" : "error"} role={result.kind === "ok" ? "status" : "alert"}>{result.text}</p>}
      <div className="field">
        <label htmlFor="put-user">Identifier of the user to put in</label>
        <input id="put-user" required value={identifier} onChange={(e) => setIdentifier(e.target.value)} placeholder="ana" />
      </div>
      <button type="submit">Put in</button>
    </form>
  );
}

function StepRuns({ base, journeyId, stepId, config, waiting, editable }: {
  base: string; journeyId: string; stepId: string; config: ConsoleConfig; waiting: number; editable: boolean;
}) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState<"skip" | "exit" | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const act = async (action: "skip" | "exit") => {
    setAsking(null);
    try {
      const result = await api<{ signalled: number; more: boolean }>("POST", `${base}/journeys/${journeyId}/steps/${encodeURIComponent(stepId)}/${action}`);
      setDone(`${result.signalled} runs ${action === "skip" ? "go on now" : "exited"}${result.more ? "; more wait there: do it again" : ""}.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    let stopped = false;
    const load = () => api<{ results: Run[] }>("GET", `${base}/journeys/${journeyId}/runs?step=${encodeURIComponent(stepId)}&limit=50`)
      .then((page) => { if (!stopped) { setRuns(page.results); setError(null); } })
      .catch((e: ApiError) => { if (!stopped) setError(e.message); });
    void load();
    const timer = window.setInterval(load, 3000);
    return () => { stopped = true; window.clearInterval(timer); };
  }, [base, journeyId, stepId]);
  return (
    <div className="panel-body">
      <h2>Waiting here</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {done && <p className="notice" role="status">{done}</p>}
      {editable && waiting > 0 && (
        asking ? (
          <div className="confirm" role="dialog" aria-labelledby="bulk-title">
            <h2 id="bulk-title">{asking === "skip" ? `End the wait of ${waiting} users now?` : `Exit ${waiting} users from the journey?`}</h2>
            <p>{asking === "skip" ? "Each run goes on to its next step at once, as if its timer had fired." : "Each run ends as exited, naming you as the reason."}</p>
            <button type="button" onClick={() => void act(asking)}>{asking === "skip" ? "Skip their wait" : "Exit them"}</button>
            <button type="button" className="quiet" onClick={() => setAsking(null)}>Cancel</button>
          </div>
        ) : (
          <div className="rule-row">
            <button type="button" className="quiet small" onClick={() => setAsking("skip")}>Skip the wait of {waiting}</button>
            <button type="button" className="quiet small" onClick={() => setAsking("exit")}>Exit {waiting}</button>
          </div>
        )
      )}
      {runs === null ? <p className="muted">Loading…</p> : runs.length === 0 ? <p className="muted">No one waits at this step.</p> : (
        <ul className="plain runs">
          {runs.map((run) => {
            const url = temporalRunsUrl(config, journeyId, run.user_id);
            return (
              <li key={run.id}>
                <code>{run.user_id.slice(0, 8)}</code> since {new Date(run.created_at).toLocaleString()}
                {url && <> · <a href={url} target="_blank" rel="noreferrer">Temporal UI</a></>}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

interface Named {
  id: string;
  name: string;
}
async function loadChoices(base: string, journeyId: string): Promise<Choices> {
  const none = <T,>(): T[] => [];
  const [campaigns, journeys, vocabulary] = await Promise.all([
    api<Named[]>("GET", `${base}/campaigns`).catch(none<Named>),
    api<Named[]>("GET", `${base}/journeys`).catch(none<Named>),
    loadVocabulary(base),
  ]);
  return { campaigns, journeys: journeys.filter((j) => j.id !== journeyId), lists: vocabulary.lists ?? [], vocabulary };
}
