"""The data pipeline: sizes, digests computed in their own threads, byte budgets."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from nimbus.kernel.errors import CloudError
from nimbus.services.image.service.pipeline import Budget, DataPipeline


def hash_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("image-")]


def test_digests_over_many_blocks_match_hashlib():
    data = os.urandom(10_000)
    chunks = [data[i:i + 333] for i in range(0, len(data), 333)]
    pipeline = DataPipeline(chunks, hash_block=1000)
    assert b"".join(pipeline) == data
    facts = pipeline.facts()
    assert facts.size == len(data)
    assert facts.checksum == hashlib.md5(data).hexdigest()
    assert (facts.os_hash_algo, facts.os_hash_value) == \
        ("sha512", hashlib.sha512(data).hexdigest())
    assert hash_threads() == []


def test_empty_data_has_the_digests_of_nothing():
    pipeline = DataPipeline([b"", b""])
    assert list(pipeline) == []
    assert pipeline.facts().checksum == hashlib.md5(b"").hexdigest()
    assert pipeline.facts().os_hash_value == hashlib.sha512(b"").hexdigest()


def test_a_budget_stops_the_stream_and_the_hash_threads():
    too_big = CloudError("too big", status=413)
    pipeline = DataPipeline([b"x" * 600] * 5, [Budget(1000, lambda: too_big)], hash_block=100)
    with pytest.raises(CloudError) as raised:
        list(pipeline)
    assert raised.value is too_big
    assert hash_threads() == []
    with pytest.raises(RuntimeError):
        pipeline.facts()


def test_a_failing_source_stops_the_hash_threads():
    def source():
        yield b"y" * 5000
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        list(DataPipeline(source(), hash_block=1000))
    assert hash_threads() == []
