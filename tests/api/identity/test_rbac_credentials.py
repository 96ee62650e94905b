"""RBAC matrix for what a user keeps for itself — application credentials, access rules,
credentials and OS-EC2 keys — as Keystone's default policy answers
(keystone/tests/protection/v3/test_{application_credential,access_rules,credentials,
ec2_credential}.py). ``member_b`` of project B owns the secrets the others reach for. A domain
admin is not a cloud admin in Nimbus (nimbus/services/identity/policies.py): like the domain
manager, it reaches no one's secrets but its own.

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell, unique


def ids(items: Any) -> set[str]:
    return {item.id for item in items}


def raw(method: str, template: str, **kw: Any) -> Any:
    return lambda c, w, x: c.identity.request(w.path(template, x), method, **kw)


def as_owner(world: RbacWorld) -> Any:
    return world.conns["member_b"].identity


def owner_get(template: str) -> Any:
    """What member_b itself sees at a path (access rules are hidden even from the admin)."""
    def observe(world: RbacWorld, ctx: dict[str, str]) -> int:
        return int(as_owner(world).get(world.path(template, ctx)).status_code)
    return observe


# -- application credentials --------------------------------------------------------------
def fresh_app_cred(world: RbacWorld) -> dict[str, str]:
    made = as_owner(world).create_application_credential(world.ids["member_b"],
                                                         unique("rbac-ac"))
    return {"app_cred": made.id}


def app_creds_of(key: str) -> Any:
    def observe(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
        resp = world.admin.identity.get(world.path(f"/users/{{{key}}}/application_credentials"))
        return sorted(c["id"] for c in resp.json()["application_credentials"])
    return observe


def list_app_creds(key: str) -> Op:
    return Op(f"list app creds of {key}",
              lambda c, w, x: ids(c.identity.application_credentials(w.ids[key])))


def create_app_cred(key: str) -> Op:
    return Op(f"create an app cred for {key}",
              lambda c, w, x: c.identity.create_application_credential(w.ids[key],
                                                                       unique("rbac-ac")),
              observe=app_creds_of(key))


GET_B_APP_CRED = Op("get member_b's app cred",
                    lambda c, w, x: c.identity.get_application_credential(w.ids["member_b"],
                                                                          w.ids["app_cred_b"]))
GET_B_APP_CRED_OWN_PATH = Op("get member_b's app cred under own user",
                             raw("GET", "/users/{member}/application_credentials/{app_cred_b}"))
DELETE_B_APP_CRED = Op("delete member_b's app cred",
                       raw("DELETE", "/users/{member_b}/application_credentials/{app_cred}"),
                       fresh_app_cred, app_creds_of("member_b"))
DELETE_B_APP_CRED_OWN_PATH = Op("delete member_b's app cred under own user",
                                raw("DELETE", "/users/{member}/application_credentials/"
                                              "{app_cred}"),
                                fresh_app_cred, app_creds_of("member_b"))
GET_NO_APP_CRED = Op("get missing app cred of own user",
                     raw("GET", "/users/{member}/application_credentials/no-such"))
GET_NO_B_APP_CRED = Op("get missing app cred of member_b",
                       raw("GET", "/users/{member_b}/application_credentials/no-such"))

APP_CREDS = [
    ("reader", list_app_creds("member_b"), 403),
    ("member", list_app_creds("member_b"), 403),
    ("d_manager", list_app_creds("member_b"), 403),
    ("d_admin", list_app_creds("member_b"), 403),  # system or project scope only
    ("admin", list_app_creds("member_b"), Sees(has=("app_cred_b",))),
    ("member_b", list_app_creds("member_b"), Sees(has=("app_cred_b",))),
    ("d_reader", list_app_creds("d_reader"), 403),  # not even its own, on a domain token
    ("member", GET_B_APP_CRED, 403),
    ("d_admin", GET_B_APP_CRED, 403),
    ("admin", GET_B_APP_CRED, OK),
    ("member_b", GET_B_APP_CRED, OK),
    # rule:owner judges the credential's owner, put in place of the path's user (Keystone's
    # users.py _update_request_user_id_attribute).
    ("member", GET_B_APP_CRED_OWN_PATH, 403),
    ("member", GET_NO_APP_CRED, 404),
    ("member", GET_NO_B_APP_CRED, 403),
    ("reader", DELETE_B_APP_CRED, 403),
    ("member", DELETE_B_APP_CRED, 403),
    ("d_admin", DELETE_B_APP_CRED, 403),
    ("admin", DELETE_B_APP_CRED, OK),
    ("member_b", DELETE_B_APP_CRED, OK),
    ("member", DELETE_B_APP_CRED_OWN_PATH, 403),
    ("member", create_app_cred("member_b"), 403),
    ("reader", create_app_cred("member_b"), 403),
    ("d_admin", create_app_cred("member_b"), 403),
    ("admin", create_app_cred("member_b"), 403),  # only for oneself, even for an admin
    ("reader", create_app_cred("reader"), OK),  # a reader may delegate what it has
]


# -- access rules -------------------------------------------------------------------------
def orphan_access_rule(world: RbacWorld) -> dict[str, str]:
    """An access rule of member_b that no application credential uses any more."""
    owner, user_id = as_owner(world), world.ids["member_b"]
    rule = {"service": "identity", "method": "GET", "path": f"/v3/{unique('rbac')}"}
    made = owner.create_application_credential(user_id, unique("rbac-ac"),
                                               access_rules=[rule])
    rule_id = made.access_rules[0]["id"]
    owner.delete_application_credential(user_id, made.id, ignore_missing=False)
    return {"access_rule": rule_id}


def list_access_rules(key: str) -> Op:
    return Op(f"list access rules of {key}",
              lambda c, w, x: ids(c.identity.access_rules(w.ids[key])))


GET_B_RULE = Op("get member_b's access rule",
                lambda c, w, x: c.identity.get_access_rule(w.ids["member_b"],
                                                           w.ids["access_rule_b"]))
DELETE_B_RULE = Op("delete member_b's access rule",
                   lambda c, w, x: c.identity.delete_access_rule(w.ids["member_b"],
                                                                 x["access_rule"],
                                                                 ignore_missing=False),
                   orphan_access_rule, owner_get("/users/{member_b}/access_rules/{access_rule}"))
GET_NO_RULE = Op("get missing access rule of own user",
                 raw("GET", "/users/{member}/access_rules/no-such"))
GET_NO_B_RULE = Op("get missing access rule of member_b",
                   raw("GET", "/users/{member_b}/access_rules/no-such"))

ACCESS_RULES = [
    ("member", list_access_rules("member_b"), 403),
    ("d_admin", list_access_rules("member_b"), 403),
    ("admin", list_access_rules("member_b"), 403),  # a system reader or the owner only
    ("member_b", list_access_rules("member_b"), Sees(has=("access_rule_b",))),
    ("reader", list_access_rules("reader"), OK),
    ("member", GET_B_RULE, 403),
    ("d_admin", GET_B_RULE, 403),
    ("admin", GET_B_RULE, 403),
    ("member_b", GET_B_RULE, OK),
    ("member", GET_NO_RULE, 404),
    ("member", GET_NO_B_RULE, 403),
    ("member", DELETE_B_RULE, 403),
    ("reader", DELETE_B_RULE, 403),
    ("admin", DELETE_B_RULE, 403),
    ("member_b", DELETE_B_RULE, OK),
]


# -- credentials --------------------------------------------------------------------------
def fresh_credential(owner: str) -> Any:
    def setup(world: RbacWorld) -> dict[str, str]:
        made = world.conns[owner].identity.create_credential(
            type="cert", blob=unique("secret"), user_id=world.ids[owner])
        return {"credential": made.id}
    return setup


def credentials_of(key: str) -> Any:
    def observe(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
        return sorted(c.id for c in world.admin.identity.credentials(user_id=world.ids[key]))
    return observe


def create_credential(key: str) -> Op:
    return Op(f"create a credential for {key}",
              lambda c, w, x: c.identity.create_credential(type="cert", blob="s",
                                                           user_id=w.ids[key]),
              observe=credentials_of(key))


LIST_CREDENTIALS = Op("list credentials", lambda c, w, x: ids(c.identity.credentials()))
LIST_B_CREDENTIALS = Op("list member_b's credentials",
                        lambda c, w, x: ids(c.identity.credentials(user_id=w.ids["member_b"])))
GET_B_CREDENTIAL = Op("get member_b's credential",
                      lambda c, w, x: c.identity.get_credential(w.ids["cred_b"]))
GET_NO_CREDENTIAL = Op("get missing credential",
                       lambda c, w, x: c.identity.get_credential("no-such"))
UPDATE_B_CREDENTIAL = Op("update member_b's credential",
                         lambda c, w, x: c.identity.update_credential(w.ids["cred_b"],
                                                                      blob="stolen"),
                         observe=lambda w, x: w.admin_get("/credentials/{cred_b}"))
HAND_OVER_CREDENTIAL = Op("give own credential to member_b",
                          lambda c, w, x: c.identity.update_credential(
                              x["credential"], user_id=w.ids["member_b"]),
                          fresh_credential("member"),
                          lambda w, x: w.admin_get("/credentials/{credential}", x))
DELETE_B_CREDENTIAL = Op("delete member_b's credential",
                         lambda c, w, x: c.identity.delete_credential(x["credential"],
                                                                      ignore_missing=False),
                         fresh_credential("member_b"),
                         lambda w, x: w.admin_get("/credentials/{credential}", x))

NOT_B = Sees(lacks=("cred_b",))
CREDENTIALS = [
    ("reader", LIST_CREDENTIALS, NOT_B),
    ("member", LIST_CREDENTIALS, Sees(has=("cred_member",), lacks=("cred_b",))),
    ("member", LIST_B_CREDENTIALS, NOT_B),
    ("d_reader", LIST_CREDENTIALS, NOT_B),
    ("d_manager", LIST_CREDENTIALS, NOT_B),
    # Keystone's rule:admin_required passes an admin at any scope, which would show a domain
    # admin every credential; Nimbus's wants a project or system token.
    ("d_admin", LIST_CREDENTIALS, Sees(lacks=("cred_b", "cred_member"))),
    ("admin", LIST_CREDENTIALS, Sees(has=("cred_b", "cred_member"))),
    ("member_b", LIST_CREDENTIALS, Sees(has=("cred_b",), lacks=("cred_member",))),
    ("reader", GET_B_CREDENTIAL, 403),
    ("member", GET_B_CREDENTIAL, 403),
    ("d_manager", GET_B_CREDENTIAL, 403),
    ("d_admin", GET_B_CREDENTIAL, 403),
    ("member_b", GET_B_CREDENTIAL, OK),
    ("member", GET_NO_CREDENTIAL, 403),
    ("d_admin", GET_NO_CREDENTIAL, 403),
    ("admin", GET_NO_CREDENTIAL, 404),
    ("reader", UPDATE_B_CREDENTIAL, 403),
    ("member", UPDATE_B_CREDENTIAL, 403),
    ("d_manager", UPDATE_B_CREDENTIAL, 403),
    ("d_admin", UPDATE_B_CREDENTIAL, 403),
    ("member", HAND_OVER_CREDENTIAL, 403),  # the owner after the update is judged too
    ("reader", DELETE_B_CREDENTIAL, 403),
    ("member", DELETE_B_CREDENTIAL, 403),
    ("d_manager", DELETE_B_CREDENTIAL, 403),
    ("d_admin", DELETE_B_CREDENTIAL, 403),
    ("member_b", DELETE_B_CREDENTIAL, OK),
    ("member", create_credential("member_b"), 403),
    ("reader", create_credential("member_b"), 403),
    ("d_manager", create_credential("member_b"), 403),
    ("d_admin", create_credential("member_b"), 403),
    ("reader", create_credential("reader"), OK),  # any user keeps credentials of its own
    ("admin", create_credential("member_b"), OK),
]


# -- OS-EC2 -------------------------------------------------------------------------------
def fresh_ec2(world: RbacWorld) -> dict[str, str]:
    resp = as_owner(world).post(world.path("/users/{member_b}/credentials/OS-EC2"),
                                json={"tenant_id": world.ids["proj_b"]})
    exceptions.raise_from_response(resp)
    return {"access": resp.json()["credential"]["access"]}


def ec2_keys_of(key: str) -> Any:
    def observe(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
        return sorted(c.id for c in world.admin.identity.credentials(user_id=world.ids[key],
                                                                     type="ec2"))
    return observe


def create_ec2_call(key: str, tenant: str) -> Any:
    return lambda c, w, x: c.identity.post(w.path(f"/users/{{{key}}}/credentials/OS-EC2"),
                                           json={"tenant_id": w.ids[tenant]})


def ec2_create(key: str, tenant: str) -> Op:
    return Op(f"create an ec2 key for {key} on {tenant}", create_ec2_call(key, tenant),
              observe=ec2_keys_of(key))


LIST_B_EC2 = Op("list member_b's ec2 keys", raw("GET", "/users/{member_b}/credentials/OS-EC2"))
GET_B_EC2 = Op("get member_b's ec2 key",
               raw("GET", "/users/{member_b}/credentials/OS-EC2/{ec2_b}"))
DELETE_B_EC2 = Op("delete member_b's ec2 key",
                  raw("DELETE", "/users/{member_b}/credentials/OS-EC2/{access}"),
                  fresh_ec2, ec2_keys_of("member_b"))
GET_NO_EC2 = Op("get missing ec2 key of member_b",
                raw("GET", "/users/{member_b}/credentials/OS-EC2/no-such"))

EC2 = [
    ("reader", LIST_B_EC2, 403),
    ("member", LIST_B_EC2, 403),
    ("d_admin", LIST_B_EC2, 403),  # system or project scope only
    ("admin", LIST_B_EC2, OK),
    ("member_b", LIST_B_EC2, OK),
    ("member", GET_B_EC2, 403),
    ("d_admin", GET_B_EC2, 403),
    ("admin", GET_B_EC2, OK),
    ("member_b", GET_B_EC2, OK),
    ("member", GET_NO_EC2, 404),  # the key is loaded before the rule
    ("reader", DELETE_B_EC2, 403),
    ("member", DELETE_B_EC2, 403),
    ("d_admin", DELETE_B_EC2, 403),
    ("member_b", DELETE_B_EC2, OK),
    ("member", ec2_create("member_b", "proj_b"), 403),
    ("reader", ec2_create("member_b", "proj_b"), 403),
    ("d_admin", ec2_create("member_b", "proj_b"), 403),
    ("reader", ec2_create("reader", "proj_a"), 403),  # keys need the member role
    ("member", ec2_create("member", "proj_a"), OK),
    ("admin", ec2_create("member_b", "proj_b"), OK),
]


@pytest.fixture(scope="module", autouse=True)
def world_secrets(rbac: RbacWorld) -> None:
    """member_b's credential, app cred (with an access rule) and ec2 key; a credential of
    member's own."""
    owner, user_id = as_owner(rbac), rbac.ids["member_b"]
    rbac.ids["cred_b"] = owner.create_credential(type="cert", blob="b-secret",
                                                 user_id=user_id).id
    rbac.ids["cred_member"] = rbac.conns["member"].identity.create_credential(
        type="cert", blob="m-secret", user_id=rbac.ids["member"]).id
    rule = {"service": "identity", "method": "GET", "path": "/v3/auth/projects"}
    app_cred = owner.create_application_credential(user_id, unique("rbac-ac"),
                                                   access_rules=[rule])
    rbac.ids["app_cred_b"] = app_cred.id
    rbac.ids["access_rule_b"] = app_cred.access_rules[0]["id"]
    rbac.ids["ec2_b"] = fresh_ec2(rbac)["access"]


@pytest.mark.parametrize("actor,op,expected",
                         matrix(APP_CREDS + ACCESS_RULES + CREDENTIALS + EC2))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
