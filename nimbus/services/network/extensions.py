"""The extensions Nimbus implements, by Neutron's aliases (clients and tempest probe these).
Each family adds its own entries when it lands; list only what really works."""

from __future__ import annotations

UPDATED = "2026-12-02T00:00:00-00:00"


def ext(alias: str, name: str, description: str) -> dict[str, object]:
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED,
            "links": []}


EXTENSIONS: list[dict[str, object]] = [
    ext("provider", "Provider Network", "Expose mapping of virtual networks to physical "
        "networks"),
    ext("multi-provider", "Multi Provider Network", "Expose mapping of virtual networks to "
        "multiple physical networks"),
    ext("external-net", "Neutron external network", "Adds external network attribute to "
        "network resource."),
    ext("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ext("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for "
        "a network resource."),
    ext("standard-attr-description", "standard-attr-description", "Extension to add "
        "descriptions to standard attributes"),
    ext("standard-attr-revisions", "Resource revision numbers", "This extension will display "
        "the revision number of neutron resources."),
    ext("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at "
        "fields to all Neutron resources that have Neutron standard attributes."),
    ext("standard-attr-tag", "Tag support for resources with standard attribute: subnet, "
        "trunk, network_segment_range, router, network, policy, subnetpool, port, "
        "security_group, floatingip", "Enables to set tag on resources with standard "
        "attribute."),
    ext("tag", "Tag support", "Enables to set tag on resources."),
    ext("revision-if-match", "If-Match constraints based on revision_number", "Extension "
        "indicating that If-Match based on revision_number is supported."),
    ext("project-id", "project_id field enabled", "Extension that indicates that project_id "
        "field is enabled."),
    ext("pagination", "Pagination support", "Extension that indicates that pagination is "
        "enabled."),
    ext("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ext("filter-validation", "Filter parameters validation", "Provides validation on "
        "filtering parameters."),
    ext("empty-string-filtering", "Empty String Filtering Extension",
        "Allow filtering by attributes with empty string value"),
    ext("network_availability_zone", "Network Availability Zone", "Availability zone "
        "support for network."),
    ext("port-security", "Port Security", "Provides port security"),
    ext("binding", "Port Binding", "Expose port bindings of a virtual port to external "
        "application"),
    ext("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ext("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for "
        "DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, "
        "server-ip-address, bootfile-name)"),
    ext("trunk", "Trunk Extension", "Provides support for trunk ports"),
    ext("trunk-details", "Trunk port details", "Expose trunk port details"),
    ext("dns-integration", "DNS Integration", "Provides integration with DNS."),
    ext("ip-substring-filtering", "IP address substring filtering", "Provides IP address "
        "substring filtering when listing ports"),
    ext("net-dns-domain", "DNS domain for networks", "Allows the DNS domain to be set on "
        "networks"),
    # subnets, subnet pools, address scopes, RBAC, IP availability
    ext("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a "
        "subnet pool"),
    ext("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a "
        "subnetpool as the default."),
    ext("subnetpool-prefix-ops", "Subnet Pool Prefix Operations", "Provides support for "
        "adjusting the prefix list of subnet pools"),
    ext("subnet_onboard", "Subnet Onboard", "Provides support for onboarding subnets into "
        "subnet pools"),
    ext("address-scope", "Address scope", "Address scopes extension."),
    ext("rbac-policies", "RBAC Policies", "Allows creation and modification of policies "
        "that control project access to resources."),
    ext("rbac-address-scope", "Add address_scope type to RBAC", "Add address_scope type to "
        "RBAC"),
    ext("rbac-subnetpool", "Add subnetpool type to RBAC", "Add subnetpool type to RBAC"),
    ext("network-ip-availability", "Network IP Availability", "Provides IP availability "
        "data for each network and subnet."),
    ext("subnet-service-types", "Subnet service types", "Provides ability to set the "
        "subnet service_types field"),
    ext("subnet-dns-publish-fixed-ip", "Subnet DNS publish fixed IP", "Support choosing to "
        "publish DNS records for IPs from a subnet"),
    ext("subnet-external-network", "Subnet External Network", "Informs if the subnet is "
        "associated to an external network."),
    ext("quotas", "Quota management support", "Expose functions for quotas management per "
        "project"),
    ext("quota_details", "Quota details management support", "Expose functions for quotas "
        "usage statistics per project"),
    ext("quota-check-limit-default", "Quota engine limit check by default", "By default, the "
        "Neutron quota engine checks the resource usage before applying a new quota limit"),
    ext("qos", "Quality of Service", "The Quality of Service extension."),
    ext("qos-bw-limit-direction", "Direction for QoS bandwidth limit rule", "Allow to "
        "configure QoS bandwidth limit rule with specific direction: ingress or egress"),
    ext("qos-default", "QoS default policy", "Expose the QoS default policy per project"),
    ext("qos-rule-type-details", "Details of QoS rule types", "Expose details about QoS rule "
        "types supported by loaded backend drivers"),
    ext("qos-rules-alias", "Quality of Service rules alias API", "API to enable GET, PUT and "
        "DELETE operations on QoS policy rules without specifying policy ID"),
    ext("agent", "agent", "The agent management extension."),
    ext("availability_zone", "Availability Zone", "The availability zone extension."),
    ext("dhcp_agent_scheduler", "DHCP Agent Scheduler", "Schedule networks among dhcp agents"),
    # Security groups and address groups (service/security_groups.py, sg_rules.py,
    # address_groups.py).
    ext("security-group", "security-group", "The security groups extension."),
    ext("stateful-security-group", "Stateful security group", "Indicates if the security "
        "group is stateful or not"),
    ext("security-groups-normalized-cidr", "Normalized CIDR field for security group rules",
        "Add new field with normalized remote_ip_prefix cidr in SG rule"),
    ext("security-groups-remote-address-group", "Remote address group id field for security "
        "group rules", "Add new field of remote address group id in SG rules"),
    ext("security-groups-rules-belongs-to-default-sg", "Security group rule belongs to the "
        "project's default security group", "Flag to determine if the security group rule "
        "belongs to the project's default security group"),
    ext("port-security-groups-filtering", "Port filtering on security groups", "Provides "
        "security groups filtering when listing ports"),
    ext("address-group", "Address group", "Support address group"),
]

