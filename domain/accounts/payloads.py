"""What the account-link email workflow carries: ids only (the link's URL is signed where it is sent)."""

from dataclasses import dataclass

SEND_ACCOUNT_LINK_WORKFLOW = "SendAccountLink"


@dataclass
class AccountLinkEmail:
    link_id: str
    provider_id: str


def account_link_workflow_id(link_id: str) -> str:
    return f"account-link/{link_id}"
