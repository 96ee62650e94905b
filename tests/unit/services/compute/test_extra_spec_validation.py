"""Nova's extra-spec validation (2.86): known keys and their values, the namespaces Nova
owns, and the keys it lets through."""

from __future__ import annotations

import pytest

from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.schemas.extra_specs import validate_extra_spec


@pytest.mark.parametrize("key, value", [
    ("hw:cpu_policy", "dedicated"), ("hw:cpu_policy", "mixed"),
    ("hw:cpu_thread_policy", "isolate"), ("hw:mem_page_size", "large"),
    ("hw:mem_page_size", "2MB"), ("hw:numa_nodes", "2"), ("hw:numa_cpus.0", "0-3"),
    ("hw:numa_mem.1", "1024"), ("hw:cpu_realtime_mask", "^0"),
    ("hw_rng:allowed", "true"), ("quota:cpu_shares", "512"),
    ("resources:VCPU", "2"), ("resources1:CUSTOM_GPU", "1"),
    ("trait:HW_CPU_X86_AVX2", "required"), ("trait2:CUSTOM_X", "forbidden"),
    ("aggregate_instance_extra_specs:ssd", "true"), ("capabilities:cpu_info", "x"),
    ("hide_hypervisor_id", "yes"), ("vendor:whatever", "anything"), ("plain", "x"),
    ("group_policy", "isolate"), ("os:secure_boot", "required"),
])
def test_accepted(key: str, value: str) -> None:
    validate_extra_spec(key, value)


@pytest.mark.parametrize("key, value, words", [
    ("hw:cpu_policy", "sideways", "is not one of: dedicated, shared, mixed."),
    ("hw:numa_nodes", "two", "'two' is not a valid integer value."),
    ("hw:numa_nodes", "0", "less than the min value of '1'."),
    ("hw:mem_page_size", "huge", "is not of the format"),
    ("hw:bogus", "1", "extra spec 'hw:bogus' does not appear to be a valid extra spec."),
    ("hw_rng:bogus", "1", "does not appear to be a valid extra spec"),
    ("resources:VCPU", "-x", "is not a valid integer value"),
    ("resources:lowercase", "1", "does not appear to be a valid extra spec"),
    ("trait:HW_CPU_X86_AVX2", "preferred", "is not one of: required, forbidden."),
    ("hide_hypervisor_id", "perhaps", "is not a valid boolean-like value."),
    ("group_policy", "loose", "is not one of"),
])
def test_refused(key: str, value: str, words: str) -> None:
    with pytest.raises(BadRequest) as err:
        validate_extra_spec(key, value)
    assert words in err.value.message
    assert err.value.message.startswith("Validation failed; ")
