"""The network agent: Linux bridges, VXLAN, dnsmasq DHCP, router namespaces, nftables
security groups, the metadata proxy. It asks the service for the desired state of its host
(``messages.HostState``) and makes the host match it."""
