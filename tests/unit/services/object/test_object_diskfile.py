"""Object files: commit records decide what exists; a failed write leaves the old object."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.services.object.ring import load_ring
from nimbus.services.object.store.diskfile import EtagMismatch, ObjectFiles, read_range


@pytest.fixture
def files(tmp_path: Path) -> ObjectFiles:
    return ObjectFiles(load_ring(Settings(data_dir=tmp_path)))


def test_write_read_update_delete(files: ObjectFiles) -> None:
    stored = files.write("AUTH_a", "c", "o", [b"hello ", b"world"], {"Content-Type": "x/y"},
                         max_size=100)
    assert stored.size == 11 and stored.etag == "5eb63bbbe01eeed093cb22bb8f5acdc3"
    found = files.read("AUTH_a", "c", "o")
    assert found is not None and b"".join(read_range(found, 6, 10)) == b"world"
    files.update_meta("AUTH_a", "c", "o", found, {"Content-Type": "a/b"})
    again = files.read("AUTH_a", "c", "o")
    assert again is not None and again.meta == {"Content-Type": "a/b"}
    assert b"".join(read_range(again, 0, 10)) == b"hello world"
    files.delete("AUTH_a", "c", "o")
    assert files.read("AUTH_a", "c", "o") is None


def test_failed_write_keeps_the_old_object(files: ObjectFiles) -> None:
    files.write("AUTH_a", "c", "o", [b"old"], {}, max_size=100)
    with pytest.raises(EtagMismatch):
        files.write("AUTH_a", "c", "o", [b"new"], {}, max_size=100, expected_etag="0" * 32)

    def broken() -> object:
        yield b"partial"
        raise OSError("client went away")

    with pytest.raises(OSError):
        files.write("AUTH_a", "c", "o", broken(), {}, max_size=100)  # type: ignore[arg-type]
    found = files.read("AUTH_a", "c", "o")
    assert found is not None and b"".join(read_range(found, 0, 2)) == b"old"
    directory = found.data_path.parent
    # One committed data file (its record in an xattr, or a .json beside it); no leftovers.
    assert [p.suffix for p in directory.iterdir() if p.suffix != ".json"] == [".data"]


def test_data_without_its_record_is_never_read(files: ObjectFiles) -> None:
    stored = files.write("AUTH_a", "c", "o", [b"v1"], {}, max_size=100)
    # What a kill -9 between the data rename and the record leaves: a newer .data alone.
    (stored.data_path.parent / "9999999999.99999.data").write_bytes(b"torn")
    found = files.read("AUTH_a", "c", "o")
    assert found is not None and found.etag == stored.etag


def test_without_xattrs_a_json_record_commits(files: ObjectFiles,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from nimbus.services.object.store import diskfile

    monkeypatch.setattr(diskfile, "_attach_record", lambda _f, _record: False)
    files.write("AUTH_a", "c", "o", [b"v1"], {"X-Object-Meta-A": "1"}, max_size=100)
    stored = files.write("AUTH_a", "c", "o", [b"v2"], {"X-Object-Meta-A": "2"}, max_size=100)
    found = files.read("AUTH_a", "c", "o")
    assert found is not None and found.etag == stored.etag and found.meta["X-Object-Meta-A"] == "2"
    assert sorted(p.suffix for p in stored.data_path.parent.iterdir()) == [".data", ".json"]
