"""What the pages a recipient reaches from a message say, in their language where the project provides it."""

from domain.projects.models import Project

# English, used for every text a project does not give in the recipient's language. `{group}` is the
# subscription group's name, `{project}` the project's.
DEFAULT_TEXTS = {
    "unsubscribe_title": "Unsubscribe",
    "unsubscribe_question": "Stop receiving {group} from {project}?",
    "unsubscribe_button": "Unsubscribe",
    "unsubscribed": "Done: you will no longer receive {group}.",
    "preferences_title": "Your subscriptions",
    "preferences_intro": "Choose what {project} may send you.",
    "subscribed": "Subscribed",
    "not_subscribed": "Not subscribed",
    "subscribe_button": "Subscribe",
    "leave_button": "Unsubscribe",
    "manage": "Manage all your subscriptions",
}


def page_texts(project: Project, locale: str | None) -> tuple[str, dict[str, str]]:
    """The language of the page and its texts: the project's for the user's locale, else its language,
    else the project's default locale; English for what none of those gives."""
    provided: dict[str, dict[str, str]] = project.page_texts or {}
    for candidate in (locale, (locale or "").split("-")[0], project.default_locale):
        if candidate and candidate in provided:
            given = {name: value for name, value in provided[candidate].items() if name in DEFAULT_TEXTS}
            return candidate, {**DEFAULT_TEXTS, **given}
    return "en", dict(DEFAULT_TEXTS)
