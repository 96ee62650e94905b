"""Neutron's L3 exceptions (neutron_lib.exceptions.l3, extraroute, port forwarding), with
their names as the fault's ``type`` and their messages word for word."""

from __future__ import annotations

from nimbus.kernel.errors import BadRequest, Conflict, NotFound
from nimbus.services.network.errors import NeutronError


class _Typed(NeutronError):
    def __init__(self, neutron_type: str, message: str) -> None:
        self.neutron_type = neutron_type
        super().__init__(message)


class L3NotFound(_Typed, NotFound):
    pass


class L3Conflict(_Typed, Conflict):
    pass


class L3BadRequest(_Typed, BadRequest):
    pass


def router_not_found(router_id: str) -> L3NotFound:
    return L3NotFound("RouterNotFound", f"Router {router_id} could not be found")


def floatingip_not_found(fip_id: str) -> L3NotFound:
    return L3NotFound("FloatingIPNotFound", f"Floating IP {fip_id} could not be found")


def port_forwarding_not_found(pf_id: str) -> L3NotFound:
    return L3NotFound("PortForwardingNotFound", f"Port Forwarding {pf_id} could not be found.")


def router_in_use(router_id: str, reason: str = "still has ports") -> L3Conflict:
    return L3Conflict("RouterInUse", f"Router {router_id} {reason}")


def interface_not_found(router_id: str, port_id: str) -> L3NotFound:
    return L3NotFound("RouterInterfaceNotFound", f"Router {router_id} does not have an "
                                                 f"interface with id {port_id}")


def interface_not_found_for_subnet(router_id: str, subnet_id: str) -> L3NotFound:
    return L3NotFound("RouterInterfaceNotFoundForSubnet", f"Router {router_id} has no "
                                                          f"interface on subnet {subnet_id}")


def interface_in_use_by_fip(router_id: str, subnet_id: str) -> L3Conflict:
    return L3Conflict("RouterInterfaceInUseByFloatingIP", f"Router interface for subnet "
                      f"{subnet_id} on router {router_id} cannot be deleted, as it is "
                      "required by one or more floating IPs.")


def interface_in_use_by_route(router_id: str, subnet_id: str) -> L3Conflict:
    return L3Conflict("RouterInterfaceInUseByRoute", f"Router interface for subnet "
                      f"{subnet_id} on router {router_id} cannot be deleted, as it is "
                      "required by one or more routes.")


def gateway_in_use_by_fip(router_id: str, net_id: str) -> L3Conflict:
    return L3Conflict("RouterExternalGatewayInUseByFloatingIp", f"Gateway cannot be updated "
                      f"for router {router_id}, since a gateway to external network "
                      f"{net_id} is required by one or more floating IPs.")


def gateway_unreachable(net_id: str, subnet_id: str, port_id: str) -> L3NotFound:
    return L3NotFound("ExternalGatewayForFloatingIPNotFound", f"External network {net_id} "
                      f"is not reachable from subnet {subnet_id}.  Therefore, cannot "
                      f"associate Port {port_id} with a Floating IP.")


def fip_port_already_associated(fip_address: str, fip_id: str, port_id: str,
                                fixed_ip: str, net_id: str) -> L3Conflict:
    return L3Conflict("FloatingIPPortAlreadyAssociated", f"Cannot associate floating IP "
                      f"{fip_address} ({fip_id}) with port {port_id} using fixed IP "
                      f"{fixed_ip}, as that fixed IP already has a floating IP on external "
                      f"network {net_id}.")


def invalid_routes(routes: object, reason: str) -> L3BadRequest:
    return L3BadRequest("InvalidRoutes", f"Invalid input for operation: Invalid format for "
                                         f"routes: {routes}, {reason}.")


def routes_exhausted(router_id: str, quota: int) -> L3BadRequest:
    return L3BadRequest("RoutesExhausted", f"Unable to complete operation for {router_id}. "
                                           f"The number of routes exceeds the maximum {quota}.")


def service_port_in_use(port_id: str, owner: str) -> L3Conflict:
    return L3Conflict("ServicePortInUse", f"Port {port_id} cannot be deleted directly via "
                                          f"the port API: has device owner {owner}.")


def port_in_use(port_id: str, net_id: str, device_id: str) -> L3Conflict:
    return L3Conflict("PortInUse", f"Unable to complete operation on port {port_id} for "
                                   f"network {net_id}. Port already has an attached device "
                                   f"{device_id}.")


def subnet_in_use(subnet_id: str) -> L3Conflict:
    return L3Conflict("SubnetInUse", f"Unable to complete operation on subnet {subnet_id}: "
                                     "One or more ports have an IP allocation from this "
                                     "subnet.")


def fip_in_use_by_pf(fip_id: str) -> L3Conflict:
    return L3Conflict("FipInUseByPortForwarding", f"Floating IP {fip_id} in use by Port "
                                                  "Forwarding resources.")


def port_has_binding_fip(fip_address: str, fip_id: str, port_id: str,
                         fixed_ip: str) -> L3Conflict:
    return L3Conflict("PortHasBindingFloatingIP", f"Cannot create port forwarding to "
                      f"floating IP {fip_address} ({fip_id}) with port {port_id} using fixed "
                      f"IP {fixed_ip}, as that port already has a binding floating IP.")


def subnet_mismatch(port_id: str, subnet_id: str) -> L3BadRequest:
    return L3BadRequest("SubnetMismatchForPort", f"Subnet on port {port_id} does not match "
                                                 f"the requested subnet {subnet_id}.")


def external_ip_exhausted(net_id: str) -> L3BadRequest:
    return L3BadRequest("ExternalIpAddressExhausted", "Unable to find any IP address on "
                                                      f"external network {net_id}.")
