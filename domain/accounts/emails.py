"""The texts of the emails that carry invitation and password-reset links."""

from dataclasses import dataclass

from domain.accounts.models import AccountLink


@dataclass(frozen=True)
class LinkEmail:
    subject: str
    text: str


def link_email(link: AccountLink, url: str, project_name: str | None) -> LinkEmail:
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if link.kind == "invite":
        return LinkEmail(
            f"You are invited to {project_name} on Tempogram",
            f"{link.created_by} invited you to join {project_name} as {link.role}.\n\n"
            f"Accept the invitation: {url}\n\nThe link works once, until {expires}.\n",
        )
    return LinkEmail(
        "Reset your Tempogram password",
        f"Someone (hopefully you) asked to reset the password of {link.email}.\n\n"
        f"Choose a new password: {url}\n\nThe link works once, until {expires}. If you did not ask for "
        "it, ignore this message: your password stays as it is.\n",
    )
