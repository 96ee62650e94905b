"""Image options: Glance's defaults, overridden by a settings section when there is one."""

from __future__ import annotations

from types import SimpleNamespace

from nimbus.services.image.options import DISK_FORMATS, ImageOptions


def test_defaults_without_a_section():
    options = ImageOptions.from_settings(SimpleNamespace())
    assert options.require_format_match is True and options.disk_formats == DISK_FORMATS
    assert options.image_size_cap == 1 << 40 and options.limit_param_default == 25


def test_a_section_overrides_what_it_names():
    section = SimpleNamespace(require_format_match=False, image_tag_quota=5,
                              disk_formats="raw, qcow2", unrelated="ignored")
    options = ImageOptions.from_settings(SimpleNamespace(image=section))
    assert options.require_format_match is False and options.image_tag_quota == 5
    assert options.disk_formats == ("raw", "qcow2")
    assert options.image_member_quota == 128
