"""Placement's gabbi fixtures that fill the database (AllocationFixture,
SharedStorageFixture, GranularFixture, NUMANetworkFixture, ...), run against Nimbus
through its API: their own code (placement/tests/functional/fixtures/gabbits.py), with
the database helpers it calls (``tb``, the ``*_obj`` classes) standing on HTTP requests."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from tests.api.placement._gabbi import CLASS_VARS, UUID_VARS

SKIPPED_CLASSES = ("LazyWSGIApp", "APIFixture", "CORSFixture", "OpenPolicyFixture",
                   "SecureRBACPolicyFixture", "LegacyRBACPolicyFixture")


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30, headers={
            "X-Auth-Token": token, "OpenStack-API-Version": "placement 1.39"})

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (
            200, 201, 204), version: str | None = None) -> Any:
        headers = {"OpenStack-API-Version": f"placement {version}"} if version else {}
        answer = self.http.request(method, path, json=body, headers=headers)
        if answer.status_code not in ok:
            raise AssertionError(f"fixture {method} {path}: {answer.status_code} "
                                 f"{answer.text[:400]}")
        return answer.json() if answer.content else None


class Sentinels:
    """oslo's uuidsentinel: one uuid per attribute name."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._known.setdefault(name, str(uuid.uuid4()))


class Names:
    """os_resource_classes / os_traits: each constant is its own name."""

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return name


class Provider:
    def __init__(self, client: Client, uuid_: str) -> None:
        self._context = client
        self.uuid = uuid_

    def set_aggregates(self, aggs: list[str], increment_generation: bool = False) -> None:
        generation = self._context.call("GET", f"/resource_providers/{self.uuid}")[
            "generation"]
        self._context.call("PUT", f"/resource_providers/{self.uuid}/aggregates",
                           {"aggregates": list(aggs), "resource_provider_generation":
                            generation})


def _generation(client: Client, rp: str) -> int:
    return int(client.call("GET", f"/resource_providers/{rp}")["generation"])


def make_tb(sentinels: Sentinels) -> SimpleNamespace:
    def create_provider(ctx: Client, name: str, *aggs: str, **kw: Any) -> Provider:
        body = {"name": name, "uuid": kw.get("uuid") or getattr(sentinels, name),
                "parent_provider_uuid": kw.get("parent")}
        rp = Provider(ctx, ctx.call("POST", "/resource_providers", body)["uuid"])
        if aggs:
            rp.set_aggregates(list(aggs))
        return rp

    def ensure_rc(ctx: Client, name: str) -> None:
        if name.startswith("CUSTOM_"):
            ctx.call("PUT", f"/resource_classes/{name}")

    def add_inventory(rp: Provider, rc: str, total: int, **kw: Any) -> None:
        ensure_rc(rp._context, rc)
        kw.setdefault("max_unit", total)
        rp._context.call("POST", f"/resource_providers/{rp.uuid}/inventories",
                         {"resource_class": rc, "total": total, **kw})

    def set_traits(rp: Provider, *traits: str) -> None:
        for name in traits:
            if name.startswith("CUSTOM_"):
                rp._context.call("PUT", f"/traits/{name}")
        rp._context.call("PUT", f"/resource_providers/{rp.uuid}/traits", {
            "traits": list(traits),
            "resource_provider_generation": _generation(rp._context, rp.uuid)})

    def ensure_consumer(ctx: Client, user: Any, project: Any,
                        consumer_id: str | None = None) -> Any:
        return SimpleNamespace(uuid=consumer_id or str(uuid.uuid4()), user=user,
                               project=project)

    def set_allocation(ctx: Client, rp: Provider, consumer: Any, used: dict[str, int]
                       ) -> None:
        ctx.call("PUT", f"/allocations/{consumer.uuid}", {
            "allocations": {rp.uuid: {"resources": used}},
            "project_id": consumer.project.external_id,
            "user_id": consumer.user.external_id}, version="1.27")

    def create_user_and_project(ctx: Client, prefix: str = "fake") -> tuple[Any, Any]:
        return (SimpleNamespace(external_id=f"{prefix}-user"),
                SimpleNamespace(external_id=f"{prefix}-project"))

    return SimpleNamespace(create_provider=create_provider, ensure_rc=ensure_rc,
                           add_inventory=add_inventory, set_traits=set_traits,
                           ensure_consumer=ensure_consumer, set_allocation=set_allocation,
                           create_user_and_project=create_user_and_project)


class _External:
    """user_obj.User / project_obj.Project: just an external id here."""

    def __init__(self, ctx: Any = None, external_id: str = "") -> None:
        self.external_id = external_id

    def create(self) -> None:
        return None


class _ResourceClass:
    def __init__(self, context: Client, name: str) -> None:
        self.context, self.name = context, name

    def create(self) -> None:
        self.context.call("POST", "/resource_classes", {"name": self.name})


def _base_fixture(client: Client) -> type:
    class APIFixture:
        def __init__(self) -> None:
            self.context = client

        def start_fixture(self) -> None:
            for name in UUID_VARS:
                os.environ[name] = str(uuid.uuid4())
            os.environ.update(CLASS_VARS)

        def stop_fixture(self) -> None:
            return None

    return APIFixture


def fixture_classes(source: Path, client: Client) -> dict[str, type]:
    """The fixture classes of Placement's fixtures module, bound to ``client``."""
    text = source.read_text()
    start = text.index("\nclass ")
    chunks = re.split(r"\n(?=class )", text[start:])
    kept = [c for c in chunks if not c.lstrip().startswith(
        tuple(f"class {n}" for n in SKIPPED_CLASSES))]
    sentinels = Sentinels()
    namespace: dict[str, Any] = {
        "os": os, "tb": make_tb(sentinels), "orc": Names(), "ot": Names(),
        "uuids": sentinels, "uuidutils": SimpleNamespace(
            generate_uuid=lambda: str(uuid.uuid4())),
        "user_obj": SimpleNamespace(User=_External),
        "project_obj": SimpleNamespace(Project=_External),
        "rc_obj": SimpleNamespace(ResourceClass=_ResourceClass),
        "APIFixture": _base_fixture(client),
    }
    exec(compile("\n".join(kept), str(source), "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if isinstance(v, type)
            and k.endswith("Fixture")}
