"""Object Storage API v1 (Swift): the route table and the mount at /object-store.

The catalog's URL is /object-store/v1/AUTH_$(project_id)s. Every route takes anonymous
requests: keystoneauth's rules (owners, reseller admins, account and container ACLs) are
applied by the handlers, which know the container's ACLs (api/common.py, acl.py). /info
answers under the mount and at the host's root, where swiftclient and tempest look for it.
"""

from __future__ import annotations

from nimbus.kernel.loops import LoopRunner
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import Route, ServiceApi
from nimbus.services.object.api import account, container, info, objects
from nimbus.services.object.api.common import swift_handler
from nimbus.services.object.errors import swift_fault, swift_fault_response
from nimbus.services.object.middleware import Handler, through_pipeline
from nimbus.services.object.service import ExpirerTask, object_of
from nimbus.services.object.store.replicator import Replicator

ACCOUNT = "/v1/{account}"
CONTAINER = "/v1/{account}/{container}"
OBJECT = "/v1/{account}/{container}/{obj:path}"


def _h(core: Handler) -> Handler:
    """A core handler behind the middleware pipeline, with Swift's answer headers."""
    return swift_handler(through_pipeline(core))


def _account_routes(path: str) -> list[Route]:
    return [
        Route("GET", path, _h(account.list_account)),
        Route("HEAD", path, _h(account.head_account)),
        # Streamed: bulk's extract-archive and bulk-delete bodies (middleware/bulk.py).
        Route("POST", path, _h(account.post_account), stream=True),
        Route("PUT", path, _h(account.refuse_account_change), stream=True),
        Route("DELETE", path, _h(account.refuse_account_change), stream=True),
    ]


def _container_routes(path: str) -> list[Route]:
    return [
        Route("PUT", path, _h(container.put_container), stream=True),
        Route("GET", path, _h(container.list_container)),
        Route("HEAD", path, _h(container.head_container)),
        Route("POST", path, _h(container.post_container), stream=True),
        Route("DELETE", path, _h(container.delete_container)),
    ]


ROUTES: list[Route] = [
    Route("GET", "/info", info.show_info),
    Route("GET", "/crossdomain.xml", info.crossdomain),
    Route("GET", "/healthcheck", info.healthcheck),
    *_account_routes(ACCOUNT),
    *_account_routes(ACCOUNT + "/"),
    *_container_routes(CONTAINER),
    *_container_routes(CONTAINER + "/"),
    Route("PUT", OBJECT, _h(objects.put_object), stream=True),
    Route("GET", OBJECT, _h(objects.get_object)),
    Route("HEAD", OBJECT, _h(objects.head_object)),
    # Streamed: formpost's multipart bodies (middleware/formpost.py).
    Route("POST", OBJECT, _h(objects.post_object), stream=True),
    Route("DELETE", OBJECT, _h(objects.delete_object)),
    Route("COPY", OBJECT, _h(objects.copy_object)),
]

_runners: dict[int, LoopRunner] = {}


def _api(runtime: Runtime, name: str, prefix: str, routes: list[Route]) -> ServiceApi:
    settings = runtime.settings
    api = ServiceApi(name, prefix, routes, enforcer=Enforcer({}, None),
                     fault_format=swift_fault, validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size)
    api.service = object_of(runtime)  # type: ignore[attr-defined]
    api.negotiated_fault = swift_fault_response
    return api


def build_api(runtime: Runtime) -> ServiceApi:
    api = _api(runtime, "object-store", "/object-store", ROUTES)
    if id(runtime) not in _runners:
        runner = _runners[id(runtime)] = LoopRunner(max_parallel=2)
        runner.add(ExpirerTask(object_of(runtime)), initial_delay=1.0)
        if runtime.settings.object.replicator_interval > 0:
            runner.add(Replicator(object_of(runtime), shared_schedule=True),
                       initial_delay=min(5.0, runtime.settings.object.replicator_interval))
        runner.start()
    return api


def extra_apis(runtime: Runtime) -> list[ServiceApi]:
    """/info at the host's root, as Swift's proxy answers it; the S3 API at /s3."""
    from nimbus.services.object.s3.api import build_s3_api

    return [_api(runtime, "object-info", "/info", [Route("GET", "/", info.show_info)]),
            build_s3_api(runtime)]
