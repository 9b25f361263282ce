from tests.helpers import ProjectKeys, create_list, import_csv, member_ids, timeline, upsert

USERS_CSV = (
    "identifier,email,first_name,last_name,plan,company,lifetime_value,beta\n"
    "user_001,alice@example.com,Alice,Smith,premium,Acme Inc,2500,true\n"
    "user_002,not-an-email,Bob,Jones,free,Globex,10,false\n"
    ",carol@example.com,Carol,White,premium,Initech,1,false\n"
    "user_004,dave@example.com,Dave,Brown,free,,0.5,\n"
)


async def test_users_csv_import_reports_bad_rows_and_imports_the_rest(api, project: ProjectKeys):
    response = await import_csv(api, project, "/users/import", USERS_CSV)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (2, 0, 2)
    assert [(e["line"], e["error"].split(":")[0]) for e in body["errors"]] == [
        (3, "email"),
        (4, "identifier.external_id"),
    ]

    alice = (await api.get(project.admin("/users?external_id=user_001"), headers=project.secret)).json()
    assert alice["email"] == "alice@example.com"
    assert alice["data"] == {
        "first_name": "Alice",
        "last_name": "Smith",
        "plan": "premium",
        "company": "Acme Inc",
        "lifetime_value": 2500,
        "beta": True,
    }
    dave = (await api.get(project.admin("/users?external_id=user_004"), headers=project.secret)).json()
    assert dave["data"] == {"first_name": "Dave", "last_name": "Brown", "plan": "free", "lifetime_value": 0.5}
    assert (await api.get(project.admin("/users?external_id=user_002"), headers=project.secret)).status_code == 404

    again = (
        await import_csv(api, project, "/users/import", "external_id,plan\nuser_001,premium\nuser_004,pro\n")
    ).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)


async def test_a_file_without_an_identifier_column_is_rejected(api, project: ProjectKeys):
    response = await import_csv(api, project, "/users/import", "email,plan\na@example.com,free\n")
    assert response.status_code == 400 and "identifier" in response.json()["detail"]
    missing = await api.post(project.admin("/users/import"), headers=project.secret)
    assert missing.status_code == 400 and "file" in missing.json()["detail"]


async def test_static_list_import_and_single_member_changes(api, project: ProjectKeys, temporal_client):
    static = await create_list(api, project, None, name="webinar attendees")
    response = await import_csv(api, project, f"/lists/{static['id']}/users", USERS_CSV)
    assert response.status_code == 200, response.text
    assert response.json()["added_to_list"] == 2
    members = await member_ids(api, project, static["id"])
    assert len(members) == 2

    extra = await upsert(api, project, "walk-in")
    assert (
        await api.put(project.admin(f"/lists/{static['id']}/users/{extra['id']}"), headers=project.secret)
    ).status_code == 204
    assert extra["id"] in await member_ids(api, project, static["id"])
    removed = await api.delete(project.admin(f"/lists/{static['id']}/users/{extra['id']}"), headers=project.secret)
    assert removed.status_code == 204
    assert extra["id"] not in await member_ids(api, project, static["id"])
    names = [e["name"] for e in await timeline(api, project, extra["id"])]
    assert names.count("list.user.added") == 1 and names.count("list.user.removed") == 1

    dynamic = await create_list(api, project, {"property": "user.data.plan", "op": "exists"}, temporal_client)
    refused = await api.put(project.admin(f"/lists/{dynamic['id']}/users/{extra['id']}"), headers=project.secret)
    assert refused.status_code == 400 and "dynamic" in refused.json()["detail"]
