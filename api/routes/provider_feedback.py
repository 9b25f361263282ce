"""Where providers report back, at the signed `feedback_url` each provider shows in the management API:
email delivery reports (JSON), and an SMS provider's status callbacks and inbound replies (form posts)."""

import uuid

from fastapi import APIRouter, Request, Response

from api.deps import SettingsDep, WorkDep
from domain.messaging.feedback import feedback_provider, record_reports, record_sms_callback
from domain.messaging.links import verify_provider
from domain.messaging.schemas import DeliveryReport, DeliveryReports, ReportsOut

router = APIRouter(prefix="/api/providers/{provider_id}", tags=["providers"])


@router.post("/reports/{signature}")
async def delivery_reports(
    provider_id: uuid.UUID,
    signature: str,
    reports: DeliveryReport | DeliveryReports,
    work: WorkDep,
    settings: SettingsDep,
) -> ReportsOut:
    """`email.delivered|bounced|complained|opened|clicked` for each reported message; a hard bounce or
    a complaint suppresses the address."""
    verify_provider(settings.link_secret, provider_id, signature)
    provider = await feedback_provider(work.session, provider_id, "smtp")
    recorded = await record_reports(work, provider, reports if isinstance(reports, list) else [reports])
    await work.commit()
    return recorded


@router.post("/sms/{signature}", status_code=204)
async def sms_callback(
    provider_id: uuid.UUID,
    signature: str,
    request: Request,
    work: WorkDep,
    settings: SettingsDep,
    message_id: str | None = None,
) -> Response:
    """A Twilio-style status callback (`MessageStatus`) for the message in `?message_id=`, or an inbound
    reply (`From`, `Body`): STOP unsubscribes from SMS and suppresses the number, START undoes it."""
    verify_provider(settings.link_secret, provider_id, signature)
    provider = await feedback_provider(work.session, provider_id, "sms")
    form = {name: str(value) for name, value in (await request.form()).items()}
    await record_sms_callback(work, provider, form, message_id)
    await work.commit()
    return Response(status_code=204)
