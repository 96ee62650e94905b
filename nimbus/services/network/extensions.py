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
    ext("net-dns-domain", "DNS domain for networks", "Allows the DNS domain to be set on "
        "networks"),
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
