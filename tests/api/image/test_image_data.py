"""Image data through openstacksdk and keystoneauth: upload, download, ranges, checksums,
format inspection, and what a refused or interrupted upload leaves behind."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from urllib.parse import urlparse

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack.image.v2.image import Image

from tests.api.image.conftest import stored_files

RAW = os.urandom(5000)


def upload(conn, image, data):
    """openstacksdk's own upload of data into an existing image: the server's response."""
    return conn.image.get_image(image.id).upload(conn.image, data=data)


def test_upload_then_download_keeps_every_byte_and_hash(admin, make_image, make_disk):
    qcow2 = make_disk("qcow2", "16M")
    image = make_image(data=qcow2, disk_format="qcow2")
    shown = admin.image.get_image(image.id)
    assert shown.status == "active"
    assert shown.size == len(qcow2)
    assert shown.virtual_size == 16 * 1024 * 1024
    assert shown.checksum == hashlib.md5(qcow2).hexdigest()
    assert shown.hash_algo == "sha512"
    assert shown.hash_value == hashlib.sha512(qcow2).hexdigest()
    assert shown.properties["stores"] == "local"
    downloaded = admin.image.download_image(image.id)
    assert downloaded.content == qcow2
    assert downloaded.headers["Content-MD5"] == shown.checksum


def test_raw_image_virtual_size_is_its_size(admin, make_image):
    image = make_image(data=RAW)
    assert admin.image.get_image(image.id).virtual_size == len(RAW)


def test_upload_in_small_chunks(admin, make_image, image_url):
    image = make_image()
    data = os.urandom(300 * 1024)
    chunks = (data[i:i + 997] for i in range(0, len(data), 997))
    response = admin.session.put(f"{image_url}/images/{image.id}/file", data=chunks,
                                 headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 204
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("active", len(data))
    assert shown.hash_value == hashlib.sha512(data).hexdigest()


def test_queued_image_has_no_data_yet(admin, make_image, image_url):
    image = make_image()
    response = admin.session.get(f"{image_url}/images/{image.id}/file")
    assert response.status_code == 204 and response.content == b""


def test_ranges(admin, make_image, image_url):
    image = make_image(data=RAW)
    url = f"{image_url}/images/{image.id}/file"
    part = admin.session.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == RAW[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(RAW)}"
    tail = admin.session.get(url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == RAW[-100:]
    rest = admin.session.get(url, headers={"Range": "bytes=4990-"})
    assert rest.content == RAW[4990:]
    for bad in ("bytes=6000-", "bytes=9-2", "pages=1-2", "bytes=x-1"):
        refused = admin.session.get(url, headers={"Range": bad}, raise_exc=False)
        assert refused.status_code == 416, bad
    several = admin.session.get(url, headers={"Range": "bytes=0-1,5-6"}, raise_exc=False)
    assert several.status_code == 400


def test_data_that_is_not_its_disk_format_is_refused(admin, make_image, make_disk, cloud):
    image = make_image(disk_format="qcow2")
    refused = upload(admin, image, RAW)
    assert refused.status_code == 415
    assert "does not match" in refused.text
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size, shown.checksum) == ("queued", None, None)
    assert not [f for f in stored_files(cloud) if image.id in f]
    # The same image then takes data that is what it claims to be.
    assert upload(admin, image, make_disk("qcow2", "1M")).status_code == 204
    assert admin.image.get_image(image.id).status == "active"


def test_qcow2_with_a_backing_file_is_refused(admin, make_image, make_disk, cloud):
    layered = make_disk("qcow2", "4M", "-b", "/etc/hostname", "-F", "raw")
    for disk_format in ("qcow2", "raw"):
        image = make_image(disk_format=disk_format)
        refused = upload(admin, image, layered)
        assert refused.status_code == 415
        assert "backing file" in refused.text
        assert admin.image.get_image(image.id).status == "queued"
        assert not [f for f in stored_files(cloud) if image.id in f]


def test_formats_other_containers_are_not_inspected(admin, make_image):
    image = make_image(disk_format="qcow2", container_format="ovf", data=RAW)
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.virtual_size) == ("active", None)


def test_upload_needs_formats_and_a_queued_image(admin, make_image, image_url):
    bare = Image.new(name="no-formats").create(admin.image)
    try:
        refused = upload(admin, bare, RAW)
        assert refused.status_code == 400
        assert "must be set prior to saving data" in refused.text
    finally:
        admin.image.delete_image(bare)
    assert upload(admin, make_image(data=RAW), RAW).status_code == 409
    wrong_type = admin.session.put(f"{image_url}/images/{make_image().id}/file", data=RAW,
                                   raise_exc=False, headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_interrupted_upload_leaves_no_image_data(admin, make_image, cloud):
    image = make_image()
    url = urlparse(cloud.url)
    request = (f"PUT /image/v2/images/{image.id}/file HTTP/1.1\r\n"
               f"Host: {url.netloc}\r\nX-Auth-Token: {admin.session.get_token()}\r\n"
               "Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n")
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(request.encode() + os.urandom(200_000))
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while admin.image.get_image(image.id).status != "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("queued", None)
    assert not [f for f in stored_files(cloud) if image.id in f]


def test_deactivated_images_download_only_for_admins(admin, make_image, project_user,
                                                     image_url):
    user = project_user()
    image = make_image(conn=user.conn, data=RAW)
    user.conn.image.deactivate_image(image)
    assert user.conn.image.get_image(image.id).status == "deactivated"
    # openstacksdk doesn't look at the status of a download; keystoneauth does.
    with pytest.raises(ks_exc.Forbidden):
        user.session.get(f"{image_url}/images/{image.id}/file")
    assert admin.image.download_image(image.id).content == RAW
    user.conn.image.reactivate_image(image)
    assert user.conn.image.download_image(image.id).content == RAW


def test_deactivate_needs_an_active_image(admin, make_image, image_url):
    image = make_image()
    with pytest.raises(ks_exc.Forbidden):
        admin.session.post(f"{image_url}/images/{image.id}/actions/deactivate")
    assert admin.image.get_image(image.id).status == "queued"


def test_cli_create_from_file_and_save(cli, tmp_path, make_disk, admin):
    source = tmp_path / "disk.qcow2"
    source.write_bytes(make_disk("qcow2", "2M"))
    made = cli("image", "create", "--file", str(source), "--disk-format", "qcow2",
               "--container-format", "bare", "--private", "cli-file", "-f", "json")
    try:
        assert made["status"] == "active" and made["virtual_size"] == 2 * 1024 * 1024
        target = tmp_path / "saved.qcow2"
        cli("image", "save", "--file", str(target), made["id"])
        assert target.read_bytes() == source.read_bytes()
    finally:
        cli("image", "delete", made["id"])
    assert admin.image.find_image(made["id"]) is None


def test_large_upload_and_download_stream_every_byte(admin, make_image, image_url):
    """21 MiB in odd-sized chunks: across the server's 1 MiB hashing blocks, page-aligned
    write buffers and 4 MiB read chunks; the digests and every byte come back as sent."""
    data = os.urandom(21 * 1024 * 1024 + 123)
    step = 1024 * 1024 + 7
    image = make_image()
    url = f"{image_url}/images/{image.id}/file"
    response = admin.session.put(url, data=(data[i:i + step] for i in range(0, len(data), step)),
                                 headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 204
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("active", len(data))
    assert shown.checksum == hashlib.md5(data).hexdigest()
    assert shown.hash_value == hashlib.sha512(data).hexdigest()
    download = admin.session.get(url, stream=True)
    assert b"".join(download.iter_content(65536)) == data
    boundary = 1024 * 1024
    part = admin.session.get(url, headers={"Range": f"bytes={boundary - 5}-{boundary + 4}"})
    assert part.status_code == 206 and part.content == data[boundary - 5:boundary + 5]
