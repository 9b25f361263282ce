import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator, model_validator

from domain.wire import ManagementModel, OutModel, WireModel

Channel = Literal["email", "sms", "webhook"]
CHANNEL_OF_PROVIDER = {"smtp": "email", "sms": "sms", "webhook": "webhook"}


class SmtpConfig(ManagementModel):
    host: str = Field(min_length=1, max_length=255, examples=["smtp.example.com"])
    port: int = Field(default=587, ge=1, le=65535)
    # "starttls" upgrades a plain connection; "tls" connects with TLS (port 465); "none" for local relays.
    tls: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1000, description="sealed at rest, never shown")
    from_address: EmailStr = Field(alias="from", examples=["shop@example.com"])
    from_name: str | None = Field(default=None, max_length=255, examples=["The Shop"])


class SmsConfig(ManagementModel):
    """A Twilio-compatible REST endpoint: `POST url` with form fields To, From, Body and basic auth."""

    url: str = Field(pattern=r"^https?://", max_length=2000,
                     examples=["https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"])  # fmt: skip
    account_sid: str | None = Field(default=None, max_length=255)
    auth_token: str | None = Field(default=None, max_length=1000, description="sealed at rest, never shown")
    from_number: str = Field(alias="from", min_length=1, max_length=32, examples=["+15550000000"])


class WebhookConfig(ManagementModel):
    # Sent with every call (an API key of the receiver, say): sealed at rest, never shown.
    headers: dict[str, str] = Field(default_factory=dict, examples=[{"Authorization": "Bearer …"}])


class _ProviderIn(ManagementModel):
    name: str = Field(min_length=1, max_length=255)


class SmtpProviderIn(_ProviderIn):
    kind: Literal["smtp"] = Field(validation_alias="kind")  # a plain name: the union's discriminator
    config: SmtpConfig


class SmsProviderIn(_ProviderIn):
    kind: Literal["sms"] = Field(validation_alias="kind")  # a plain name: the union's discriminator
    config: SmsConfig


class WebhookProviderIn(_ProviderIn):
    kind: Literal["webhook"] = Field(validation_alias="kind")  # a plain name: the union's discriminator
    config: WebhookConfig = Field(default_factory=WebhookConfig)


# The settings depend on the kind; every problem with them is listed at once.
ProviderIn = Annotated[SmtpProviderIn | SmsProviderIn | WebhookProviderIn, Field(discriminator="kind")]


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


class ProviderTestIn(ManagementModel):
    # Also send a test message to this address (email) or number (SMS); without it, only connect.
    to: str | None = Field(default=None, max_length=320)


class ProviderTestOut(OutModel):
    ok: bool
    # What the server answered (its greeting, or the refusal), or why it could not be reached.
    answer: str
    sent: bool


class SubscriptionGroupIn(ManagementModel):
    name: str = Field(min_length=1, max_length=255)
    channel: Channel


class SubscriptionGroupOut(OutModel):
    id: uuid.UUID
    name: str
    channel: str
    created_at: datetime


# Template fields are Liquid; a locale key is a BCP 47 tag ("en", "de-AT"), the user's locale picks one.
Locale = Annotated[str, Field(min_length=2, max_length=35)]
Templated = Annotated[str, Field(max_length=100_000)]
PageText = Annotated[str, Field(min_length=1, max_length=300)]


class EmailTemplate(ManagementModel):
    subject: Templated = Field(min_length=1, examples=["Thanks for your order, {{ user.data.first_name }}"])
    html: Templated | None = Field(default=None, examples=["<p>Hi {{ user.data.first_name }}</p>"])
    text: Templated | None = Field(default=None, examples=["Hi {{ user.data.first_name }}"])

    @model_validator(mode="after")
    def _has_a_body(self) -> "EmailTemplate":
        if self.html is None and self.text is None:
            raise ValueError("an email needs html or text")
        return self


class SmsTemplate(ManagementModel):
    text: Templated = Field(min_length=1, examples=["Your code is {{ journey.code }}"])


class WebhookTemplate(ManagementModel):
    url: Templated = Field(min_length=1, examples=["https://hooks.example.com/orders/{{ journey.order.id }}"])
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    # Liquid in every value; `body` is a JSON template (a string) or JSON whose strings are templates.
    headers: dict[str, Templated] = Field(default_factory=dict)
    body: Any = None


class _CampaignIn(ManagementModel):
    name: str = Field(min_length=1, max_length=255)
    provider_id: uuid.UUID
    subscription_group_id: uuid.UUID | None = None
    transactional: bool = False
    # Shown to the templates as `campaign.<name>` ("{{ campaign.discount }}"), beside `campaign.id` and `.name`.
    variables: dict[str, Any] = Field(default_factory=dict)

    @field_validator("variables")
    @classmethod
    def _not_shadowing(cls, variables: dict[str, Any]) -> dict[str, Any]:
        if taken := sorted(variables.keys() & {"id", "name"}):
            raise ValueError(f"{taken[0]} is the campaign's own; choose another variable name")
        return variables


class EmailCampaignIn(_CampaignIn):
    channel: Literal["email"] = Field(validation_alias="channel")
    templates: dict[Locale, EmailTemplate] = Field(min_length=1)


class SmsCampaignIn(_CampaignIn):
    channel: Literal["sms"] = Field(validation_alias="channel")
    templates: dict[Locale, SmsTemplate] = Field(min_length=1)


class WebhookCampaignIn(_CampaignIn):
    channel: Literal["webhook"] = Field(validation_alias="channel")
    templates: dict[Locale, WebhookTemplate] = Field(min_length=1)


# The template fields depend on the channel; every problem with them is listed at once.
CampaignIn = Annotated[EmailCampaignIn | SmsCampaignIn | WebhookCampaignIn, Field(discriminator="channel")]


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


class SubscriptionIn(ManagementModel):
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


class PageTexts(ManagementModel):
    """The recipients' pages in one language; `{group}` and `{project}` are replaced by their names."""

    unsubscribe_title: PageText | None = Field(default=None, examples=["Abmelden"])
    unsubscribe_question: PageText | None = Field(default=None, examples=["{group} von {project} abbestellen?"])
    unsubscribe_button: PageText | None = Field(default=None, examples=["Abbestellen"])
    unsubscribed: PageText | None = Field(default=None, examples=["Erledigt: Sie erhalten {group} nicht mehr."])
    preferences_title: PageText | None = None
    preferences_intro: PageText | None = None
    subscribed: PageText | None = None
    not_subscribed: PageText | None = None
    subscribe_button: PageText | None = None
    leave_button: PageText | None = None
    manage: PageText | None = None


class ProjectSettingsIn(ManagementModel):
    default_locale: str | None = Field(default=None, min_length=2, max_length=35)
    subscription_default: Literal["opt_in", "opt_out"] | None = None
    # Replaces every locale's texts of the recipients' pages (English fills in what is missing).
    page_texts: dict[Locale, PageTexts] | None = Field(default=None, max_length=50)

    def page_texts_data(self) -> dict[str, dict[str, str]] | None:
        if self.page_texts is None:
            return None
        return {locale: texts.model_dump(exclude_none=True) for locale, texts in self.page_texts.items()}


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
