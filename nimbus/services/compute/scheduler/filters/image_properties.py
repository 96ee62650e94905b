from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec

# Glance's hw_architecture spellings Nova accepts for the same architecture.
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "i686": "i686", "x86": "i686",
                 "arm64": "aarch64"}


def _arch(name: str) -> str:
    return _ARCH_ALIASES.get(name.lower(), name.lower())


class ImagePropertiesFilter:
    """Hosts that can run the image: its hw_architecture, img_hv_type (hypervisor_type)
    and img_hv_requested_version (the hypervisor's version, Nova's encoding)."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        props = spec.image_properties
        arch = props.get("hw_architecture") or props.get("architecture")
        if arch and _arch(str(arch)) != _arch(host.cpu_arch):
            return False
        hv_type = props.get("img_hv_type") or props.get("hypervisor_type")
        if hv_type and str(hv_type).lower() not in (host.hypervisor_type.lower(), "kvm",
                                                     "qemu"):
            return False
        wanted = props.get("img_hv_requested_version")
        return not wanted or _version_ok(str(wanted), host.hypervisor_version)


def _version_ok(wanted: str, have: int) -> bool:
    """``>=2.11``-style constraints against Nova's major*1e6 + minor*1e3 + micro."""
    op = next((o for o in (">=", "<=", "==", ">", "<") if wanted.startswith(o)), "==")
    parts = [int(p) for p in wanted[len(op) if wanted.startswith(op) else 0:].split(".")
             if p.strip().isdigit()]
    parts += [0] * (3 - len(parts))
    need = parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
    return {">=": have >= need, "<=": have <= need, "==": have == need,
            ">": have > need, "<": have < need}[op]
