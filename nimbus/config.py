"""One settings object: defaults < file (nimbus.toml) < environment (NIMBUS_*) < flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PORT = 5000
CONFIG_FILE_NAME = "nimbus.toml"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "nimbus"


@dataclass
class SecurityCompliance:
    """Keystone's [security_compliance] options; 0 or empty disables each check."""

    lockout_failure_attempts: int = 0
    lockout_duration: int = 1800
    unique_last_password_count: int = 0
    minimum_password_age: int = 0
    password_expires_days: int = 0
    password_regex: str = ""
    password_regex_description: str = ""
    change_password_upon_first_use: bool = False


@dataclass
class ImageSettings:
    """Glance's options of the same names; formats are comma-separated lists."""

    require_format_match: bool = True
    image_size_cap: int = 1 << 40
    image_member_quota: int = 128
    image_property_quota: int = 128
    image_tag_quota: int = 128
    limit_param_default: int = 25
    api_limit_max: int = 1000
    disk_formats: str = "ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop"
    container_formats: str = "ami,ari,aki,bare,ovf,ova,docker,compressed"
    # The local image cache: a directory (empty: image-cache in the data dir) and its size
    # limit in bytes, past which the least recently used images are pruned.
    image_cache_dir: str = ""
    image_cache_max_size: int = 10 << 30

    # File stores besides the built-in "local" one (images/ in the data dir), as
    # "id=directory" pairs, comma-separated: "fast=/srv/fast,cheap=/srv/cheap" (Glance's
    # enabled_backends); a relative directory is taken inside the data dir.
    stores: str = ""
    # Where data goes when a request names no store (Glance's default_backend).
    default_store: str = "local"
    # Store weights, "id=weight,..." (Glance's per-store ``weight``): an image lists its
    # stores heaviest first, and /v2/info/stores shows the weights.
    store_weights: str = ""
    # The import methods offered (Glance's enabled_import_methods).
    import_methods: str = "glance-direct,copy-image"
    # web-download fetches only URLs these allow (Glance's [import_filtering_opts]); an
    # empty host list allows none.
    web_download_allowed_schemes: str = "http,https"
    web_download_allowed_hosts: str = ""
    web_download_allowed_ports: str = "80,443"


@dataclass
class OidcIssuerSettings:
    """How one identity provider's OpenID Connect tokens are checked (what Apache's
    mod_auth_openidc does in front of Keystone)."""

    issuer: str = ""
    # The token's ``aud`` must name this; empty skips the check.
    audience: str = ""
    jwks_file: str = ""
    jwks_url: str = ""
    # Claims become assertion attributes named <prefix><claim> (OIDC-email, OIDC-groups).
    claim_prefix: str = "OIDC-"
    algorithms: str = "RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA"
    leeway: int = 0


@dataclass
class FederationSettings:
    """Keystone's [federation] options, and the OpenID Connect issuers by identity provider:
    ``[federation.oidc.<idp_id>]`` in nimbus.toml, or NIMBUS_FEDERATION__OIDC__<IDP>__ISSUER."""

    # Protocols whose auth checks an ``Authorization: Bearer`` OpenID Connect token.
    oidc_protocols: str = "openid"
    # Keystone's default_authorization_ttl (minutes), for identity providers without one.
    default_authorization_ttl: int = 0
    oidc: dict[str, Any] = field(default_factory=dict)

    def oidc_issuer(self, idp_id: str) -> OidcIssuerSettings | None:
        raw = self.oidc.get(idp_id) or self.oidc.get(idp_id.lower())
        if not isinstance(raw, dict):
            return None
        issuer = OidcIssuerSettings()
        _apply(issuer, raw)
        return issuer

    def is_oidc_protocol(self, protocol_id: str) -> bool:
        return protocol_id in {p.strip() for p in self.oidc_protocols.split(",") if p.strip()}


@dataclass
class TrustSettings:
    """Keystone's [trust] options."""

    max_redelegation_count: int = 3


@dataclass
class OAuth1Settings:
    """Keystone's [oauth1] options, in seconds; 0 means the tokens never expire."""

    request_token_duration: int = 28800
    access_token_duration: int = 86400


