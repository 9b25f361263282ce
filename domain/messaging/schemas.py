import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator

from domain.wire import OutModel, WireModel

Channel = Literal["email", "sms", "webhook"]
CHANNEL_OF_PROVIDER = {"smtp": "email", "sms": "sms", "webhook": "webhook"}


class SmtpConfig(WireModel):
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    # "starttls" upgrades a plain connection; "tls" connects with TLS (port 465); "none" for local relays.
    tls: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_address: EmailStr = Field(alias="from")
    from_name: str | None = None


class SmsConfig(WireModel):
    """A Twilio-compatible REST endpoint: `POST url` with form fields To, From, Body and basic auth."""

    url: str = Field(pattern=r"^https?://")
    account_sid: str | None = None
    auth_token: str | None = None
    from_number: str = Field(alias="from", min_length=1)


class WebhookConfig(WireModel):
    headers: dict[str, str] = Field(default_factory=dict)


PROVIDER_CONFIGS: dict[str, type[WireModel]] = {"smtp": SmtpConfig, "sms": SmsConfig, "webhook": WebhookConfig}


class ProviderIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    kind: Literal["smtp", "sms", "webhook"]
    config: dict[str, Any] = Field(default_factory=dict)


class ProviderOut(OutModel):
    id: uuid.UUID
    name: str
    kind: str
    channel: str
    # The settings, without the secrets (passwords, tokens, webhook headers): those are never shown.
    config: dict[str, Any]
    # Give this URL to the provider: delivery reports, bounces and complaints (email, JSON `DeliveryReport`),
    # or status callbacks and inbound replies (SMS, Twilio-style form posts).
    feedback_url: str
    created_at: datetime


class ProviderTestIn(WireModel):
    # Also send a test message to this address (email) or number (SMS); without it, only connect.
    to: str | None = Field(default=None, max_length=320)


class ProviderTestOut(OutModel):
    ok: bool
    # What the server answered (its greeting, or the refusal), or why it could not be reached.
    answer: str
    sent: bool


class SubscriptionGroupIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    channel: Channel


class SubscriptionGroupOut(OutModel):
    id: uuid.UUID
    name: str
    channel: str
    created_at: datetime


class CampaignIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    channel: Channel
    provider_id: uuid.UUID
    subscription_group_id: uuid.UUID | None = None
    transactional: bool = False
    # locale → fields: email {subject, html?, text?}; sms {text}; webhook {url, method?, headers?, body?}
    templates: dict[str, dict[str, Any]] = Field(min_length=1)
    # Shown to the templates as `campaign.<name>` ("{{ campaign.discount }}"), beside `campaign.id` and `.name`.
    variables: dict[str, Any] = Field(default_factory=dict)

    @field_validator("variables")
    @classmethod
    def _not_shadowing(cls, variables: dict[str, Any]) -> dict[str, Any]:
        if taken := sorted(variables.keys() & {"id", "name"}):
            raise ValueError(f"{taken[0]} is the campaign's own; choose another variable name")
        return variables


class CampaignOut(OutModel):
    id: uuid.UUID
    name: str
    channel: str
    provider_id: uuid.UUID
    subscription_group_id: uuid.UUID | None
    transactional: bool
    templates: dict[str, Any]
    variables: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SubscriptionIn(WireModel):
    group_id: uuid.UUID
    state: Literal["subscribed", "unsubscribed"]


class SubscriptionOut(OutModel):
    group_id: uuid.UUID
    name: str
    channel: str
    state: Literal["subscribed", "unsubscribed"]
    explicit: bool  # False: the user never chose; the project's default applies


class MessageOut(OutModel):
    key: str
    campaign_id: uuid.UUID
    status: str
    reason: str | None
    message_id: str | None
    created_at: datetime
    updated_at: datetime


class ProjectSettingsIn(WireModel):
    default_locale: str | None = Field(default=None, min_length=2, max_length=35)
    subscription_default: Literal["opt_in", "opt_out"] | None = None


class DeliveryReport(WireModel):
    """A provider's word about one sent email. Post one or a list to the provider's `feedback_url`."""

    type: Literal["delivered", "bounced", "complained", "opened", "clicked"]
    message_id: str = Field(min_length=1, max_length=400)  # the Message-ID header Tempogram sent
    recipient: str | None = Field(default=None, max_length=320)  # default: the user's email address
    reason: str | None = Field(default=None, max_length=500)
    bounce_type: Literal["hard", "soft"] = "hard"
    url: str | None = None  # clicked


# Reports one request may carry, as for events.
MAX_REPORTS_PER_REQUEST = 1000
DeliveryReports = Annotated[list[DeliveryReport], Field(max_length=MAX_REPORTS_PER_REQUEST)]


class ReportsOut(OutModel):
    recorded: int
    unknown: list[str]  # message ids this project never sent (ignored, so the provider stops retrying)


class SuppressionOut(OutModel):
    channel: str
    address: str
    reason: str
    detail: str | None
    created_at: datetime
