// A path drawn on the graph: the steps a user's run visited (or a trial would), and the moves between them.
import type { Finding } from "./Finding";
import type { Run } from "../api";

export interface ShownPath {
  steps: Set<string>;
  moves: Set<string>; // "source>target"
}

export interface Visit {
  step_id: string;
  entered_at: string;
  next: string | null;
  result: Record<string, unknown> | null;
  gate?: Finding | null;
}

export interface FollowedRun extends Run {
  history: Visit[];
}

export interface TrialStep {
  step_id: string;
  type: string;
  says: string;
  next: string | null;
  gate: Finding | null;
}

export interface Trial {
  enters: boolean;
  steps: TrialStep[];
  ends: string;
}

/** The visits of a run with where each led, but for the step it still waits at: a delay's next step is
decided when the wait begins, and the run has not gone there yet. */
export function pathTaken(run: FollowedRun): Visit[] {
  return run.history.map((visit, i) => {
    const waiting = run.status === "active" && i === run.history.length - 1 && visit.step_id === run.current_step;
    return waiting ? { ...visit, next: null } : visit;
  });
}

export function pathOfRun(run: FollowedRun): ShownPath {
  const visits = pathTaken(run);
  const steps = new Set([run.entrance_step, ...visits.map((v) => v.step_id)]);
  if (run.current_step) steps.add(run.current_step);
  const moves = new Set(visits.map((v) => `${v.step_id}>${v.next}`));
  if (visits.length) moves.add(`${run.entrance_step}>${visits[0].step_id}`);
  return { steps, moves };
}

export function pathOfTrial(trial: Trial): ShownPath {
  const steps = trial.steps.map((s) => s.step_id);
  return {
    steps: new Set(steps),
    moves: new Set(steps.slice(1).map((id, i) => `${steps[i]}>${id}`)),
  };
}