@dataclass
class NetworkSettings:
    """[network]: Neutron's ML2/Linux-bridge options, the agent's and the all-in-one
    external network's."""

    # The host driver of the agent: "auto" (linuxbridge as root, else the data plane is
    # off), "linuxbridge", "fake" (records what it would do: fast API tests), "off".
    driver: str = "auto"
    # The agent's host name (binding:host_id, GET /v2.0/agents); empty: the machine's.
    host: str = ""
    # The network namespace the agent treats as its host (bridges, taps, tables); empty:
    # the one it runs in. Test clouds and the multi-host e2e give each "host" its own.
    host_netns: str = ""
    # The bus between API processes and agents: empty (in-process with one worker, or
    # files in the data dir with more), or amqp://user:pass@host:5672//.
    bus_url: str = ""
    # Neutron's [ml2] and [linux_bridge] options.
    tenant_network_types: str = "vxlan"
    vni_ranges: str = "1:65535"
    network_vlan_ranges: str = "physnet1"
    flat_networks: str = "*"
    physical_interface_mappings: str = ""
    local_ip: str = ""
    global_physnet_mtu: int = 1500
    dns_domain: str = "openstacklocal."
    base_mac: str = "fa:16:3e:00:00:00"
    # Agents that have not reported for this long are shown as not alive (Neutron's 75 s).
    agent_down_time: int = 75
    report_interval: float = 30.0
    resync_interval: float = 60.0
    # The all-in-one external network ``public`` on a host bridge; the host holds its
    # gateway. Masquerading it to the host's uplink is off unless set.
    public_network: bool = True
    public_bridge: str = "br-ex"
    public_cidr: str = "172.24.4.0/24"
    public_gateway: str = "172.24.4.1"
    public_pool_start: str = "172.24.4.2"
    public_pool_end: str = "172.24.4.254"
    masquerade_interface: str = ""
    # The admin project's ``private`` network behind ``router1`` (to ``public``), made once.
    private_network: bool = True
    private_cidr: str = "10.0.0.0/24"
    # Neutron's metadata_proxy_shared_secret; empty: one generated in the data dir.
    metadata_proxy_shared_secret: str = ""
    # Where the metadata proxies forward guests' requests; empty: <public URL>/metadata/.
    metadata_url: str = ""
    dhcp_lease_duration: int = 86400
    allow_overlapping_ips: bool = True


@dataclass
class ComputeSettings:
    """[compute]: Nova's options for the API, the scheduler and the compute agent."""

    # The hypervisor driver of the agent: "auto" (qemu when qemu-system-x86_64 is there,
    # else off), "qemu", "fake" (records what it would do: fast API and scale tests), "off".
    driver: str = "auto"
    # The agent's host name (OS-EXT-SRV-ATTR:host, os-hypervisors); empty: the machine's.
    host: str = ""
    # "kvm" where /dev/kvm really works, "tcg" otherwise; "auto" probes once at start.
    accelerator: str = "auto"
    # Placement inventories the agent reports (Nova's [DEFAULT] options).
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    # Where guests' disks, consoles and sockets live; empty: <data dir>/instances.
    instances_path: str = ""
    # Seconds before a resize is confirmed by itself; 0: never (Nova's resize_confirm_window).
    resize_confirm_window: int = 0
    # Seconds a soft reboot waits for the guest's ACPI shutdown before a hard one.
    reboot_timeout: int = 60
    # Seconds a clean stop waits before the guest is powered off (Nova's shutdown_timeout).
    shutdown_timeout: int = 60
    # Seconds to wait for Networking's network-vif-plugged (Nova's vif_plugging_timeout).
    vif_plugging_timeout: int = 300
    # Every guest gets a config drive (Nova's force_config_drive).
    force_config_drive: bool = False
    # Bytes of a guest's console log kept on disk.
    console_log_max_bytes: int = 1048576
    sync_power_state_interval: float = 60.0
    report_interval: float = 10.0
    # A compute service that has not reported for this long is down (Nova's service_down_time).
    service_down_time: int = 60
    default_availability_zone: str = "nova"
    # The domain the metadata service and config drive add to instances' hostnames
    # (Nova's [api] dhcp_domain); empty: the bare hostname.
    dhcp_domain: str = "novalocal"
    # A JSON file (relative: in the data dir) served as every instance's vendor_data.json
    # (Nova's [api] vendordata_jsonfile_path); empty: {}.
    vendordata_jsonfile_path: str = ""


