"""The compute agent's reports reach os-services and os-hypervisors, and a server counts
on its host (needs compute-resources' APIs)."""

from __future__ import annotations

import pytest
from novaclient import client as nova_client


@pytest.fixture
def services_api(admin):
    assert admin.compute.get("/os-services").status_code == 200, "API missing"


def test_the_agent_host_is_an_up_compute_service_with_its_servers(admin, make_server,
                                                                 services_api):
    server = make_server()
    host = admin.compute.get_server(server.id).compute_host
    nova = nova_client.Client("2.53", session=admin.session)
    services = [s for s in nova.services.list(binary="nova-compute") if s.host == host]
    assert len(services) == 1 and services[0].state == "up"
    hypervisors = nova.hypervisors.search(host, servers=True, detailed=False)
    listed = [s["uuid"] for h in hypervisors for s in getattr(h, "servers", [])]
    assert server.id in listed
