# shellcheck shell=bash
# Shared by scripts/start and scripts/test: build the virtualenvs they need, once.
# A venv is rebuilt only when what it was built from changes (a stamp holds that hash).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
TEMPEST_VENV="$ROOT/.venv-tempest"
TEMPEST_VERSION="47.0.0"
PIP_FLAGS=(--disable-pip-version-check --no-input --quiet)

say() { printf '==> %s\n' "$*" >&2; }

apt_install() {
    # Debian-only pieces (python3-venv); only possible as root.
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        say "missing: $* (install it with your package manager)"; return 1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }
}

check_python() {
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { say "Nimbus needs Python >= 3.11; python3 is $(python3 -V 2>&1)"; exit 1; }
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
}

# make_venv DIR: a working venv at DIR (recreated if its interpreter is gone).
make_venv() {
    local dir="$1"
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import sys' 2>/dev/null; then
        return 0
    fi
    say "creating $dir"
    rm -rf "$dir"
    python3 -m venv "$dir"
    printf '*\n' > "$dir/.gitignore"
    "$dir/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade pip
}

# fingerprint WORDS...: what a venv was built from (inputs, pyproject, interpreter).
fingerprint() {
    { printf '%s\n' "$@"; cat "$ROOT/pyproject.toml"; python3 -VV; } | sha256sum | cut -d' ' -f1
}

# ensure_nimbus EXTRAS: nimbus (editable) with extras ("" or "test") in .venv.
ensure_nimbus() {
    local extras="$1" spec="$ROOT" stamp want
    if [ -n "$extras" ]; then spec="${ROOT}[$extras]"; fi
    check_python
    make_venv "$VENV"
    stamp="$VENV/.nimbus-stamp${extras:+-$extras}"
    want="$(fingerprint nimbus "$extras")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    say "installing nimbus${extras:+[$extras]} into $VENV"
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" -e "$spec"
    printf '%s\n' "$want" > "$stamp"
    # The extras include the runtime: scripts/start need not install again.
    [ -z "$extras" ] || fingerprint nimbus "" > "$VENV/.nimbus-stamp"
}

# ensure_tempest: tempest in a venv of its own (its pins clash with ours).
ensure_tempest() {
    local stamp="$TEMPEST_VENV/.tempest-stamp" want
    check_python
    make_venv "$TEMPEST_VENV"
    want="$(printf 'tempest==%s\n' "$TEMPEST_VERSION"; python3 -VV)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    say "installing tempest==$TEMPEST_VERSION into $TEMPEST_VENV"
    "$TEMPEST_VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" "tempest==$TEMPEST_VERSION"
    printf '%s\n' "$want" > "$stamp"
}

# ensure_host_tools: the Debian packages the tests drive for real (QEMU and qemu-img, the
# ISO maker for config drives, slapd and the ldap tools for the LDAP identity tests, dnsmasq
# and busybox's udhcpc for the network agent's).
# Skipped when present; root and apt-get needed otherwise.
ensure_host_tools() {
    local missing=()
    command -v qemu-img >/dev/null || missing+=(qemu-utils)
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    command -v genisoimage >/dev/null || missing+=(genisoimage)
    [ -x /usr/sbin/slapd ] || missing+=(slapd)
    command -v ldapadd >/dev/null || missing+=(ldap-utils)
    # The network agent: security groups and NAT (nft, conntrack), QoS (tc).
    command -v nft >/dev/null || missing+=(nftables)
    command -v conntrack >/dev/null || missing+=(conntrack)
    command -v tc >/dev/null || missing+=(iproute2)
    # The network agent's DHCP (dnsmasq, dhcp_release), its sysctls, and the L2/DHCP tests' guests
    # (ping, busybox's udhcpc).
    command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
    command -v sysctl >/dev/null || [ -x /usr/sbin/sysctl ] || missing+=(procps)
    command -v ping >/dev/null || missing+=(iputils-ping)
    command -v busybox >/dev/null || missing+=(busybox)
    command -v dhcp_release >/dev/null || missing+=(dnsmasq-utils)
    # dhclient -6: the DHCPv6 client the stateful-DHCPv6 test asks dnsmasq for a lease with.
    command -v dhclient >/dev/null || [ -x /usr/sbin/dhclient ] || missing+=(isc-dhcp-client)
    # radvd: router advertisements from router namespaces (IPv6 subnets with an RA mode).
    command -v radvd >/dev/null || [ -x /usr/sbin/radvd ] || missing+=(radvd)
    [[ " ${missing[*]} " != *" slapd "* ]] || quiet_slapd_install
    [ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
    [[ " ${missing[*]} " != *" slapd "* ]] || stop_system_slapd
    ensure_cloud_init_reader
}

# ensure_cloud_init_reader: cloud-init's own Python code (not on PyPI), which the metadata
# tests read config drives and the metadata API with. Unpacked from Debian's package into
# build/cloud-init, not installed: the package would put cloud-init's boot units on the host.
ensure_cloud_init_reader() {
    local dest="$ROOT/build/cloud-init"
    [ -d "$dest/usr/lib/python3/dist-packages/cloudinit" ] && return 0
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 0
    local tmp
    tmp="$(mktemp -d)"
    if (cd "$tmp" && apt-get download cloud-init >/dev/null 2>&1) \
            || { apt-get update -qq && (cd "$tmp" && apt-get download cloud-init >/dev/null 2>&1); }; then
        mkdir -p "$dest" && dpkg-deb -x "$tmp"/cloud-init_*.deb "$dest"
    else
        say "apt-get download cloud-init failed: the cloud-init reader tests will skip"
    fi
    rm -rf "$tmp"
}

# The LDAP tests run a slapd of their own: the package must neither set up a directory
# nor leave the system daemon running.
quiet_slapd_install() {
    [ "$(id -u)" -eq 0 ] && command -v debconf-set-selections >/dev/null || return 0
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
}

stop_system_slapd() {
    if [ -x /etc/init.d/slapd ] && pgrep -x slapd >/dev/null; then
        /etc/init.d/slapd stop >/dev/null 2>&1 || true
    fi
    command -v systemctl >/dev/null && systemctl disable --now slapd >/dev/null 2>&1 || true
}

# ensure_guest_image: the test guest (guest/build.sh), which `nimbus up` registers as the
# public image cirros-nimbus. Needs root and Debian; otherwise the cloud starts without it.
ensure_guest_image() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        say "not root on Debian: skipping the test guest image (guest/build.sh)"
        return 0
    fi
    bash "$ROOT/guest/build.sh" "$ROOT/build/guest" >&2 \
        || say "guest/build.sh failed: the cloud starts without the cirros-nimbus image"
}
