"""The machine fingerprint (dnnkit.evidence.fingerprint): read from /proc/cpuinfo- and sysfs-shaped input, stable
ids, the view of files written before it, and native half-precision support."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnnkit.evidence import fingerprint as fp

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9R14
stepping\t: 1
flags\t\t: fpu sse4_2 avx avx2 fma f16c avx512f avx512bw avx512_bf16 avx512_vnni sha_ni

processor\t: 1
model name\t: ignored second CPU
"""


def _cpuinfo(tmp_path: Path, text: str = CPUINFO) -> dict[str, str]:
    (tmp_path / "cpuinfo").write_text(text)
    return fp._cpuinfo(tmp_path / "cpuinfo")


def test_cpuinfo_reads_the_first_processor(tmp_path: Path) -> None:
    info = _cpuinfo(tmp_path)
    assert info["model name"] == "AMD EPYC 9R14" and info["cpu family"] == "25" and info["stepping"] == "1"
    assert fp._cpuinfo(tmp_path / "missing") == {}


def test_caches_from_sysfs(tmp_path: Path) -> None:
    for index, (level, kind, size) in enumerate([("1", "Data", "48K"), ("1", "Instruction", "32K"),
                                                 ("2", "Unified", "1024K"), ("3", "Unified", "32M")]):
        d = tmp_path / f"index{index}"
        d.mkdir()
        (d / "level").write_text(level + "\n")
        (d / "type").write_text(kind + "\n")
        (d / "size").write_text(size + "\n")
    assert fp._caches(tmp_path) == {"L1d": 48 << 10, "L1i": 32 << 10, "L2": 1 << 20, "L3": 32 << 20}


def test_fingerprint_keeps_the_speed_flags_and_the_torch_build(tmp_path: Path) -> None:
    f = fp.machine_fingerprint(cpuinfo=_cpuinfo(tmp_path), caches={"L2": 1 << 20})
    assert f["cpu_model"] == "AMD EPYC 9R14" and (f["cpu_family"], f["cpu_model_id"]) == ("25", "17")
    assert f["cpu_flags"] == sorted(["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_bf16",
                                     "avx512_vnni"])  # fpu and sha_ni do not change kernel speed
    assert f["caches"] == {"L2": 1 << 20} and f["device"] == "cpu" and f["gpu"] is None
    assert {"python", "torch", "torch_threads", "torch_cpu_capability", "cores"} <= set(f)


def test_fingerprint_id_is_stable_and_tells_hosts_apart(tmp_path: Path) -> None:
    info = _cpuinfo(tmp_path)
    a = fp.machine_fingerprint(cpuinfo=info, caches={"L2": 2 << 20})
    assert fp.fingerprint_id(a) == fp.fingerprint_id(dict(reversed(list(a.items()))))
    smaller_cache = fp.machine_fingerprint(cpuinfo=info, caches={"L2": 1 << 20})
    no_bf16 = fp.machine_fingerprint(cpuinfo={**info, "flags": info["flags"].replace("avx512_bf16", "")},
                                     caches={"L2": 2 << 20})
    assert len({fp.fingerprint_id(a), fp.fingerprint_id(smaller_cache), fp.fingerprint_id(no_bf16)}) == 3
    assert fp.fingerprint_diff(a, no_bf16) == {"cpu_flags": (a["cpu_flags"], no_bf16["cpu_flags"])}


def test_old_files_give_a_partial_fingerprint() -> None:
    info = {"cpu": {"brand_raw": "AMD EPYC", "count": 2, "l2_cache_size": 2097152, "l3_cache_size": 1048576},
            "cpu_brand": "AMD EPYC", "torch": "2.13.0+cpu", "torch_threads": 1, "device": "cpu", "gpu": None,
            "machine": "x86_64"}
    legacy, complete = fp.fingerprint_of(info)
    assert not complete and legacy["l2_cache_size"] == 2097152 and legacy["cpu_count"] == 2
    full, complete = fp.fingerprint_of({**info, "fingerprint": {"cpu_model": "x"}})
    assert complete and full == {"cpu_model": "x"}
    assert "no full fingerprint" in fp.describe(legacy)


@pytest.mark.parametrize(("flags", "device", "expected"), [
    (["avx2", "avx512_bf16"], "cpu", True), (["avx2", "amx_bf16"], "cpu", True), (["avx2", "avx512f"], "cpu", False),
    (None, "cpu", None), (None, "cuda", True)])
def test_native_bfloat16(flags: list[str] | None, device: str, expected: bool | None) -> None:
    f = {"device": device} if flags is None else {"device": device, "cpu_flags": flags}
    assert fp.has_native(f, "bfloat16") is expected


def test_this_machine_has_a_fingerprint() -> None:
    f = fp.machine_fingerprint()
    assert f["cores"] >= 1 and f["torch_threads"] >= 1 and len(fp.fingerprint_id(f)) == 12
