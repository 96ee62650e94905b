"""GET /v2/tasks's query string and POST /v2/tasks's body, checked as Glance checks them."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from nimbus.services.image.errors import BadRequest
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.tasks import check_new_task, parse_task_query


def parse(text: str):
    return parse_task_query(QueryParams(text), ImageOptions())


def test_defaults_and_caps():
    query = parse("")
    assert (query.limit, query.sort_key, query.sort_dir, query.marker, query.filters) == (
        25, "created_at", "desc", None, {})
    assert parse("limit=5000").limit == 1000


def test_filters_and_sorting():
    query = parse("status=success&type=import&sort_key=status&sort_dir=asc&owner=x")
    assert query.filters == {"status": "success", "type": "import"}
    assert (query.sort_key, query.sort_dir) == ("status", "asc")


@pytest.mark.parametrize("text", ["limit=x", "limit=-2", "status=done", "type=other",
                                  "sort_key=input", "sort_dir=sideways", "marker=12"])
def test_bad_queries(text):
    with pytest.raises(BadRequest):
        parse(text)


@pytest.mark.parametrize("body,message", [
    (None, "Body expected in request."),
    ({"input": {}}, "Task 'type' is required"),
    ({"type": "import"}, "Task 'input' is required"),
    ({"type": "convert", "input": {}}, "does not match schema 'task'"),
    ({"type": "import", "input": "x"}, "does not match schema 'task'"),
])
def test_bad_new_tasks(body, message):
    with pytest.raises(BadRequest, match=message):
        check_new_task(body)
