"""OAuth 1.0a request and access tokens expire after [oauth1] request_token_duration and
access_token_duration: a cloud of its own with both at two seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import openstack
import openstack.config
import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as ks_client

from tests.api.identity.test_oauth1 import call, error_of, oauth_session, project_admin_session
from tests.conftest import LiveCloud, start_cloud

DURATION = 2


@pytest.fixture(scope="module")
def short_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCloud]:
    live = start_cloud(tmp_path_factory.mktemp("oauth-expiry") / "data", extra_env={
        "NIMBUS_OAUTH1__REQUEST_TOKEN_DURATION": str(DURATION),
        "NIMBUS_OAUTH1__ACCESS_TOKEN_DURATION": str(DURATION)})
    yield live
    live.stop()


@pytest.fixture
def oauth(short_cloud):
    config = openstack.config.OpenStackConfig(config_files=[str(short_cloud.clouds_yaml)])
    admin = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    project = admin.identity.find_project("admin")
    kc = ks_client.Client(session=project_admin_session(short_cloud))
    consumer = kc.oauth1.consumers.create(description="short-lived")
    yield SimpleNamespace(kc=kc, consumer=consumer, project=project,
                          member=admin.identity.find_role("admin"),
                          sess=project_admin_session(short_cloud))
    admin.close()


def test_an_expired_request_token_cannot_be_authorized(short_cloud, oauth):
    request_token = oauth.kc.oauth1.request_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, oauth.project.id)
    assert request_token.expires.endswith("Z")
    time.sleep(DURATION + 0.5)
    resp = call(short_cloud, oauth.sess, "PUT", f"/v3/OS-OAUTH1/authorize/{request_token.key}",
                json={"roles": [{"id": oauth.member.id}]})
    assert error_of(resp) == (401, "Request token is expired")


def test_an_expired_access_token_gives_no_token_and_its_tokens_die(short_cloud, oauth):
    request_token = oauth.kc.oauth1.request_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, oauth.project.id)
    verifier = oauth.kc.oauth1.request_tokens.authorize(request_token.key, [oauth.member.id])
    access = oauth.kc.oauth1.access_tokens.create(
        oauth.consumer.id, oauth.consumer.secret, request_token.key, request_token.secret,
        verifier.oauth_verifier)
    token = oauth_session(short_cloud, oauth, access).get_token()
    time.sleep(DURATION + 0.5)
    with pytest.raises(ks_exc.Unauthorized, match="Access token is expired"):
        oauth_session(short_cloud, oauth, access).get_token()
    check = call(short_cloud, oauth.sess, "HEAD", "/v3/auth/tokens",
                 headers={"X-Subject-Token": token})
    assert check.status_code == 404
