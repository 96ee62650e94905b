"""Fernet key repositories: Keystone's layout, rotation and permissions."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet, InvalidToken

from nimbus.kernel.keys import KeyRepository


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ensure_creates_staged_and_primary_keys_privately(tmp_path):
    repo = KeyRepository(tmp_path / "keys")
    assert repo.ensure() is True
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["0", "1"]
    assert mode(tmp_path / "keys") == 0o700
    assert all(mode(p) == 0o600 for p in (tmp_path / "keys").iterdir())
    assert repo.ensure() is False


def test_rotate_promotes_the_staged_key(tmp_path):
    repo = KeyRepository(tmp_path, max_active_keys=3)
    repo.ensure()
    staged = (tmp_path / "0").read_bytes()
    assert repo.rotate() == 2
    assert (tmp_path / "2").read_bytes() == staged
    assert (tmp_path / "0").read_bytes() != staged
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == [0, 1, 2]


def test_rotation_keeps_at_most_max_active_keys(tmp_path):
    repo = KeyRepository(tmp_path, max_active_keys=3)
    repo.ensure()
    for _ in range(4):
        repo.rotate()
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == [0, 4, 5]


def test_tokens_survive_one_rotation_and_die_with_their_key(tmp_path):
    issuer = KeyRepository(tmp_path, max_active_keys=3)
    issuer.ensure()
    token = issuer.fernet().encrypt(b"payload")
    issuer.rotate()
    # A fresh reader (another worker) sees the rotated repository.
    assert KeyRepository(tmp_path, 3).fernet().decrypt(token) == b"payload"
    issuer.rotate()
    issuer.rotate()
    with pytest.raises(InvalidToken):
        KeyRepository(tmp_path, 3).fernet().decrypt(token)


def test_staged_key_already_decrypts(tmp_path):
    """Another node may be rotated first: tokens made with its new primary must work here."""
    repo = KeyRepository(tmp_path)
    repo.ensure()
    token = Fernet((tmp_path / "0").read_bytes()).encrypt(b"early")
    assert repo.fernet().decrypt(token) == b"early"


def test_new_tokens_use_the_primary_key(tmp_path):
    repo = KeyRepository(tmp_path)
    repo.ensure()
    repo.rotate()
    token = repo.fernet().encrypt(b"now")
    assert Fernet((tmp_path / "2").read_bytes()).decrypt(token) == b"now"
