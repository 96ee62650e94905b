# Shared by the boot script, the DHCP script and the hotplug handler.

# shellcheck disable=SC2034  # used by the scripts that source this one
STATE=/run/nimbus-guest

# A marker line on the serial console: what tests and `openstack console log show` look for.
say() {
    echo "nimbus-guest: $*" > /dev/console
}

# The value at PATH (e.g. "hostname", "public_keys/mykey") in the flattened JSON file FILE.
json_get() {
    awk -F '\t' -v key="$1" '$1 == key { print substr($0, length(key) + 2); exit }' "$2"
}

# Every "path<TAB>value" line of the flattened JSON file FILE whose path starts with PREFIX.
json_values_under() {
    awk -F '\t' -v prefix="$1" 'index($1, prefix) == 1 { print substr($0, length($1) + 2) }' "$2"
}

# Start DHCP on one interface. udhcpc returns once it has a lease (or gave up, -b) and
# stays in the background to renew it; the script prints the address marker.
start_dhcp() {
    ip link set dev "$1" up
    udhcpc -i "$1" -p "/run/udhcpc.$1.pid" -s /usr/share/udhcpc/default.script \
        -b -t 6 -T 1 -A 10 -O staticroutes -O mtu
}
