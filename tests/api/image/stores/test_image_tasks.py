"""Tasks: every import is one; GET /v2/tasks (filters, sorting, paging), /v2/tasks/{id},
/v2/images/{id}/tasks, the schemas, and POST /v2/tasks for admins only; openstacksdk,
python-glanceclient and raw requests."""

from __future__ import annotations

import time

import glanceclient
import pytest
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

from tests.api.image.conftest import JSON_FAULTS


def api(cloud) -> str:
    return f"{cloud.url}/image/v2"


def _task_ids(conn, cloud, image_id):
    tasks = conn.session.get(f"{api(cloud)}/images/{image_id}/tasks").json()["tasks"]
    return [t["id"] for t in tasks]


@pytest.fixture
def imported(sadmin, store_cloud, make_store_image):
    """An image imported by glance-direct, and one whose import failed: their tasks."""
    good = make_store_image()
    sadmin.image.stage_image(good, data=b"good" * 100)
    response = sadmin.image.import_image(good, method="glance-direct")
    bad = make_store_image(disk_format="qcow2")
    sadmin.image.stage_image(bad, data=b"bad" * 100)
    sadmin.image.import_image(bad, method="glance-direct")
    good_task, bad_task = (sadmin.image.get_task(_task_ids(sadmin, store_cloud, i.id)[0])
                           for i in (good, bad))
    assert {good_task.id, bad_task.id} <= {t.id for t in sadmin.image.tasks()}
    return good, good_task, bad_task, response.headers["x-openstack-request-id"]


def test_an_import_is_recorded_as_glance_records_it(sadmin, store_cloud, imported):
    good, good_task, bad_task, request_id = imported
    task = sadmin.image.get_task(good_task.id)
    assert (task.type, task.status, task.result) == ("api_image_import", "success",
                                                    {"image_id": good.id})
    assert task.input == {"image_id": good.id, "import_req": {"method": {
        "name": "glance-direct"}}, "backend": ["local"]}
    assert task.owner_id == sadmin.current_project_id
    assert task.expires_at and task.message == ""
    raw = sadmin.session.get(f"{api(store_cloud)}/tasks/{task.id}").json()
    assert (raw["image_id"], raw["request_id"]) == (good.id, request_id)
    assert raw["user_id"] == sadmin.current_user_id
    assert (raw["self"], raw["schema"]) == (f"/v2/tasks/{task.id}", "/v2/schemas/task")
    failed = sadmin.image.get_task(bad_task.id)
    assert failed.status == "failure" and "does not match" in failed.message


def test_listing_filters_sorts_and_pages(sadmin, store_cloud, imported):
    _good, good_task, bad_task, _ = imported
    url = f"{api(store_cloud)}/tasks"
    failures = sadmin.session.get(f"{url}?status=failure").json()["tasks"]
    assert bad_task.id in [t["id"] for t in failures]
    assert {t["status"] for t in failures} == {"failure"}
    assert "input" not in failures[0] and "message" not in failures[0]
    newest = sadmin.session.get(f"{url}?limit=1").json()
    assert newest["tasks"][0]["id"] == bad_task.id
    assert newest["first"] == "/v2/tasks?limit=1"
    following = sadmin.session.get(f"{store_cloud.url}/image{newest['next']}").json()
    assert following["tasks"][0]["id"] == good_task.id
    oldest_first = sadmin.session.get(f"{url}?sort_dir=asc").json()["tasks"]
    ids = [t["id"] for t in oldest_first]
    assert ids.index(good_task.id) < ids.index(bad_task.id)
    legacy_only = sadmin.session.get(f"{url}?type=import").json()["tasks"]
    assert good_task.id not in [t["id"] for t in legacy_only]


