#!/usr/bin/env bash
# Build the Nimbus test guest: a Debian cloud kernel and a busybox + dropbear userland that
# runs from an initramfs, on a small MBR disk booted by syslinux. Everything comes from
# Debian packages; those that go into the image are unpacked (apt-get download +
# dpkg-deb -x), never installed. No loop devices or mounts: mkfs.fat, mtools and syslinux
# all work on the image file. Same inputs, same bytes (timestamps come from the kernel).
#
# Usage: guest/build.sh [--force] [OUT_DIR]        (run as root on Debian bookworm)
#   OUT_DIR defaults to build/guest at the top of the repository.
#   Writes OUT_DIR/nimbus-guest.qcow2, nimbus-guest.raw, vmlinuz and initrd.img.
#   A rerun with the same inputs (this folder, package versions) does nothing; --force rebuilds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PATH=$PATH:/usr/sbin:/sbin

FORCE=0
if [[ ${1:-} == --force ]]; then FORCE=1; shift; fi
OUT=$(realpath -m "${1:-$HERE/../build/guest}")
WORK=$OUT/work

# Debian packages whose files go into the image.
KERNEL_META=linux-image-cloud-amd64
IMAGE_PACKAGES=(busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g)

# Kernel modules the guest loads (their dependencies come along): virtio NIC and disks,
# IDE CD and disk for a config drive on the pc machine, iso9660 and vfat for config drives,
# the ACPI power button (for a clean `server stop`) and the virtio RNG. ext4 and af_packet
# are built into the cloud kernel.
MODULES=(virtio_pci virtio_net virtio_blk virtio_scsi virtio-rng sd_mod ata_piix sr_mod
         isofs vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859-1 button evdev)

# no_timer_check: under TCG on a busy host the IO-APIC timer check can fail and panic the
# kernel ("IO-APIC + timer doesn't work"), as cloud images do for virtual machines.
KERNEL_CMDLINE="console=tty0 console=ttyS0,115200n8 no_timer_check"
ROOT_PASSWORD=nimbus   # console and SSH password for root; documented in README.md

# Host commands the build needs, and the Debian package that has each.
declare -A HOST_TOOLS=([mcopy]=mtools [mkfs.fat]=dosfstools [syslinux]=syslinux [cpio]=cpio
                       [modinfo]=kmod [sfdisk]=fdisk [qemu-img]=qemu-utils)
SYSLINUX_MBR=/usr/lib/syslinux/mbr/mbr.bin

log() { echo "build.sh: $*" >&2; }

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
        install -y --no-install-recommends "$@" >&2
}

# Apt's package lists, fetched once if this machine has none yet (a fresh container).
ensure_apt_lists() {
    if [[ $(apt-cache policy busybox-static 2>/dev/null) != *"Candidate: "[0-9]* ]]; then
        apt-get -q update >&2
    fi
}