@dataclass
class ObjectSettings:
    """[object]: the object store (Swift's proxy, ring and keystoneauth options)."""

    # Comma-separated device directories (relative: in the data dir); empty: <data dir>/object/d0.
    devices: str = ""
    # The ring's partition power and replica count, used when the ring is first made.
    part_power: int = 10
    replicas: int = 1
    # keystoneauth's operator_roles and reseller_admin_role (comma-separated, any case).
    operator_roles: str = "admin,swiftoperator,member"
    reseller_admin_roles: str = "ResellerAdmin,admin"
    # Seconds between passes of the expirer (X-Delete-At / X-Delete-After).
    expirer_interval: float = 10.0
    # S3 virtual-host style: a Host of <bucket>.<s3_domain> addresses that bucket (empty:
    # path-style only, at /s3/<bucket>/<key>).
    s3_domain: str = ""
    # Seconds between passes of the auditor/replicator (0: no loop; `nimbus manage
    # object-replicate --once` runs one pass).
    replicator_interval: float = 300.0


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # The address clients are told to use; defaults to http://host:port.
    public_url: str = ""
    database_url: str = ""
    workers: int = 1
    # Request handlers running at once in a worker; 0: one a CPU, at least 2.
    handler_concurrency: int = 0
    log_level: str = "info"
    # Keystone's max_request_body_size.
    max_request_body_size: int = 114688
    token_expiration: int = 3600
    bcrypt_cost: int = 12
    fernet_max_active_keys: int = 3
    region: str = "RegionOne"
    # The test guest image `nimbus up` registers as "cirros-nimbus"; empty means the one
    # guest/build.sh leaves in the checkout (build/guest/nimbus-guest.qcow2), when present.
    guest_image: str = ""
    # Seconds a worker trusts what an LDAP directory said about a token's user and its
    # groups before asking again (Keystone's [identity] cache_time).
    directory_cache_time: int = 10
    security_compliance: SecurityCompliance = field(default_factory=SecurityCompliance)
    image: ImageSettings = field(default_factory=ImageSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    trust: TrustSettings = field(default_factory=TrustSettings)
    oauth1: OAuth1Settings = field(default_factory=OAuth1Settings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    compute: ComputeSettings = field(default_factory=ComputeSettings)
    object: ObjectSettings = field(default_factory=ObjectSettings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'nimbus.db'}"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.data_dir / CONFIG_FILE_NAME

    def policy_file(self, service: str) -> Path:
        """A service's policy overrides (Keystone's, Glance's... policy.yaml), one file per
        service as in OpenStack, so rules of the same name (context_is_admin, default) in
        two services never meet: <data dir>/policy/<service>.yaml."""
        return self.data_dir / "policy" / f"{service}.yaml"

    @property
    def fernet_key_dir(self) -> Path:
        return self.data_dir / "fernet-keys"

    @property
    def credential_key_dir(self) -> Path:
        return self.data_dir / "credential-keys"

    def to_toml(self, keep: frozenset[str] | None = None) -> str:
        """The settings as TOML. With ``keep``, only those top-level keys are set; every
        other setting is written commented out, at its default, for the reader to edit."""
        defaults = Settings()
        lines: list[str] = []
        nested = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "data_dir":
                continue
            if dataclasses.is_dataclass(value):
                nested.append((f.name, value, getattr(defaults, f.name)))
                continue
            lines.append(_toml_line(f.name, value, getattr(defaults, f.name),
                                    keep is None or f.name in keep))
        for name, obj, default in nested:
            lines.append(f"\n[{name}]")
            for sf in dataclasses.fields(obj):
                lines.append(_toml_line(sf.name, getattr(obj, sf.name),
                                        getattr(default, sf.name), keep is None))
        return "\n".join(lines) + "\n"


def _toml_line(name: str, value: Any, default: Any, active: bool) -> str:
    if active:
        return f"{name} = {_toml_value(value)}"
    return f"# {name} = {_toml_value(default)}"


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _coerce(current: Any, raw: Any) -> Any:
    if isinstance(current, bool):
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, Path):
        return Path(raw).expanduser()
    if isinstance(current, dict):
        return {**current, **raw} if isinstance(raw, dict) else current
    return raw if isinstance(raw, str) else str(raw)


def _apply(target: Any, values: dict[str, Any]) -> None:
    names = {f.name for f in dataclasses.fields(target)}
    for key, raw in values.items():
        if key not in names or raw is None:
            continue
        current = getattr(target, key)
        if dataclasses.is_dataclass(current) and isinstance(raw, dict):
            _apply(current, raw)
        else:
            setattr(target, key, _coerce(current, raw))


def _env_values(environ: dict[str, str]) -> dict[str, Any]:
    """NIMBUS_PORT=5001, NIMBUS_SECURITY_COMPLIANCE__LOCKOUT_DURATION=5."""
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("NIMBUS_"):
            continue
        parts = key[len("NIMBUS_"):].lower().split("__")
        node = values
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = raw
    return values


def load_settings(
    data_dir: Path | str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    env_values = _env_values(environ)
    settings = Settings()
    chosen_dir = data_dir or (overrides or {}).get("data_dir") or env_values.get("data_dir")
    if chosen_dir:
        settings.data_dir = Path(chosen_dir).expanduser()
    settings.data_dir = settings.data_dir.absolute()
    if settings.config_file.exists():
        _apply(settings, tomllib.loads(settings.config_file.read_text()))
    _apply(settings, {k: v for k, v in env_values.items() if k != "data_dir"})
    _apply(settings, {k: v for k, v in (overrides or {}).items() if k != "data_dir"})
    return settings
