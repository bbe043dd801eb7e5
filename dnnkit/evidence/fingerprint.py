"""A machine fingerprint for benchmark files: what decides a kernel's speed, so that two hosts can be told apart.

Two CI hosts both reported "AMD EPYC" with 2 cores, yet their caches differed (L2 2 MiB vs 1 MiB) and one ran a
bfloat16 MLP 17x slower (an instruction-set difference): the CPU brand alone does not identify a machine. The
fingerprint holds the CPU model numbers, the instruction-set flags that change kernel speed, cache sizes, usable
cores, the Python version, and the torch build and threads. Benchmark files store it in machine_info["fingerprint"].
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

import torch

# Flags that change which kernels torch/oneDNN/Sleef run (vector width, fused multiply-add, VNNI, half precision).
SPEED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
               "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8",
               "amx_fp16", "asimd", "sve", "bf16", "fphp")
# Half-precision dtype -> the flags that give it native arithmetic on a CPU (without one, torch emulates it).
HALF_PRECISION_FLAGS = {"bfloat16": ("avx512_bf16", "amx_bf16", "bf16"),
                        "float16": ("avx512_fp16", "amx_fp16", "fphp")}


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's entries of /proc/cpuinfo (empty where the file does not exist: macOS, Windows)."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _cache_bytes(text: str) -> int | None:
    """'2048K' / '32768K' / '1M' (sysfs cache size) -> bytes."""
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    digits = text.rstrip("KMG")
    return int(digits) * scale if digits.isdigit() else None


def _caches(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> dict[str, int]:
    """Cache sizes of CPU 0 per level ('L1d', 'L1i', 'L2', 'L3'), in bytes, from sysfs (empty off Linux)."""
    out: dict[str, int] = {}
    for index in sorted(root.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = _cache_bytes((index / "size").read_text())
        except OSError:
            continue
        if size is not None:
            out[f"L{level}" + {"Data": "d", "Instruction": "i"}.get(kind, "")] = size
    return out


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask: a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def machine_fingerprint(device: str | torch.device | None = None, *, cpuinfo: dict[str, str] | None = None,
                        caches: dict[str, int] | None = None) -> dict[str, Any]:
    """The fingerprint of this machine for benchmarks run on `device` (None: the CPU)."""
    info = _cpuinfo() if cpuinfo is None else cpuinfo
    flags = set((info.get("flags") or info.get("Features") or "").split())
    dev = torch.device(device) if device is not None else torch.device("cpu")
    return {
        "cpu_model": info.get("model name") or platform.processor() or None,
        "cpu_vendor": info.get("vendor_id") or info.get("CPU implementer"),
        "cpu_family": info.get("cpu family") or info.get("CPU architecture"),
        "cpu_model_id": info.get("model") or info.get("CPU part"),
        "cpu_stepping": info.get("stepping") or info.get("CPU revision"),
        "cpu_flags": sorted(flags.intersection(SPEED_FLAGS)),
        "caches": _caches() if caches is None else dict(caches),
        "cores": usable_cores(),
        "arch": platform.machine(),
        "python": platform.python_version(),  # interpreter speed is most of a small kernel's dispatch cost
        "torch": torch.__version__,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_mkldnn": bool(torch.backends.mkldnn.is_available()),
        "torch_threads": torch.get_num_threads(),
        "device": dev.type,
        "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
    }


def fingerprint_id(fingerprint: dict[str, Any]) -> str:
    """A short stable id of a fingerprint (12 hex digits of its SHA-256): equal ids, same machine kind."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]


def legacy_fingerprint(machine_info: dict[str, Any]) -> dict[str, Any]:
    """What a benchmark file written before the fingerprint tells about its machine (py-cpuinfo and dnnkit keys)."""
    cpu = machine_info.get("cpu") if isinstance(machine_info.get("cpu"), dict) else {}
    return {
        "cpu_brand": machine_info.get("cpu_brand") or cpu.get("brand_raw"),
        "cpu_count": cpu.get("count"),
        "l2_cache_size": cpu.get("l2_cache_size"),
        "l3_cache_size": cpu.get("l3_cache_size"),
        **{k: machine_info.get(k) for k in ("python_version", "torch", "torch_threads", "device", "gpu", "machine")},
    }


def fingerprint_of(machine_info: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(fingerprint, complete) of a benchmark file's machine_info; complete is False for a file written before
    dnnkit recorded fingerprints (then only the keys of `legacy_fingerprint` are known)."""
    stored = machine_info.get("fingerprint")
    if isinstance(stored, dict):
        return stored, True
    return legacy_fingerprint(machine_info), False


def fingerprint_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """key -> (a's value, b's value) for every key whose values differ (a key missing on one side counts)."""
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def has_native(fingerprint: dict[str, Any], dtype: str) -> bool | None:
    """Whether the machine has native arithmetic for a half-precision `dtype` (None: unknown, e.g. an old file)."""
    flags = fingerprint.get("cpu_flags")
    if fingerprint.get("device") == "cuda":
        return True
    if not isinstance(flags, list):
        return None
    return any(f in flags for f in HALF_PRECISION_FLAGS.get(dtype, ()))


def describe(fingerprint: dict[str, Any]) -> str:
    """One line for reports: model, cores, caches, the widest vector flags, torch build and threads."""
    if "cpu_flags" not in fingerprint:
        return (f"{fingerprint.get('cpu_brand')}, {fingerprint.get('cpu_count')} cores, L2 "
                f"{fingerprint.get('l2_cache_size')} B, L3 {fingerprint.get('l3_cache_size')} B, torch "
                f"{fingerprint.get('torch')} x{fingerprint.get('torch_threads')} (no full fingerprint recorded)")
    caches = ", ".join(f"{k} {v >> 10} KiB" for k, v in sorted(fingerprint.get("caches", {}).items()))
    wide = [f for f in fingerprint["cpu_flags"] if f.startswith(("avx512", "amx", "avx2", "sve"))]
    return (f"{fingerprint.get('cpu_model')} (family {fingerprint.get('cpu_family')} model "
            f"{fingerprint.get('cpu_model_id')} stepping {fingerprint.get('cpu_stepping')}), "
            f"{fingerprint.get('cores')} cores, {caches or 'caches unknown'}, "
            f"{' '.join(wide) or 'no AVX2/AVX-512/AMX'}; Python {fingerprint.get('python')}, "
            f"torch {fingerprint.get('torch')} "
            f"({fingerprint.get('torch_cpu_capability')}) x{fingerprint.get('torch_threads')} threads, "
            f"device {fingerprint.get('device')}{' (' + fingerprint['gpu'] + ')' if fingerprint.get('gpu') else ''}")