ensure_host_tools() {
    local missing=() cmd
    for cmd in "${!HOST_TOOLS[@]}"; do
        command -v "$cmd" > /dev/null || missing+=("${HOST_TOOLS[$cmd]}")
    done
    [[ -f $SYSLINUX_MBR ]] || missing+=(syslinux-common)
    if ((${#missing[@]})); then
        log "installing build tools: ${missing[*]}"
        ensure_apt_lists
        apt_install "${missing[@]}"
    fi
}

# Pin every package to the version apt offers now: the image is rebuilt when one changes.
resolve_packages() {
    ensure_apt_lists
    KERNEL_PACKAGE=$(apt-cache depends "$KERNEL_META" | awk '/Depends: linux-image-/ { print $2; exit }')
    local packages=("$KERNEL_PACKAGE" "${IMAGE_PACKAGES[@]}")
    mapfile -t PINNED < <(apt-cache policy "${packages[@]}" |
        awk '/^[^ ]/ { package = $1; sub(/:$/, "", package) }
             /Candidate: [0-9]/ { print package "=" $2 }')
    if ((${#PINNED[@]} != ${#packages[@]})); then
        log "apt offers no version of some of: ${packages[*]}"
        exit 1
    fi
}

# What the outputs are made of: this folder's files (content and mode) and the packages.
recipe_id() {
    {
        cd "$HERE"
        find build.sh syslinux.cfg rootfs -type f -printf '%p %m\n' | sort
        find build.sh syslinux.cfg rootfs -type f -print0 | sort -z | xargs -0 sha256sum
        printf '%s\n' "${PINNED[@]}"
    } | sha256sum | cut -c1-16
}

# Download (cached in $OUT/debs) and unpack every package into one staging tree.
unpack_packages() {
    local spec pkg version deb
    mkdir -p "$OUT/debs"
    rm -rf "$WORK"
    mkdir -p "$WORK/stage"
    for spec in "${PINNED[@]}"; do
        pkg=${spec%%=*}
        version=${spec#*=}
        deb="$OUT/debs/${pkg}_${version//:/%3a}_amd64.deb"
        if [[ ! -f $deb ]]; then
            log "downloading $spec"
            (cd "$OUT/debs" && apt-get -q -o APT::Sandbox::User=root download "$spec" >&2)
        fi
        dpkg-deb -x "$deb" "$WORK/stage"
    done
    STAGE=$WORK/stage
    KERNEL_VERSION=${KERNEL_PACKAGE#linux-image-}
    # Every timestamp in the image (cpio, FAT) is the kernel's: same inputs, same bytes.
    SOURCE_DATE_EPOCH=$(stat -c %Y "$STAGE/boot/vmlinuz-$KERNEL_VERSION")
    export SOURCE_DATE_EPOCH
}

# A staged path with its symlinks followed inside the staging tree (some are absolute).
staged_target() {
    local path=$1 link
    while [[ -L $STAGE/$path ]]; do
        link=$(readlink "$STAGE/$path")
        if [[ $link == /* ]]; then path=$link; else path=$(dirname "$path")/$link; fi
    done
    echo "$STAGE/$path"
}

# Copy a binary from the staging tree, with the shared libraries it needs from there too.
install_binary() {
    local src=$STAGE/$1 dest=$INITRAMFS/$1 lib
    install -D -m 755 "$src" "$dest"
    # The staged dynamic loader lists what the binary links to, searched in the staged tree.
    "$STAGE/lib64/ld-linux-x86-64.so.2" \
        --library-path "$STAGE/lib/x86_64-linux-gnu:$STAGE/usr/lib/x86_64-linux-gnu" \
        --list "$src" |
    awk '/=>/ { print $3 }' |
    while read -r lib; do
        [[ $lib == "$STAGE"/* ]] || { log "$1 needs $lib, which no staged package has"; exit 1; }
        lib=${lib#"$STAGE"}
        [[ -e $INITRAMFS/$lib ]] || install -D -m 755 "$(staged_target "$lib")" "$INITRAMFS/$lib"
    done
}

install_userland() {
    local applet
    mkdir -p "$INITRAMFS"/{bin,sbin,usr/bin,usr/sbin}   # where busybox puts its applets
    install -m 755 "$STAGE/bin/busybox" "$INITRAMFS/bin/busybox"
    for applet in $("$INITRAMFS/bin/busybox" --list-full); do
        [[ -e $INITRAMFS/$applet ]] || ln -s /bin/busybox "$INITRAMFS/$applet"
    done
    install_binary usr/sbin/dropbear
    install_binary usr/bin/dropbearkey
}

# Copy the wanted modules and their dependencies; write the order to load them in.
declare -A MODULE_FILE MODULE_SEEN
MODULE_ORDER=()
add_module() {
    local name=${1//-/_} dep file
    [[ -z ${MODULE_SEEN[$name]:-} ]] || return 0
    MODULE_SEEN[$name]=1
    file=${MODULE_FILE[$name]:-}
    [[ -n $file ]] || { log "kernel $KERNEL_VERSION has no module $1"; exit 1; }
    for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
        add_module "$dep"
    done
    MODULE_ORDER+=("${file#"$STAGE/lib/modules/"}")
}

install_modules() {
    local file name module
    while read -r file; do
        name=$(basename "$file" .ko)
        MODULE_FILE[${name//-/_}]=$file
    done < <(find "$STAGE/lib/modules/$KERNEL_VERSION" -name '*.ko')
    for module in "${MODULES[@]}"; do add_module "$module"; done
    for module in "${MODULE_ORDER[@]}"; do
        install -D -m 644 "$STAGE/lib/modules/$module" "$INITRAMFS/lib/modules/$module"
    done
    printf '%s\n' "${MODULE_ORDER[@]}" > "$INITRAMFS/lib/modules/load-order"
}

build_initramfs() {
    INITRAMFS=$WORK/initramfs
    mkdir -p "$INITRAMFS"/{dev,proc,sys,run,tmp,root,mnt,var}
    chmod 1777 "$INITRAMFS/tmp"
    chmod 700 "$INITRAMFS/root"
    mknod -m 600 "$INITRAMFS/dev/console" c 5 1   # the kernel opens it before anything runs
    install_userland
    install_modules
    cp -R "$HERE/rootfs/." "$INITRAMFS/"
    local file
    while IFS= read -r -d '' file; do
        [[ $(head -c 2 "$file") != "#!" ]] || chmod 755 "$file"   # whatever git kept of modes
    done < <(find "$INITRAMFS/init" "$INITRAMFS/etc" "$INITRAMFS/lib/nimbus-guest" \
                  "$INITRAMFS/usr/share/udhcpc" -type f -print0)
    # A fixed salt keeps the build reproducible; the password is public anyway.
    printf 'root:%s:19000:0:99999:7:::\n' \
        "$("$INITRAMFS/bin/busybox" mkpasswd -m sha512 -S nimbusguest "$ROOT_PASSWORD")" \
        > "$INITRAMFS/etc/shadow"
    chmod 600 "$INITRAMFS/etc/shadow"
    find "$INITRAMFS" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    (cd "$INITRAMFS" && find . -print0 | LC_ALL=C sort -z |
        cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
        gzip -9n > "$WORK/initrd.img"
    cp "$STAGE/boot/vmlinuz-$KERNEL_VERSION" "$WORK/vmlinuz"
}

# One bootable FAT16 partition at 1 MiB holding syslinux, the kernel and the initramfs.
build_disk() {
    local raw=$WORK/nimbus-guest.raw payload part_mib
    payload=$(( $(stat -c %s "$WORK/vmlinuz") + $(stat -c %s "$WORK/initrd.img") ))
    part_mib=$(( payload / 1048576 + 3 ))   # room for the FAT tables, syslinux and slack
    truncate -s 0 "$raw"
    truncate -s $(( part_mib + 1 ))M "$raw"
    printf 'label-id: 0x4e494d42\nstart=2048, type=e, bootable\n' |
        sfdisk --quiet --label dos "$raw"
    mkfs.fat -F 16 -i 4e494d42 --offset 2048 "$raw" $(( part_mib * 1024 )) > /dev/null
    sed "s|@APPEND@|$KERNEL_CMDLINE|" "$HERE/syslinux.cfg" > "$WORK/syslinux.cfg"
    export MTOOLS_SKIP_CHECK=1
    mlabel -i "$raw@@1M" ::NIMBUSGUEST   # here, not by mkfs.fat, which stamps it with the time
    mcopy -i "$raw@@1M" "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/syslinux.cfg" ::/
    syslinux --offset $(( 2048 * 512 )) --install "$raw"
    dd if="$SYSLINUX_MBR" of="$raw" bs=440 count=1 conv=notrunc status=none
    qemu-img convert -c -f raw -O qcow2 "$raw" "$WORK/nimbus-guest.qcow2"
}

publish() {
    local file spec keep=()
    for file in nimbus-guest.qcow2 nimbus-guest.raw vmlinuz initrd.img; do
        mv -f "$WORK/$file" "$OUT/$file"
    done
    echo "$1" > "$OUT/build-id"
    rm -rf "$WORK"
    # Drop downloads of versions this build no longer uses.
    for spec in "${PINNED[@]}"; do keep+=("${spec%%=*}_${spec#*=}"); done
    for file in "$OUT"/debs/*.deb; do
        spec=$(basename "$file" _amd64.deb)
        [[ " ${keep[*]} " == *" ${spec//%3a/:} "* ]] || rm -f "$file"
    done
}

main() {
    [[ $EUID -eq 0 ]] || { log "run me as root (apt-get, mknod)"; exit 1; }
    mkdir -p "$OUT"
    exec 9> "$OUT/.lock"
    flock 9   # one build at a time per output folder
    ensure_host_tools
    resolve_packages
    local id
    id=$(recipe_id)
    if ((!FORCE)) && [[ -f $OUT/nimbus-guest.qcow2 && $(cat "$OUT/build-id" 2>/dev/null) == "$id" ]]; then
        log "up to date: $OUT/nimbus-guest.qcow2 ($id)"
        return
    fi
    log "building $id with $KERNEL_PACKAGE"
    unpack_packages
    build_initramfs
    build_disk
    publish "$id"
    log "done: $(du -h --apparent-size "$OUT/nimbus-guest.qcow2" | cut -f1) $OUT/nimbus-guest.qcow2"
}

main
