// The API, called with the session cookie. Every failure becomes an ApiError naming what went wrong.
export class ApiError extends Error {
  constructor(public status: number, public detail: string) {
    super(detail);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "the server cannot be reached; check your connection and try again");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const detail = (json as { detail?: string } | null)?.detail ?? `the server answered ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return json as T;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  instance_admin: boolean;
  projects: { id: string; name: string; role: Role }[];
}

export type Role = "viewer" | "editor" | "admin" | "owner";
const RANKS: Role[] = ["viewer", "editor", "admin", "owner"];

export function allows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANKS.indexOf(role) >= RANKS.indexOf(needed);
}

export interface Journey {
  id: string;
  name: string;
  description: string | null;
  status: "draft" | "live" | "paused";
  published_version: number | null;
  steps: Record<string, Record<string, unknown> & { type: string }>;
  exit_on: unknown[];
  updated_at: string;
}

export interface JourneyStats {
  entered: number;
  active: number;
  completed: number;
  exited: number;
  steps: Record<string, number>;
  waiting: Record<string, number>;
  exited_at: Record<string, number>;
}

export interface Run {
  id: string;
  workflow_id: string;
  user_id: string;
  version: number;
  status: string;
  entrance_step: string;
  current_step: string | null;
  created_at: string;
}

export interface ConsoleConfig {
  temporal_ui_url: string | null;
  temporal_namespace: string;
}

/** The Temporal UI's list of workflows filtered to one journey (and one user). */
export function temporalRunsUrl(config: ConsoleConfig, journeyId: string, userId?: string): string | null {
  if (!config.temporal_ui_url) return null;
  const query = userId ? `JourneyId="${journeyId}" AND UserId="${userId}"` : `JourneyId="${journeyId}"`;
  return `${config.temporal_ui_url}/namespaces/${config.temporal_namespace}/workflows?query=${encodeURIComponent(query)}`;
}

/** A user of the project by their external id; an ApiError naming them when there is none. */
export async function findUser(base: string, identifier: string): Promise<{ id: string }> {
  return api<{ id: string }>("GET", `${base}/users?external_id=${encodeURIComponent(identifier.trim())}`);
}
