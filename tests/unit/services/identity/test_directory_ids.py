"""Public ids of directory entities and the name filters judged on directory names."""

from __future__ import annotations

import hashlib

from nimbus.services.identity.service.directory import name_matches, public_id


def test_public_ids_are_keystones_sha256_mapping():
    # Keystone hashes the mapping's values in the order of its sorted keys:
    # domain_id, entity_type, local_id.
    expected = hashlib.sha256(b"dom1" + b"user" + b"alice").hexdigest()
    assert public_id("dom1", "alice", "user") == expected
    assert public_id("dom1", "alice", "group") != expected
    assert public_id("dom2", "alice", "user") != expected
    assert len(expected) == 64


def test_name_filters():
    assert name_matches("Alice", {})
    assert name_matches("Alice", {"name": "Alice"})
    assert not name_matches("Alice", {"name": "alice"})
    assert name_matches("Alice", {"name__icontains": "LIC"})
    assert not name_matches("Alice", {"name__contains": "LIC"})
    assert name_matches("Alice", {"name__startswith": "Al", "name__iendswith": "CE"})
    assert not name_matches("Alice", {"name__endswith": "x"})
