"""The HTML of the pages a recipient reaches from a message: self-contained (styles inline, nothing
loaded from elsewhere), readable on a phone, usable with a keyboard and a screen reader."""

from collections.abc import Sequence
from html import escape

from domain.messaging.schemas import SubscriptionOut

_STYLE = """
:root { color-scheme: light dark; --ink: #1d2330; --muted: #5b6475; --paper: #ffffff; --ground: #f3f5f9;
  --accent: #2f5bd3; --accent-ink: #ffffff; --line: #d8dde8; }
@media (prefers-color-scheme: dark) { :root { --ink: #e8ebf2; --muted: #a9b1c2; --paper: #1b2130;
  --ground: #111521; --accent: #8aa8ff; --accent-ink: #0d1220; --line: #2d3548; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; background: var(--ground); color: var(--ink);
  font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 2.5rem 1rem; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 14px; padding: 1.75rem 1.5rem; }
.project { margin: 0 0 0.25rem; color: var(--muted); font-size: 0.95rem; letter-spacing: 0.02em; }
h1 { margin: 0 0 1rem; font-size: 1.6rem; line-height: 1.25; }
p { margin: 0 0 1.25rem; }
button { font: inherit; font-weight: 600; min-height: 44px; padding: 0.6rem 1.2rem; border-radius: 10px;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; }
button.quiet { background: transparent; color: var(--accent); }
button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 3px; }
a { color: var(--accent); }
ul { list-style: none; margin: 0; padding: 0; }
li { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; justify-content: space-between;
  padding: 0.9rem 0; border-top: 1px solid var(--line); }
li:first-child { border-top: 0; }
.group { font-weight: 600; }
.state { display: block; color: var(--muted); font-size: 0.9rem; font-weight: 400; }
form { margin: 0; }
label { display: block; font-weight: 600; margin: 0 0 0.35rem; }
input { display: block; width: 100%; font: inherit; min-height: 44px; padding: 0.55rem 0.75rem; margin: 0 0 1rem;
  border: 1px solid var(--muted); border-radius: 10px; background: var(--paper); color: var(--ink); }
input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: #b3261e; font-weight: 600; }
@media (prefers-color-scheme: dark) { .error { color: #ffb4ab; } }
"""


def page(*, project: str, title: str, body: str, lang: str) -> str:
    """`body` is HTML already escaped by the caller; the rest is escaped here."""
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} · {escape(project)}</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="card"><p class="project">{escape(project)}</p>'
        f"<h1>{escape(title)}</h1>{body}</div></main></body></html>"
    )


def text(template: str, **names: str) -> str:
    """A page text with `{group}` / `{project}` filled in, escaped (the project wrote it; it is no HTML)."""
    filled = template
    for name, value in names.items():
        filled = filled.replace("{" + name + "}", value)
    return escape(filled)


def confirm_page(*, project: str, group: str, texts: dict[str, str], lang: str) -> str:
    """Asks first: the form POSTs to this same URL."""
    question = text(texts["unsubscribe_question"], group=group, project=project)
    button = text(texts["unsubscribe_button"])
    body = f'<p>{question}</p><form method="post"><button type="submit">{button}</button></form>'
    return page(project=project, title=texts["unsubscribe_title"], body=body, lang=lang)


def unsubscribed_page(*, project: str, group: str, texts: dict[str, str], lang: str, preferences_url: str) -> str:
    done = text(texts["unsubscribed"], group=group, project=project)
    body = f'<p role="status">{done}</p><p><a href="{escape(preferences_url)}">{text(texts["manage"])}</a></p>'
    return page(project=project, title=texts["unsubscribe_title"], body=body, lang=lang)


def preferences_page(*, project: str, groups: Sequence[SubscriptionOut], texts: dict[str, str], lang: str) -> str:
    """One row per group with its state and a button that sets the other one."""
    rows = []
    for group in groups:
        subscribed = group.state == "subscribed"
        name = text(group.name)
        state = text(texts["subscribed"] if subscribed else texts["not_subscribed"])
        button = text(texts["leave_button"] if subscribed else texts["subscribe_button"])
        action = f"?group_id={group.group_id}&amp;state={'unsubscribed' if subscribed else 'subscribed'}"
        rows.append(
            f'<li><span class="group">{name}<span class="state">{state}</span></span>'
            f'<form method="post" action="{action}"><button type="submit" class="{"quiet" if subscribed else ""}"'
            f' aria-label="{button}: {name}">{button}</button></form></li>'
        )
    intro = text(texts["preferences_intro"], project=project)
    return page(
        project=project, title=texts["preferences_title"], body=f"<p>{intro}</p><ul>{''.join(rows)}</ul>", lang=lang
    )
