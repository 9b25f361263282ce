"""The pages a recipient reaches from a message: their preferences, in their language, each change on
their timeline."""

import uuid

from domain.messaging.links import UnsubscribeToken, sign_unsubscribe
from tests.helpers import SIGNING_SECRET, ProjectKeys, created, timeline, upsert


def token_for(project: ProjectKeys, user: dict, group: dict) -> str:
    ids = UnsubscribeToken(uuid.UUID(project.id), uuid.UUID(user["id"]), uuid.UUID(group["id"]))
    return sign_unsubscribe(SIGNING_SECRET, ids)


async def test_the_preference_page_shows_and_changes_each_group(api, project: ProjectKeys):
    news = await created(api, project, "/subscriptions", {"name": "Newsletter", "channel": "email"})
    await created(api, project, "/subscriptions", {"name": "Offers by SMS", "channel": "sms"})
    eve = await upsert(api, project, "eve", email="eve@example.com")
    token = token_for(project, eve, news)
    page = await api.get(f"/api/preferences/{token}")
    assert page.status_code == 200
    assert page.text.count('<span class="state">Subscribed</span>') == 2 and "Offers by SMS" in page.text

    changed = await api.post(f"/api/preferences/{token}?group_id={news['id']}&state=unsubscribed")
    assert changed.status_code == 200 and 'Newsletter<span class="state">Not subscribed</span>' in changed.text
    [change] = [e["data"] for e in await timeline(api, project, eve["id"]) if e["name"] == "subscription.updated"]
    assert change == {"group_id": news["id"], "group": "Newsletter", "channel": "email", "state": "unsubscribed",
                      "source": "preferences"}  # fmt: skip

    forged = await api.get(f"/api/preferences/{token[:-2]}xx")
    assert forged.status_code == 400


async def test_the_pages_speak_the_recipients_language_where_the_project_gives_it(api, project: ProjectKeys):
    german = {"unsubscribe_title": "Abmelden", "unsubscribe_question": "{group} von {project} abbestellen?",
              "unsubscribe_button": "Abbestellen"}  # fmt: skip
    response = await api.patch(project.admin(""), json={"page_texts": {"de": german}}, headers=project.secret)
    assert response.status_code == 200 and response.json()["page_texts"] == {"de": german}
    news = await created(api, project, "/subscriptions", {"name": "Newsletter", "channel": "email"})
    anna = await upsert(api, project, "anna", email="anna@example.com", locale="de-AT")
    bob = await upsert(api, project, "bob", email="bob@example.com", locale="fr")

    page = await api.get(f"/api/unsubscribe/{token_for(project, anna, news)}")
    assert '<html lang="de">' in page.text and "Newsletter von test abbestellen?" in page.text
    assert ">Abbestellen</button>" in page.text
    # No French texts: the project's default locale has none either, so English.
    page = await api.get(f"/api/unsubscribe/{token_for(project, bob, news)}")
    assert "Stop receiving Newsletter from test?" in page.text

    unknown = {"page_texts": {"de": {"unsubscribe_titel": "Abmelden"}}}
    response = await api.patch(project.admin(""), json=unknown, headers=project.secret)
    assert response.status_code == 400 and "unsubscribe_titel" in response.json()["detail"]
