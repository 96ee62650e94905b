"""Image API v2: the route table and the mount at /image.

Rules are Glance's policy names; targets are flat (``project_id`` is the image owner). A
route guarded by an image rule loads the image first: one the caller can't see is a 404.
"""

from __future__ import annotations

from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import Route, ServiceApi
from nimbus.services.image.api import (
    cache,
    data,
    discovery,
    images,
    locations,
    members,
    stores,
    tasks,
)
from nimbus.services.image.api.common import image_target, project_target
from nimbus.services.image.api.metadefs import METADEF_ROUTES
from nimbus.services.image.errors import glance_fault
from nimbus.services.image.faults import glance_fault_response
from nimbus.services.image.policies import RULES
from nimbus.services.image.service import image_of

INFO = "get_image_info"
IMAGE = "/v2/images/{image_id}"

ROUTES: list[Route] = [
    Route("GET", "/", discovery.list_versions),
    Route("GET", "/versions", discovery.show_versions),
    Route("GET", "/v2", discovery.list_versions),
    Route("GET", "/v2/", discovery.list_versions),
    Route("GET", "/v2/schemas/image", discovery.image_schema_doc, INFO),
    Route("GET", "/v2/schemas/images", discovery.images_schema_doc, INFO),
    Route("GET", "/v2/schemas/member", discovery.member_schema_doc, INFO),
    Route("GET", "/v2/schemas/members", discovery.members_schema_doc, INFO),
    Route("GET", "/v2/info/import", discovery.import_info, INFO),
    Route("GET", "/v2/info/stores", discovery.stores_info, INFO),
    Route("GET", "/v2/info/stores/detail", discovery.stores_detail, "stores_info_detail"),
    Route("GET", "/v2/info/usage", discovery.usage_info, INFO),
    Route("POST", "/v2/images", images.create_image, "add_image", images.create_target),
    Route("GET", "/v2/images", images.list_images, "get_images", project_target),
    Route("GET", IMAGE, images.show_image, "get_image", image_target),
    Route("PATCH", IMAGE, images.update_image, "modify_image", image_target),
    Route("DELETE", IMAGE, images.delete_image, "delete_image", image_target),
    Route("POST", f"{IMAGE}/actions/deactivate", images.deactivate, "deactivate",
          image_target),
    Route("POST", f"{IMAGE}/actions/reactivate", images.reactivate, "reactivate",
          image_target),
    Route("PUT", f"{IMAGE}/tags/{{tag}}", images.add_tag, "modify_image", image_target),
    Route("DELETE", f"{IMAGE}/tags/{{tag}}", images.delete_tag, "modify_image", image_target),
    Route("PUT", f"{IMAGE}/file", data.upload, "upload_image", image_target, stream=True),
    Route("GET", f"{IMAGE}/file", data.download, "download_image", image_target),
    Route("PUT", f"{IMAGE}/stage", data.stage, "modify_image", image_target, stream=True),
    Route("POST", f"{IMAGE}/import", data.import_image, "modify_image", image_target),
    Route("GET", f"{IMAGE}/tasks", data.list_tasks, "get_image", image_target),
    Route("GET", f"{IMAGE}/members", members.list_members, "get_members", image_target),
    Route("POST", f"{IMAGE}/members", members.add_member, "add_member", image_target),
    Route("GET", f"{IMAGE}/members/{{member_id}}", members.show_member, "get_image",
          image_target),
    Route("PUT", f"{IMAGE}/members/{{member_id}}", members.update_member, "modify_member",
          image_target),
    Route("DELETE", f"{IMAGE}/members/{{member_id}}", members.delete_member,
          "delete_member", image_target),
    *METADEF_ROUTES,
    Route("POST", f"{IMAGE}/locations", locations.add_location, "add_image_location",
          locations.add_location_target),
    Route("GET", f"{IMAGE}/locations", locations.list_locations, "fetch_image_location",
          image_target),
    Route("GET", "/v2/cache", cache.cache_state, "cache_list"),
    Route("DELETE", "/v2/cache", cache.clear_cache, "cache_delete"),
    Route("PUT", "/v2/cache/{image_id}", cache.queue_image, "cache_image",
          cache.cached_image_target),
    Route("DELETE", "/v2/cache/{image_id}", cache.delete_cache_entry, "cache_delete",
          cache.cache_entry_target),
    Route("GET", "/v2/schemas/task", tasks.task_schema_doc, INFO),
    Route("GET", "/v2/schemas/tasks", tasks.tasks_schema_doc, INFO),
    Route("GET", "/v2/tasks", tasks.list_tasks, "tasks_api_access", project_target),
    Route("POST", "/v2/tasks", tasks.create_task, "tasks_api_access", project_target),
    Route("GET", "/v2/tasks/{task_id}", tasks.show_task, "tasks_api_access",
          project_target),
    Route("DELETE", "/v2/tasks/{task_id}", tasks.delete_task, "tasks_api_access",
          project_target),
    Route("DELETE", "/v2/stores/{store_id}/{image_id}", stores.delete_from_store,
          "delete_image_location", stores.store_image_target),
]


def build_api(runtime: Runtime) -> ServiceApi:
    settings = runtime.settings
    api = ServiceApi("image", "/image", ROUTES,
                     enforcer=Enforcer(RULES, settings.policy_file("image")),
                     fault_format=glance_fault, validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size, flat_targets=True)
    api.service = image_of(runtime)  # type: ignore[attr-defined]
    api.negotiated_fault = glance_fault_response
    return api
