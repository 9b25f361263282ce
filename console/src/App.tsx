import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { api, ApiError, type Me } from "./api";
import { Journeys } from "./Journeys";
import { ListEditor, Lists } from "./Lists";
import { Broadcasts } from "./Broadcasts";
import { CampaignEditor, Campaigns } from "./Campaigns";
import { Events } from "./Events";
import { Login } from "./Login";
import { Messaging } from "./Messaging";
import { Organizations } from "./Organizations";
import { Problem } from "./Problem";
import { Settings } from "./Settings";
import { UserPage, Users } from "./Users";

// The graph editor (React Flow and its layout) loads when a journey opens, not with the sign-in page.
const JourneyEditor = lazy(() => import("./journey/Editor").then((m) => ({ default: m.JourneyEditor })));

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || "#/");
  useEffect(() => {
    const changed = () => setHash(window.location.hash || "#/");
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

export function App() {
  const [me, setMe] = useState<Me | null | "anonymous">(null);
  const [error, setError] = useState<string | null>(null);
  const hash = useHash();

  const load = useCallback(async () => {
    try {
      setMe(await api<Me>("GET", "/api/auth/me"));
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setMe("anonymous");
      else setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  if (error) return <Problem message={error} retry={load} />;
  if (me === null) return <p className="loading" role="status">Loading…</p>;
  if (me === "anonymous") return <Login onLoggedIn={setMe} />;

  const [, section, projectId, page, itemId] = hash.replace(/^#/, "").split("/");
  const project = me.projects.find((p) => p.id === projectId);
  const logout = async () => {
    await api("POST", "/api/auth/logout").catch(() => undefined);
    setMe("anonymous");
  };

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/">Tempogram</a>
        {project && (
          <nav aria-label="Project">
            <span className="project-name">{project.name}</span>
            <a href={`#/p/${project.id}/journeys`} aria-current={page === "journeys" ? "page" : undefined}>Journeys</a>
            <a href={`#/p/${project.id}/lists`} aria-current={page === "lists" ? "page" : undefined}>Lists</a>
            <a href={`#/p/${project.id}/users`} aria-current={page === "users" ? "page" : undefined}>Users</a>
            <a href={`#/p/${project.id}/organizations`} aria-current={page === "organizations" ? "page" : undefined}>Organizations</a>
            <a href={`#/p/${project.id}/campaigns`} aria-current={page === "campaigns" ? "page" : undefined}>Campaigns</a>
            <a href={`#/p/${project.id}/broadcasts`} aria-current={page === "broadcasts" ? "page" : undefined}>Broadcasts</a>
            <a href={`#/p/${project.id}/messaging`} aria-current={page === "messaging" ? "page" : undefined}>Messaging</a>
            <a href={`#/p/${project.id}/events`} aria-current={page === "events" ? "page" : undefined}>Events</a>
            <a href={`#/p/${project.id}/settings`} aria-current={page === "settings" ? "page" : undefined}>Settings</a>
            <span className="role" title="your role in this project">{project.role}</span>
          </nav>
        )}
        <div className="account">
          <span>{me.email}</span>
          <button type="button" className="quiet" onClick={logout}>Log out</button>
        </div>
      </header>
      <main className="content">
        {section === "p" && project && page === "journeys" && !itemId && <Journeys project={project} />}
        {section === "p" && project && page === "journeys" && itemId && (
          <Suspense fallback={<p className="loading" role="status">Loading the editor…</p>}>
            <JourneyEditor key={itemId} project={project} journeyId={itemId} />
          </Suspense>
        )}
        {section === "p" && project && page === "lists" && !itemId && <Lists project={project} />}
        {section === "p" && project && page === "lists" && itemId && <ListEditor key={itemId} project={project} listId={itemId} />}
        {section === "p" && project && page === "users" && !itemId && <Users project={project} />}
        {section === "p" && project && page === "users" && itemId && <UserPage key={itemId} project={project} userId={itemId} />}
        {section === "p" && project && page === "settings" && <Settings project={project} />}
        {section === "p" && project && page === "messaging" && <Messaging project={project} />}
        {section === "p" && project && page === "events" && <Events project={project} />}
        {section === "p" && project && page === "organizations" && <Organizations project={project} />}
        {section === "p" && project && page === "broadcasts" && <Broadcasts project={project} />}
        {section === "p" && project && page === "campaigns" && !itemId && <Campaigns project={project} />}
        {section === "p" && project && page === "campaigns" && itemId && <CampaignEditor key={itemId} project={project} campaignId={itemId} />}
        {section === "p" && !project && <Problem message="You are not a member of this project." />}
        {section !== "p" && <Projects me={me} />}
      </main>
    </div>
  );
}

function Projects({ me }: { me: Me }) {
  if (me.projects.length === 0) {
    return (
      <section className="card narrow">
        <h1>No projects yet</h1>
        <p>Ask a project's owner to add you, or, as an instance admin, create one with <code>POST /api/admin/projects</code>.</p>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>Choose a project</h1>
      <ul className="plain">
        {me.projects.map((p) => (
          <li key={p.id}>
            <a href={`#/p/${p.id}/journeys`}>{p.name}</a> <span className="muted">({p.role})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
