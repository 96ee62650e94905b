"""The stores of a cloud: the settings that add file stores, the default one, discovery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nimbus.services.image.errors import UnknownImportStore, UnknownStore
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.service.stores import (
    Stores,
    join_stores,
    parse_store_setting,
    split_stores,
)


def make(tmp_path: Path, **options: str) -> Stores:
    return Stores(replace(ImageOptions(), **options), tmp_path, tmp_path / "images")


def test_without_settings_there_is_the_local_store(tmp_path):
    stores = make(tmp_path)
    assert stores.ids == ["local"] and stores.default_id == "local"
    assert stores.info() == [{"id": "local", "description": "Image data in the data directory",
                              "default": "true"}]


def test_settings_add_stores_relative_to_the_data_dir(tmp_path):
    stores = make(tmp_path, stores=f"fast={tmp_path / 'f'}, cheap=c", default_store="fast")
    assert stores.ids == ["local", "fast", "cheap"]
    assert [s.get("default") for s in stores.info()] == [None, "true", None]
    detail = {s["id"]: s["properties"]["datadir"] for s in stores.detail()}
    assert detail == {"local": str(tmp_path / "images"), "fast": str(tmp_path / "f"),
                      "cheap": str(tmp_path / "c")}
    assert stores.default is stores.get("fast")


@pytest.mark.parametrize("setting", ["fast", "=dir", "bad id=dir", "x" * 33 + "=d",
                                     "fast=a,fast=b", "local=elsewhere", "again=images"])
def test_bad_store_settings_stop_the_start(tmp_path, setting):
    with pytest.raises(ValueError):
        make(tmp_path, stores=setting)


def test_the_default_must_be_a_store(tmp_path):
    with pytest.raises(ValueError, match="default_store"):
        make(tmp_path, default_store="fast")


def test_unknown_ids_raise_the_error_the_caller_names(tmp_path):
    stores = make(tmp_path, stores="fast=f")
    assert stores.require(["fast", "local"], UnknownStore) == ["fast", "local"]
    with pytest.raises(UnknownStore, match="Unknown scheme 'nowhere' found in URI") as bad:
        stores.require(["fast", "nowhere"], UnknownStore)
    assert bad.value.status == 400
    with pytest.raises(UnknownImportStore) as conflict:
        stores.require([7], UnknownImportStore)
    assert conflict.value.status == 409


def test_an_images_stores_are_a_sorted_list(tmp_path):
    assert join_stores(["local", "cheap", "local"]) == "cheap,local"
    assert join_stores([]) is None
    assert split_stores("cheap,local") == ["cheap", "local"] and split_stores(None) == []
    stores = make(tmp_path, stores="fast=f", default_store="fast")
    assert [i for i, _ in stores.holding("fast,gone,local")] == ["fast", "local"]


def test_parse_store_setting_keeps_absolute_paths(tmp_path):
    assert parse_store_setting("a=/srv/a,b=rel", tmp_path) == [
        ("a", Path("/srv/a")), ("b", tmp_path / "rel")]


def test_weights_order_an_images_stores_and_show_in_discovery(tmp_path):
    stores = make(tmp_path, stores="fast=f,cheap=c", store_weights="cheap=100,fast=50")
    assert join_stores(["local", "fast", "cheap"], stores.weights) == "cheap,fast,local"
    assert {s["id"]: s["weight"] for s in stores.info()} == {"local": 0, "fast": 50,
                                                            "cheap": 100}
    assert {s["id"]: s["weight"] for s in stores.detail()}["cheap"] == 100
    # Without weights discovery stays as Glance answers it: no weight field.
    assert "weight" not in make(tmp_path).info()[0]


@pytest.mark.parametrize("setting", ["cheap", "cheap=heavy", "gone=5"])
def test_bad_weights_stop_the_start(tmp_path, setting):
    with pytest.raises(ValueError):
        make(tmp_path, stores="cheap=c", store_weights=setting)