@pytest.mark.parametrize("query,message", [
    ("status=done", "Invalid status value: done"),
    ("type=api_image_import", "Invalid type value: api_image_import"),
    ("sort_dir=up", "Invalid sort direction: up"),
    ("sort_key=input", "Sort key supplied was not valid."),
    ("marker=nope", "Invalid marker format"),
    ("limit=-1", "limit param must be positive"),
    ("marker=00000000-0000-0000-0000-000000000000",
     "Task with the given id 00000000-0000-0000-0000-000000000000 was not found"),
])
def test_bad_listing_queries_are_400(sadmin, store_cloud, query, message):
    refused = sadmin.session.get(f"{api(store_cloud)}/tasks?{query}", headers=JSON_FAULTS,
                                 raise_exc=False)
    assert (refused.status_code, refused.json()["message"]) == (400, message)


def test_the_tasks_api_is_for_admins(sadmin, store_cloud, store_user, make_store_image):
    member = store_user("member")
    image = make_store_image(conn=member.conn)
    member.conn.image.stage_image(image, data=b"mine" * 10)
    member.conn.image.import_image(image, method="glance-direct")
    [task] = member.session.get(f"{api(store_cloud)}/images/{image.id}/tasks").json()["tasks"]
    assert task["owner"] == member.project.id and task["status"] == "success"
    for method, path in (("GET", "/tasks"), ("GET", f"/tasks/{task['id']}"),
                         ("POST", "/tasks")):
        with pytest.raises(ks_exc.Forbidden):
            member.session.request(f"{api(store_cloud)}{path}", method,
                                   json={"type": "import", "input": {}})
    outsider = store_user("member")
    with pytest.raises(ks_exc.NotFound):
        outsider.session.get(f"{api(store_cloud)}/images/{image.id}/tasks")
    assert sadmin.image.get_task(task["id"]).owner_id == member.project.id


def test_tasks_are_not_deleted_by_hand(sadmin, store_cloud, imported):
    _good, good_task, _bad, _ = imported
    refused = sadmin.session.delete(f"{api(store_cloud)}/tasks/{good_task.id}",
                                    headers=JSON_FAULTS, raise_exc=False)
    assert (refused.status_code, refused.headers["Allow"]) == (405, "GET")
    assert "auto deleted" in refused.json()["message"]
    assert sadmin.image.get_task(good_task.id).status == "success"


def test_schemas(sadmin, store_cloud):
    task = sadmin.image.get_task_schema()
    assert task.name == "task"
    assert "api_image_import" in task.properties["type"]["enum"]
    tasks = sadmin.session.get(f"{api(store_cloud)}/schemas/tasks").json()
    assert tasks["name"] == "tasks"
    assert "input" not in tasks["properties"]["tasks"]["items"]["properties"]


def test_glanceclient_reads_and_creates_tasks(sadmin, store_cloud, web, make_store_image,
                                              imported):
    glance = glanceclient.Client("2", session=sadmin.session)
    _good, good_task, _bad, _ = imported
    assert good_task.id in [t["id"] for t in glance.tasks.list()]
    assert glance.tasks.get(good_task.id)["status"] == "success"
    web.files["/legacy.raw"] = b"legacy" * 100
    made = glance.tasks.create(type="import", input={
        "import_from": web.url("/legacy.raw"), "import_from_format": "raw",
        "image_properties": {"name": "legacy", "disk_format": "raw",
                             "container_format": "bare"}})
    assert (made["type"], made["status"]) == ("import", "processing")
    deadline = time.monotonic() + 60
    while (shown := glance.tasks.get(made["id"]))["status"] == "processing":
        assert time.monotonic() < deadline, shown
        time.sleep(0.1)
    assert (shown["type"], shown["status"]) == ("import", "success")
    image_id = shown["result"]["image_id"]
    try:
        assert sadmin.image.download_image(image_id).content == b"legacy" * 100
    finally:
        sadmin.image.delete_image(image_id)
    with pytest.raises(glance_exc.HTTPBadRequest) as refused:
        glance.tasks.create(type="import", input={
            "import_from": "http://elsewhere.example/x.qcow2", "import_from_format": "qcow2",
            "image_properties": {"disk_format": "qcow2", "container_format": "bare"}})
    assert "URI for legacy import task does not pass filtering" in str(refused.value)
