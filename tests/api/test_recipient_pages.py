"""The pages a recipient reaches from a message: their preferences, each change on their timeline."""

import uuid

from domain.messaging.links import UnsubscribeToken, sign_unsubscribe
from tests.helpers import SIGNING_SECRET, ProjectKeys, created, timeline, upsert


async def test_the_preference_page_shows_and_changes_each_group(api, project: ProjectKeys):
    news = await created(api, project, "/subscriptions", {"name": "Newsletter", "channel": "email"})
    await created(api, project, "/subscriptions", {"name": "Offers by SMS", "channel": "sms"})
    eve = await upsert(api, project, "eve", email="eve@example.com")
    token = sign_unsubscribe(
        SIGNING_SECRET, UnsubscribeToken(uuid.UUID(project.id), uuid.UUID(eve["id"]), uuid.UUID(news["id"]))
    )
    page = await api.get(f"/api/preferences/{token}")
    assert page.status_code == 200
    assert "Newsletter (email): subscribed" in page.text and "Offers by SMS (sms): subscribed" in page.text

    changed = await api.post(f"/api/preferences/{token}?group_id={news['id']}&state=unsubscribed")
    assert changed.status_code == 200 and "Newsletter (email): unsubscribed" in changed.text
    [change] = [e["data"] for e in await timeline(api, project, eve["id"]) if e["name"] == "subscription.updated"]
    assert change == {"group_id": news["id"], "group": "Newsletter", "channel": "email", "state": "unsubscribed",
                      "source": "preferences"}  # fmt: skip

    forged = await api.get(f"/api/preferences/{token[:-2]}xx")
    assert forged.status_code == 400
