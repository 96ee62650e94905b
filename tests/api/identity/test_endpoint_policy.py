"""OS-ENDPOINT-POLICY through python-keystoneclient: which policy blob an endpoint takes."""

from __future__ import annotations

import pytest
from keystoneclient import exceptions as ks_client_exc
from keystoneclient.v3 import client as ks_client

from tests.api.conftest import unique


@pytest.fixture
def keystone(admin):
    return ks_client.Client(session=admin.session)


@pytest.fixture
def catalog(admin, keystone):
    """A service with a region and a child region, an endpoint in each, and two policies."""
    region = admin.identity.create_region(id=unique("ep-pol"))
    child = admin.identity.create_region(id=unique("ep-pol-child"), parent_region_id=region.id)
    service = admin.identity.create_service(type=unique("ep-pol"), name=unique("ep-pol"))
    top = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                         url="http://top.test/", region_id=region.id)
    low = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                         url="http://low.test/", region_id=child.id)
    policies = [keystone.policies.create(blob="{}", type=unique("t")) for _ in range(2)]
    yield region, child, service, top, low, policies
    for policy in policies:
        try:
            keystone.policies.delete(policy)
        except ks_client_exc.NotFound:
            pass
    admin.identity.delete_service(service)
    admin.identity.delete_region(region)


def test_associations_and_the_policy_an_endpoint_takes(keystone, catalog):
    region, child, service, top, low, (general, special) = catalog
    policies = keystone.endpoint_policy
    with pytest.raises(ks_client_exc.NotFound):
        policies.get_policy_for_endpoint(low.id)
    policies.create_policy_association_for_service(general, service.id)
    assert policies.get_policy_for_endpoint(low.id).id == general.id
    policies.create_policy_association_for_region_and_service(special, region.id, service.id)
    # The child region's endpoint finds its parent region's association first.
    assert policies.get_policy_for_endpoint(low.id).id == special.id
    policies.check_policy_association_for_region_and_service(special, region.id, service.id)
    with pytest.raises(ks_client_exc.NotFound):
        policies.check_policy_association_for_region_and_service(general, region.id,
                                                                 service.id)
    listed = {e.id for e in policies.list_endpoints_for_policy(special)}
    assert listed == {top.id, low.id}
    policies.create_policy_association_for_endpoint(general, top.id)
    assert policies.get_policy_for_endpoint(top.id).id == general.id
    policies.delete_policy_association_for_endpoint(general, top.id)
    assert policies.get_policy_for_endpoint(top.id).id == special.id
    policies.delete_policy_association_for_region_and_service(special, region.id, service.id)
    assert policies.get_policy_for_endpoint(top.id).id == general.id


def test_missing_things_are_404(admin, keystone, catalog):
    _, _, service, top, _, (policy, _) = catalog
    base = f"/policies/{policy.id}/OS-ENDPOINT-POLICY"
    for path in (f"{base}/endpoints/nope", f"{base}/services/nope",
                 f"{base}/services/{service.id}/regions/nope",
                 f"/policies/nope/OS-ENDPOINT-POLICY/endpoints/{top.id}",
                 "/policies/nope/OS-ENDPOINT-POLICY/endpoints",
                 "/endpoints/nope/OS-ENDPOINT-POLICY/policy"):
        assert admin.identity.put(path).status_code in (404, 405), path
        assert admin.identity.get(path).status_code == 404, path
    missing = admin.identity.get(f"{base}/endpoints/{top.id}")
    assert missing.json()["error"]["message"] == "Could not find policy association."


def test_deleting_a_policy_drops_its_associations(admin, keystone, catalog):
    _, _, service, top, _, (policy, other) = catalog
    keystone.endpoint_policy.create_policy_association_for_service(policy, service.id)
    keystone.policies.delete(policy)
    reply = admin.identity.get(f"/endpoints/{top.id}/OS-ENDPOINT-POLICY/policy")
    assert reply.status_code == 404
    assert reply.json()["error"]["message"] == \
        f"No policy is associated with endpoint {top.id}."
