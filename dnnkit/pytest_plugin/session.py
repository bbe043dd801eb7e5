"""Collects every claim record on the controller (serial or xdist), adjusts p-values, writes and prints once."""

from __future__ import annotations

import json
import sys

import pytest

from ..evidence.provenance import machine
from ..plots import plots_or_hint
from ..results.multiplicity import adjust_across
from ..results.progress import progress_line
from ..results.storage import write_results
from ..results.table import print_claims
from .options import resolve_device, resolve_ensemble_workers

EVIDENCE_KEY = "dnnkit_claim"


def _workers(config: pytest.Config) -> str:
    """xdist's -n as the controller saw it ('1' when serial); the environment variable exists only in workers."""
    n = config.getoption("numprocesses", default=None) if config.pluginmanager.hasplugin("xdist") else None
    return str(n) if n else "1"


def provenance(config: pytest.Config, device: str) -> dict:
    """Who, what and where: versions, hardware, commit, date, profile and seed base of this run."""
    return {
        **machine(device, config.rootpath), "workers": _workers(config),
        "ensemble_workers": resolve_ensemble_workers(config, device),
        "profile": config.getoption("--profile"), "seed_base": config.getoption("--seed-base"),
        "seeds_override": config.getoption("--seeds"), "argv": sys.argv[1:],
    }


class ClaimSession:
    """The run's evidence: one record per claim test, gathered from reports (which xdist ships to the controller)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.records: list[dict] = []
        self.seen_claims: set[str] = set()
        self.declared_claims: set[str] = set()  # declared by the modules and conftests this run collected
        self.meta: dict = {}
        self.claims_total: int | None = None  # known in serial runs; an xdist controller collects nothing

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.claims_total = sum(1 for item in session.items if item.get_closest_marker("claim")) or None

    def _progress(self, record: dict) -> None:
        """A bar per finished claim (seeds done / total) in runs that write results: those are the long ones."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if (reporter is None or hasattr(self.config, "workerinput") or not self.config.getoption("--results-dir")
                or self.config.get_verbosity() < 0):
            return
        reporter.write_line(progress_line(record, len(self.records), self.claims_total, color=reporter.isatty))

    def add(self, record: dict) -> None:
        self.records.append(record)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name != EVIDENCE_KEY:
                continue
            record = json.loads(value)
            record["outcome"] = report.outcome
            self.add(record)
            self._progress(record)

    @pytest.hookimpl(optionalhook=True)  # xdist's hook: a run with -p no:xdist must not fail on it
    def pytest_testnodedown(self, node, error) -> None:
        output = getattr(node, "workeroutput", {})
        self.seen_claims |= set(output.get("dnnkit_seen_claims", []))
        self.declared_claims |= set(output.get("dnnkit_declared_claims", []))

    def finalize(self, meta: dict) -> None:
        """Sort records by claim id (xdist order is arbitrary) and add BH q-values and Holm p-values across them."""
        adjust_across(self.records)
        self.meta = {**meta, "claims_run": len(self.records),
                     "untested_claims": sorted(self.declared_claims - self.seen_claims) if self.seen_claims else []}

    def write(self, results_dir: str) -> None:
        write_results(results_dir, self.records, self.meta)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput") or not self.records:
            return
        self.finalize(provenance(self.config, resolve_device(self.config)))
        results_dir = self.config.getoption("--results-dir")
        if results_dir:
            self.write(results_dir)

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        if hasattr(config, "workerinput"):
            return
        if not self.records:
            if config.getoption("--results-dir"):
                # Say so rather than leave an old results/ looking fresh.
                terminalreporter.write_line(f"dnnkit: no claim test ran, nothing written to "
                                            f"{config.getoption('--results-dir')}/", yellow=True)
            return
        print_claims(self.records, self.meta)
        results_dir = config.getoption("--results-dir")
        if results_dir:
            terminalreporter.write_line(f"dnnkit: evidence written to {results_dir}/ (claims.md, claims.json, runs.csv)")
            for line in plots_or_hint(results_dir).splitlines():
                terminalreporter.write_line(line)
