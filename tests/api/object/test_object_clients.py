"""The `swift` CLI, the `openstack container/object` commands and openstacksdk's
object_store proxy against the live object store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openstack
import swiftclient

from tests.api.object.conftest import empty_container, unique


def test_swift_cli_upload_list_stat_post_download_copy_delete(
        swift_cli: Callable[..., Any], swift: swiftclient.Connection, tmp_path: Path) -> None:
    name = unique("cli")
    (tmp_path / "notes.txt").write_text("some notes\n")
    try:
        swift_cli("upload", name, "notes.txt")
        assert swift_cli("list").stdout.split().count(name) == 1
        assert swift_cli("list", name).stdout.split() == ["notes.txt"]
        stat = swift_cli("stat", name, "notes.txt").stdout
        assert "Content Length: 11" in stat
        assert f"ETag: {hashlib.md5(b'some notes' + bytes([10])).hexdigest()}" in stat
        swift_cli("post", "-m", "color:green", name, "notes.txt")
        assert "Meta Color: green" in swift_cli("stat", name, "notes.txt").stdout
        swift_cli("copy", "-d", f"/{name}/copy.txt", name, "notes.txt")
        out = swift_cli("download", name, "copy.txt", "-o", "-").stdout
        assert out == "some notes\n"
        account = swift_cli("stat").stdout
        assert "Containers:" in account and "Objects:" in account
        swift_cli("delete", name, "copy.txt")
        assert swift_cli("list", name).stdout.split() == ["notes.txt"]
        assert "swift" in swift_cli("capabilities").stdout
    finally:
        empty_container(swift, name)


def test_openstack_container_and_object_commands(cli: Callable[..., Any], tmp_path: Path,
                                                 swift: swiftclient.Connection) -> None:
    name = unique("osc")
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x00\x01osc data")
    try:
        created = cli("container", "create", name, "-f", "json")
        assert created[0]["container"] == name
        assert name in [c["Name"] for c in cli("container", "list", "-f", "json")]
        made = cli("object", "create", name, str(source), "--name", "blob.bin", "-f", "json")
        assert made[0]["object"] == "blob.bin"
        listed = cli("object", "list", name, "-f", "json")
        assert [o["Name"] for o in listed] == ["blob.bin"]
        cli("object", "set", "--property", "owner=me", name, "blob.bin")
        shown = cli("object", "show", name, "blob.bin", "-f", "json")
        assert shown["content-length"] == "10" and shown["properties"] == {"owner": "me"}
        out = tmp_path / "back.bin"
        cli("object", "save", "--file", str(out), name, "blob.bin")
        assert out.read_bytes() == b"\x00\x01osc data"
        info = cli("container", "show", name, "-f", "json")
        assert info["object_count"] == "1" and info["bytes_used"] == "10"
        cli("object", "delete", name, "blob.bin")
        assert cli("object", "list", name, "-f", "json") == []
        cli("container", "delete", name)
        assert name not in [c["Name"] for c in cli("container", "list", "-f", "json")]
    finally:
        empty_container(swift, name)


def test_openstacksdk_object_store(admin: openstack.connection.Connection) -> None:
    store = admin.object_store
    name = unique("sdk")
    store.create_container(name=name)
    try:
        store.upload_object(container=name, name="hello.txt", data=b"hi from the sdk")
        assert store.download_object("hello.txt", container=name) == b"hi from the sdk"
        store.set_object_metadata("hello.txt", container=name, flavour="mint")
        meta = store.get_object_metadata("hello.txt", container=name)
        assert meta.metadata["flavour"] == "mint"
        assert meta.content_length == 15
        assert [o.name for o in store.objects(name)] == ["hello.txt"]
        assert name in [c.name for c in store.containers()]
        store.delete_object("hello.txt", container=name)
        assert list(store.objects(name)) == []
    finally:
        store.delete_container(name, ignore_missing=True)
