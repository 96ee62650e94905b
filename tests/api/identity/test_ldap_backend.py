"""A domain whose users and groups live in an LDAP directory (a slapd of the test's own),
driven with openstacksdk, keystoneauth1, python-keystoneclient and the openstack CLI."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as ks_client

from tests.api.conftest import connection_for, password_session, unique
from tests.api.identity.slapd import (
    ROOT_DN,
    ROOT_PASSWORD,
    SUFFIX,
    Slapd,
    ldap_tools_missing,
    start_slapd,
)
from tests.conftest import free_port

PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}


def person(uid: str, surname: str, enabled: str, extra: str = "") -> str:
    return f"""
    dn: cn={uid},ou=Users,{SUFFIX}
    objectClass: inetOrgPerson
    cn: {uid}
    uid: {uid}
    sn: {surname}
    mail: {uid}@nimbus.test
    employeeType: {enabled}
    userPassword: {PASSWORDS.get(uid, uid + "-pw")}
    {extra}
    """


def group(name: str, *members: str) -> str:
    lines = "\n".join(f"    member: cn={m},ou=Users,{SUFFIX}" for m in members)
    return f"""
    dn: cn={name},ou=UserGroups,{SUFFIX}
    objectClass: groupOfNames
    cn: {name}
    description: the {name} team
{lines}
    """


SEED = f"""
    dn: {SUFFIX}
    objectClass: dcObject
    objectClass: organization
    dc: nimbus
    o: nimbus

    dn: ou=Users,{SUFFIX}
    objectClass: organizationalUnit
    ou: Users

    dn: ou=UserGroups,{SUFFIX}
    objectClass: organizationalUnit
    ou: UserGroups
    """ + "".join([person("alice", "Liddell", "true"), person("bob", "Builder", "true"),
                   person("carol", "Danvers", "false"), person("dave", "Bowman", "true"),
                   group("devs", "alice", "bob"), group("ops", "bob", "carol")])


def ldap_config(server: Slapd) -> dict[str, Any]:
    return {
        "identity": {"driver": "ldap"},
        "ldap": {"url": server.url, "user": ROOT_DN, "password": ROOT_PASSWORD,
                 "suffix": SUFFIX, "user_tree_dn": f"ou=Users,{SUFFIX}", "page_size": 2,
                 "user_objectclass": "inetOrgPerson", "user_id_attribute": "cn",
                 "user_name_attribute": "uid", "user_mail_attribute": "mail",
                 "user_enabled_attribute": "employeeType",
                 "group_tree_dn": f"ou=UserGroups,{SUFFIX}", "group_objectclass": "groupOfNames",
                 "group_id_attribute": "cn", "group_name_attribute": "cn",
                 "group_member_attribute": "member", "group_desc_attribute": "description"},
    }


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    missing = ldap_tools_missing()
    if missing:
        pytest.fail(f"{missing}: scripts/_lib.sh ensure_host_tools installs it")
    server = start_slapd()
    try:
        server.ldap("ldapadd", SEED)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ldapdom(admin, slapd) -> Iterator[Any]:
    """A domain configured (through python-keystoneclient) to read the slapd."""
    domain = admin.identity.create_domain(name=unique("ldapdom"))
    keystone = ks_client.Client(session=admin.session, interface="public")
    keystone.domain_configs.create(domain.id, ldap_config(slapd))
    yield domain
    admin.identity.update_domain(domain, is_enabled=False)
    admin.identity.delete_domain(domain)


def public_id(domain_id: str, local_id: str, kind: str) -> str:
    return hashlib.sha256(f"{domain_id}{kind}{local_id}".encode()).hexdigest()


def ldap_user(admin, ldapdom, name: str) -> Any:
    found = list(admin.identity.users(domain_id=ldapdom.id, name=name))
    assert len(found) == 1, found
    return found[0]


def session_of(cloud, ldapdom, name: str, **scope: Any) -> Any:
    return password_session(cloud, name, PASSWORDS.get(name, name + "-pw"),
                            user_domain_id=ldapdom.id, **scope)


def test_users_and_groups_come_from_the_directory(admin, ldapdom):
    ident = admin.identity
    users = {u.name: u for u in ident.users(domain_id=ldapdom.id)}
    assert sorted(users) == ["alice", "bob", "carol", "dave"]
    alice = users["alice"]
    assert alice.id == public_id(ldapdom.id, "alice", "user")
    assert alice.email == "alice@nimbus.test" and alice.domain_id == ldapdom.id
    assert alice.is_enabled and not users["carol"].is_enabled
    assert ident.get_user(alice.id).name == "alice"
    assert [u.name for u in ident.users(domain_id=ldapdom.id, name="bob")] == ["bob"]
    raw = ident.get(f"/users?domain_id={ldapdom.id}&name__startswith=ca").json()["users"]
    assert [u["name"] for u in raw] == ["carol"]
    assert [u.name for u in ident.users(domain_id=ldapdom.id, is_enabled=False)] == ["carol"]

    groups = {g.name: g for g in ident.groups(domain_id=ldapdom.id)}
    assert sorted(groups) == ["devs", "ops"]
    assert groups["devs"].id == public_id(ldapdom.id, "devs", "group")
    assert groups["devs"].description == "the devs team"
    assert ident.get_group(groups["ops"].id).name == "ops"
    assert sorted(u.name for u in ident.group_users(groups["devs"])) == ["alice", "bob"]
    assert sorted(g.name for g in ident.user_groups(users["bob"])) == ["devs", "ops"]
    assert ident.check_user_in_group(alice, groups["devs"])
    assert not ident.check_user_in_group(alice, groups["ops"])
    assert ident.get(f"/users/{public_id(ldapdom.id, 'nobody', 'user')}").status_code == 404
    # The SQL domain is untouched: its users are listed as before, without directory ones.
    assert "alice" not in {u.name for u in ident.users(domain_id="default")}


def test_cli_lists_and_grants(cli, admin, ldapdom, make_project):
    name = ldapdom.name
    users = cli("user", "list", "--domain", name, "-f", "json")
    assert sorted(u["Name"] for u in users) == ["alice", "bob", "carol", "dave"]
    groups = cli("group", "list", "--domain", name, "-f", "json")
    assert sorted(g["Name"] for g in groups) == ["devs", "ops"]
    contains = cli("group", "contains", "user", "--group-domain", name, "--user-domain", name,
                   "devs", "alice")
    assert "alice in group devs" in contains.stdout
    outside = cli("group", "contains", "user", "--group-domain", name, "--user-domain", name,
                  "ops", "alice")
    assert "alice not in group ops" in outside.stdout + outside.stderr
    # The CLI looks the group up with --domain as given, so it needs the domain's id here.
    members = cli("user", "list", "--group", "ops", "--domain", ldapdom.id, "-f", "json")
    assert sorted(u["Name"] for u in members) == ["bob", "carol"]

    project = make_project()
    cli("role", "add", "--user", "alice", "--user-domain", name, "--project", project.id,
        "member")
    rows = cli("role", "assignment", "list", "--user", "alice", "--user-domain", name,
               "--names", "-f", "json")
    assert [(r["Role"], r["User"], r["Project"]) for r in rows] == \
        [("member", f"alice@{name}", f"{project.name}@Default")]
    refused = cli("user", "create", "--domain", name, "newcomer", check=False)
    assert refused.returncode != 0 and "LDAP does not support write operations" in refused.stderr


def test_directory_login_tokens_and_group_roles(cloud, admin, ldapdom, make_project):
    ident = admin.identity
    project, team_project = make_project(), make_project()
    member = ident.find_role("member", ignore_missing=False)
    alice = ldap_user(admin, ldapdom, "alice")
    ident.assign_project_role_to_user(project, alice, member)
    ops = next(iter(ident.groups(domain_id=ldapdom.id, name="ops")))
    ident.assign_project_role_to_group(team_project, ops, member)

    sess = session_of(cloud, ldapdom, "alice", project_id=project.id)
    access = sess.auth.get_access(sess)
    assert access.user_id == alice.id and access.user_domain_id == ldapdom.id
    assert access.project_id == project.id and "member" in access.role_names
    conn = connection_for(sess)
    assert conn.identity.get(f"/users/{alice.id}").status_code == 200  # own record
    shown = ident.get("/auth/tokens", headers={"X-Subject-Token": access.auth_token}).json()
    assert shown["token"]["user"] == {"id": alice.id, "name": "alice", "domain": {
        "id": ldapdom.id, "name": ldapdom.name}, "password_expires_at": None}

    bob = session_of(cloud, ldapdom, "bob", project_id=team_project.id)
    assert "member" in bob.auth.get_access(bob).role_names  # through the ops group

    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, "alice", "wrong", user_domain_id=ldapdom.id).get_token()
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, "alice", "", user_domain_id=ldapdom.id).get_token()
    with pytest.raises(ks_exc.Unauthorized):  # employeeType false: disabled
        session_of(cloud, ldapdom, "carol").get_token()
    with pytest.raises(ks_exc.Unauthorized):
        password_session(cloud, "nobody", "x", user_domain_id=ldapdom.id).get_token()


def test_writes_are_refused(admin, ldapdom, make_user):
    ident = admin.identity
    alice = ldap_user(admin, ldapdom, "alice")
    devs = next(iter(ident.groups(domain_id=ldapdom.id, name="devs")))
    message = "LDAP does not support write operations"
    attempts = [
        ident.post("/users", json={"user": {"name": "x", "domain_id": ldapdom.id}}),
        ident.patch(f"/users/{alice.id}", json={"user": {"email": "x@y"}}),
        ident.delete(f"/users/{alice.id}"),
        ident.post(f"/users/{alice.id}/password", json={"user": {
            "original_password": "alice-pw", "password": "other-pw"}}),
        ident.post("/groups", json={"group": {"name": "x", "domain_id": ldapdom.id}}),
        ident.patch(f"/groups/{devs.id}", json={"group": {"description": "x"}}),
        ident.delete(f"/groups/{devs.id}"),
        ident.put(f"/groups/{devs.id}/users/{alice.id}"),
        ident.delete(f"/groups/{devs.id}/users/{alice.id}"),
    ]
    for reply in attempts:
        assert (reply.status_code, reply.json()["error"]["message"]) == (403, message)
    sql_user = make_user()
    crossing = ident.put(f"/groups/{devs.id}/users/{sql_user.id}")
    assert crossing.status_code == 403
    assert ident.get_user(alice.id).email == "alice@nimbus.test"
    assert sorted(u.name for u in ident.group_users(devs)) == ["alice", "bob"]


def wait_for_status(call: Any, status: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        found = call()
        if found == status or time.monotonic() > deadline:
            return int(found)
        time.sleep(0.5)


def test_leaving_the_directory_ends_tokens_and_group_roles(cloud, admin, ldapdom, slapd,
                                                           make_project):
    """Keystone reads the directory when it checks a token: a user removed there loses its
    tokens, one removed from a group loses the group's roles (after Nimbus' cache time)."""
    ident = admin.identity
    slapd.ldap("ldapadd", person("erin", "Brockovich", "true") +
               group("temps", "erin", "dave"))
    project = make_project()
    member = ident.find_role("member", ignore_missing=False)
    erin = ldap_user(admin, ldapdom, "erin")
    ident.assign_project_role_to_user(project, erin, member)
    temps = next(iter(ident.groups(domain_id=ldapdom.id, name="temps")))
    ident.assign_project_role_to_group(project, temps, member)
    erin_token = session_of(cloud, ldapdom, "erin", project_id=project.id).get_token()
    dave_token = session_of(cloud, ldapdom, "dave", project_id=project.id).get_token()

    def status_of(token: str) -> Any:
        return lambda: ident.get("/auth/tokens", headers={"X-Subject-Token": token}).status_code

    assert status_of(erin_token)() == 200 and status_of(dave_token)() == 200
    slapd.ldap("ldapmodify", f"""
    dn: cn=temps,ou=UserGroups,{SUFFIX}
    changetype: modify
    delete: member
    member: cn=dave,ou=Users,{SUFFIX}
    """)
    slapd.ldap("ldapdelete", f"cn=erin,ou=Users,{SUFFIX}")
    window = cloud_cache_time(cloud) + 10
    assert wait_for_status(status_of(erin_token), 404, window) == 404
    assert wait_for_status(status_of(dave_token), 404, window) == 404  # no role left
    assert ident.get(f"/users/{erin.id}").status_code == 404
    with pytest.raises(ks_exc.Unauthorized):
        session_of(cloud, ldapdom, "erin").get_token()
    assert [u.name for u in ident.group_users(temps)] == []
    slapd.ldap("ldapdelete", f"cn=temps,ou=UserGroups,{SUFFIX}")
    assert ident.get(f"/groups/{temps.id}").status_code == 404


def cloud_cache_time(cloud) -> float:
    return float(cloud.env.get("NIMBUS_DIRECTORY_CACHE_TIME", "10"))


def test_legacy_client_sees_directory_users(admin, ldapdom):
    keystone = ks_client.Client(session=admin.session, interface="public")
    names = sorted(u.name for u in keystone.users.list(domain=ldapdom.id))
    assert {"alice", "bob", "dave"} <= set(names)
    devs = keystone.groups.list(domain=ldapdom.id, name="devs")
    assert [g.name for g in devs] == ["devs"]
    members = keystone.users.list(group=devs[0].id)
    assert sorted(u.name for u in members) == ["alice", "bob"]
    alice = ldap_user(admin, ldapdom, "alice")
    assert keystone.users.check_in_group(alice.id, devs[0].id)
    ops = keystone.groups.list(domain=ldapdom.id, name="ops")[0]
    with pytest.raises(ks_exc.NotFound):
        keystone.users.check_in_group(alice.id, ops.id)
    with pytest.raises(ks_exc.Forbidden):
        keystone.users.add_to_group(alice.id, ops.id)


def test_an_unreachable_directory_is_keystones_500(cloud, admin, make_domain, make_member):
    domain = make_domain()
    config = {"identity": {"driver": "ldap"},
              "ldap": {"url": f"ldap://127.0.0.1:{free_port()}", "suffix": SUFFIX}}
    assert admin.identity.put(f"/domains/{domain.id}/config", json={"config": config}).ok
    reply = admin.identity.get(f"/users?domain_id={domain.id}")
    assert reply.status_code == 500
    assert reply.json()["error"]["message"] == \
        "An unexpected error prevented the server from fulfilling your request."
    assert "127.0.0.1" not in reply.text
    with pytest.raises(ks_exc.InternalServerError):
        password_session(cloud, "anyone", "pw", user_domain_id=domain.id).get_token()
    member = make_member()  # the SQL domains carry on
    assert member.session.get_token()


def test_directory_users_follow_keystones_rbac(cloud, admin, ldapdom, make_user, make_member):
    reader = make_user()
    role = admin.identity.find_role("reader", ignore_missing=False)
    admin.identity.assign_domain_role_to_user(ldapdom, reader, role)
    sess = password_session(cloud, reader.name, reader.login_password, domain_id=ldapdom.id)
    ident = connection_for(sess).identity
    assert "alice" in {u.name for u in ident.users(domain_id=ldapdom.id)}
    alice = ldap_user(admin, ldapdom, "alice")
    assert ident.get(f"/users/{alice.id}").status_code == 200
    assert ident.get(f"/users/{alice.id}/groups").status_code == 200
    assert ident.patch(f"/users/{alice.id}", json={"user": {"email": "x@y"}}).status_code \
        == 403
    outsider = make_member().conn.identity
    assert outsider.get(f"/users?domain_id={ldapdom.id}").status_code == 403
    assert outsider.get(f"/users/{alice.id}").status_code == 403


def test_list_limit_of_the_domain_truncates_its_lists(admin, ldapdom):
    ident = admin.identity
    path = f"/domains/{ldapdom.id}/config"
    assert ident.patch(path, json={"config": {"identity": {"list_limit": 2}}}).ok
    try:
        users = ident.get(f"/users?domain_id={ldapdom.id}").json()
        assert len(users["users"]) == 2 and users["truncated"] is True
        groups = ident.get(f"/groups?domain_id={ldapdom.id}&name=devs").json()
        assert len(groups["groups"]) == 1 and "truncated" not in groups
    finally:
        assert ident.delete(path + "/identity/list_limit").status_code == 204
    assert "truncated" not in ident.get(f"/users?domain_id={ldapdom.id}").json()


def test_first_contact_is_a_login(cloud, admin, ldapdom, slapd):
    """A directory user nobody listed yet can log in; its public id is the mapped one."""
    slapd.ldap("ldapadd", person("frank", "Castle", "true"))
    try:
        sess = session_of(cloud, ldapdom, "frank")
        access = sess.auth.get_access(sess)
        assert access.user_id == public_id(ldapdom.id, "frank", "user")
        assert access.user_domain_name == ldapdom.name
        assert admin.identity.get_user(access.user_id).email == "frank@nimbus.test"
    finally:
        slapd.ldap("ldapdelete", f"cn=frank,ou=Users,{SUFFIX}")