# L3: routers, floating IPs, port forwardings (schemas/routers.py).
EXTENSIONS.extend([
    ext("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
        "Neutron networks and access to external networks via a NAT gateway."),
    ext("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the "
        "router abstraction for specifying whether SNAT should occur on the external gateway"),
    ext("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
    ext("extraroute-atomic", "Atomically add/remove extra routes", "Edit extra routes of a "
        "router on server side by atomically adding/removing extra routes"),
    ext("l3-ha", "HA Router extension", "Adds HA capability to routers."),
    ext("dvr", "Distributed Virtual Router", "Enables configuration of Distributed Virtual "
        "Routers."),
    ext("router_availability_zone", "Router Availability Zone", "Availability zone support "
        "for router."),
    ext("floatingip-pools", "Floating IP Pools Extension", "Provides a floating IP pools API."),
    ext("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute "
        "to Floating IP resource"),
    ext("floating-ip-port-forwarding", "Floating IP Port Forwarding", "Allow port forwarding "
        "from floating IP port to an internal port"),
    ext("floating-ip-port-forwarding-description", "Floating IP Port Forwarding new attribute "
        "description", "Add a description field to Port Forwarding rules"),
    ext("floating-ip-port-forwarding-port-ranges", "Floating IP Port Forwarding support port "
        "ranges", "Add support to port ranges"),
    ext("expose-port-forwarding-in-fip", "Expose Floating IP port forwardings", "Expose port "
        "forwarding fields in floating IP response"),
])
