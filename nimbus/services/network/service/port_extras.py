"""Allowed address pairs and extra DHCP options of ports (Neutron's extensions of the
same names), read for a page of ports at once and written inside the port's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.services.network.errors import BadRequestNeutron, ConflictNeutron
from nimbus.services.network.models.core import Port
from nimbus.services.network.models.port_extras import AllowedAddressPair, ExtraDhcpOpt

MAX_ADDRESS_PAIRS = 10


def set_address_pairs(s: Session, row: Port, pairs: list[dict[str, Any]] | None) -> None:
    if pairs is None:
        return
    if pairs and not row.port_security_enabled:
        raise ConflictNeutron("AddressPairAndPortSecurityRequired", "Port Security must be "
                              "enabled in order to have allowed address pairs on a port.")
    if len(pairs) > MAX_ADDRESS_PAIRS:
        raise BadRequestNeutron("resource", "The number of allowed address pair exceeds the "
                                f"maximum {MAX_ADDRESS_PAIRS}")
    seen = set()
    for pair in pairs:
        key = (pair["ip_address"], pair.get("mac_address") or row.mac_address)
        if key in seen:
            raise BadRequestNeutron("resource", "Request contains duplicate address pair: "
                                    f"mac_address {key[1]} ip_address {key[0]}")
        seen.add(key)
    s.execute(delete(AllowedAddressPair).where(AllowedAddressPair.port_id == row.id))
    for ip, mac in seen:
        s.add(AllowedAddressPair(port_id=row.id, ip_address=ip, mac_address=mac))


def set_dhcp_opts(s: Session, row: Port, opts: list[dict[str, Any]] | None, *,
                  creating: bool) -> None:
    """On create the options are the list; on update each one is added, changed, or (with
    a null value) removed, as Neutron merges them."""
    if opts is None:
        return
    current = {(o.opt_name, o.ip_version): o for o in s.scalars(
        select(ExtraDhcpOpt).where(ExtraDhcpOpt.port_id == row.id))}
    for opt in opts:
        key = (opt["opt_name"], opt["ip_version"])
        found = current.get(key)
        if opt["opt_value"] is None:
            if found is not None:
                s.delete(found)
                current.pop(key)
            continue
        if found is not None:
            found.opt_value = opt["opt_value"]
        else:
            current[key] = ExtraDhcpOpt(port_id=row.id, opt_name=key[0],
                                        opt_value=opt["opt_value"], ip_version=key[1])
            s.add(current[key])
    s.flush()


def extras_of(s: Session, port_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in range(0, len(port_ids), 500):
        part = port_ids[chunk:chunk + 500]
        for port_id, ip, mac in s.execute(select(
                AllowedAddressPair.port_id, AllowedAddressPair.ip_address,
                AllowedAddressPair.mac_address).where(AllowedAddressPair.port_id.in_(part))):
            found.setdefault(port_id, {}).setdefault("allowed_address_pairs", []).append(
                {"ip_address": ip, "mac_address": mac})
        for port_id, name, value, version in s.execute(select(
                ExtraDhcpOpt.port_id, ExtraDhcpOpt.opt_name, ExtraDhcpOpt.opt_value,
                ExtraDhcpOpt.ip_version).where(ExtraDhcpOpt.port_id.in_(part))
                .order_by(ExtraDhcpOpt.id)):
            found.setdefault(port_id, {}).setdefault("extra_dhcp_opts", []).append(
                {"opt_name": name, "opt_value": value, "ip_version": version})
    return found


def dns_assignment(hostname: str, domain: str, ips: list[dict[str, str]]) -> list[dict[str, str]]:
    domain = domain if domain.endswith(".") else domain + "."
    out = []
    for ip in ips:
        name = hostname or "host-" + ip["ip_address"].replace(".", "-").replace(":", "-")
        out.append({"hostname": name, "ip_address": ip["ip_address"],
                    "fqdn": f"{name}.{domain}"})
    return out
