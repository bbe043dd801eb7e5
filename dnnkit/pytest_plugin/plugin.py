"""pytest hooks and options of dnnkit (registered through the pytest11 entry point)."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import pytest

from ..evidence.claims import Claim, Declarations, unknown_claim_message
from .fixture import ClaimRun
from .options import check_options, resolve_device, resolve_ensemble_workers
from .options import workers_option as _workers_option
from .session import EVIDENCE_KEY, ClaimSession

_session_key = pytest.StashKey[ClaimSession]()
_run_key = pytest.StashKey[ClaimRun]()
_bad_claim_key = pytest.StashKey[str]()
_declared_key = pytest.StashKey[Declarations]()
_XFAIL_REFUSED = ("{nodeid}: xfail is refused on a claim test (a non-strict xfail cannot fail, a strict one hides "
                  "the verdict): declare what a run at this scale is expected to decide in the claim, "
                  "Claim(expect=Expect(verdicts=..., why=..., declared=...)), and the harness checks it")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dnnkit", "dnnkit claims")
    group.addoption("--profile", choices=("quick", "full"), default="quick",
                    help="experiment sizes and seeds per claim: quick (CPU, minutes) or full (bigger, GPU-friendly)")
    group.addoption("--seeds", type=int, default=None, help="seeds per arm for every claim (default: the claim's own)")
    group.addoption("--seed-base", type=int, default=0, help="base of every derived seed; rerun on fresh seeds with another")
    group.addoption("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where claims train (auto: cuda if available)")
    group.addoption("--results-dir", default=None,
                    help="write claims.json, claims.md and runs.csv here (default: print the table only)")
    group.addoption("--data-dir", default=None,
                    help="directory with real MNIST (IDX) / CIFAR-10 (python batches) files for the full profile; "
                         "without it the offline stand-ins are used and named as such")
    group.addoption("--torch-threads", type=int, default=1,
                    help="torch intra-op threads per process (1: xdist workers must not oversubscribe the cores)")
    group.addoption("--ensemble-workers", default="auto",
                    help="processes each claim's batched ensemble is split over (auto: the usable cores when "
                         "pytest runs serially on the CPU with 1 torch thread, else 1; xdist already fills the cores)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id or Claim): ties a test to a declared claim (a CLAIMS list of its "
                                       "module or a conftest.py, or the Claim passed here)")
    from . import benchmarks, datasets

    # The data fixtures (digits, mnist1d, ...) are the plugin's, so a user's repository gets them too.
    config.pluginmanager.register(datasets, "dnnkit-datasets")
    # Fingerprint and calibration timings in benchmark JSON (optional hooks: no-op without pytest-benchmark).
    config.pluginmanager.register(benchmarks, "dnnkit-benchmarks")
    # Every option checked first: a bad one stops the run here, not after every claim (or as an INTERNALERROR).
    for warning in check_options(config):
        if not hasattr(config, "workerinput"):
            config.issue_config_time_warning(pytest.PytestConfigWarning(warning), stacklevel=2)
    threads = config.getoption("--torch-threads")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    workers = _workers_option(config)
    if workers is not None and workers > 1 and threads != 1:
        raise pytest.UsageError(f"--ensemble-workers {workers} needs --torch-threads 1 (got {threads}): each "
                                "ensemble process takes one core")
    if workers is not None and workers > 1 and resolve_device(config) != "cpu":
        raise pytest.UsageError(f"--ensemble-workers {workers} forks CPU processes; claims train on "
                                f"{resolve_device(config)} here (use --device cpu, or 1 worker)")
    session = ClaimSession(config)
    config.stash[_session_key] = session
    # The session object carries its own hooks (logreport, xdist node-down, finish, summary).
    config.pluginmanager.register(session, "dnnkit-session")


def _where(config: pytest.Config, file: str) -> str:
    path = Path(file)
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def _claim_id(mark: pytest.Mark) -> object:
    arg = mark.args[0] if mark.args else None
    return arg.id if isinstance(arg, Claim) else arg


def collect_declarations(config: pytest.Config, items: list[pytest.Item]) -> Declarations:
    """The claims this run declares: CLAIMS lists of the conftest.py files and test modules in play, and Claim
    objects passed to markers. dnnkit's own catalog comes in the same way (ablations/conftest.py lists it)."""
    declared = Declarations()
    for plugin in config.pluginmanager.get_plugins():
        # conftest.py files are registered as plugins, so the ones pytest loaded for this run are all here.
        file = getattr(plugin, "__file__", None) if isinstance(plugin, types.ModuleType) else None
        if file and Path(file).name == "conftest.py" and hasattr(plugin, "CLAIMS"):
            declared.add_all(plugin.CLAIMS, f"{_where(config, file)} (CLAIMS)")
    modules = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "CLAIMS"):
            modules.setdefault(module.__file__, module)
    for file, module in sorted(modules.items()):
        declared.add_all(module.CLAIMS, f"{_where(config, file)} (CLAIMS)")
    for item in items:
        for mark in item.iter_markers("claim"):
            if mark.args and isinstance(mark.args[0], Claim):
                declared.add(mark.args[0], f"{item.nodeid} (marker)")
    return declared


def _refuse(config: pytest.Config, failures: list[tuple[pytest.Item, str]], summary: str) -> None:
    """A usage error on the controller; in an xdist worker (where a UsageError crashes it and loses the message)
    the tests concerned fail with the message instead."""
    if hasattr(config, "workerinput"):
        for item, message in failures:
            item.stash[_bad_claim_key] = message
    else:
        raise pytest.UsageError(summary)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    claim_items = [item for item in items if item.get_closest_marker("claim") is not None]
    try:
        declared = collect_declarations(config, items)
    except (TypeError, ValueError) as err:
        _refuse(config, [(item, str(err)) for item in claim_items], str(err))
        declared = Declarations()
    config.stash[_declared_key] = declared
    bad, seen = [], set()
    for item in claim_items:
        for mark in item.iter_markers("claim"):
            claim_id = _claim_id(mark)
            if claim_id not in declared:
                bad.append((item, claim_id))
            seen.add(claim_id)
    xfailed = [item for item in claim_items if item.get_closest_marker("xfail")]
    if xfailed:
        lines = "\n  ".join(item.nodeid for item in xfailed)
        _refuse(config, [(item, _XFAIL_REFUSED.format(nodeid=item.nodeid)) for item in xfailed],
                f"claim tests marked xfail (refused, strict or not):\n  {lines}\n"
                + _XFAIL_REFUSED.format(nodeid="each of them"))
    if bad:
        lines = "\n  ".join(f"{item.nodeid}: unknown claim id {claim_id!r}" for item, claim_id in bad)
        _refuse(config, [(item, unknown_claim_message(claim_id, declared.claims)) for item, claim_id in bad],
                f"tests marked with unknown claims:\n  {lines}\n"
                + unknown_claim_message(bad[0][1], declared.claims))
    state = config.stash[_session_key]
    state.seen_claims |= seen
    state.declared_claims |= set(declared.claims)
    if hasattr(config, "workeroutput"):
        config.workeroutput["dnnkit_seen_claims"] = sorted(seen)
        config.workeroutput["dnnkit_declared_claims"] = sorted(declared.claims)


def pytest_runtest_setup(item: pytest.Item) -> None:
    message = item.stash.get(_bad_claim_key, None)
    if message is not None:
        pytest.fail(message, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield  # an exception from the test body propagates: the test failed on its own terms
    run = item.stash.get(_run_key, None)
    if run is not None:
        failure = run.expectation_failure()
        if failure:
            pytest.fail(failure, pytrace=False)
    return result


@pytest.fixture
def claim(request: pytest.FixtureRequest) -> ClaimRun:
    """The ClaimRun of the test's `@pytest.mark.claim(id)`: seeds, sizes, training and decisions."""
    mark = request.node.get_closest_marker("claim")
    if mark is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses the `claim` fixture without @pytest.mark.claim(id or Claim)")
    config = request.config
    device = resolve_device(config)
    declared = config.stash.get(_declared_key, None) or Declarations()
    run = ClaimRun(declared.get(_claim_id(mark)), profile=config.getoption("--profile"), n_seeds=config.getoption("--seeds"),
                   seed_base=config.getoption("--seed-base"), device=device, nodeid=request.node.nodeid,
                   data_dir=config.getoption("--data-dir"), workers=resolve_ensemble_workers(config, device))
    request.node.stash[_run_key] = run
    return run


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if item.get_closest_marker("claim") is not None and hasattr(report, "wasxfail"):
        # An xfail added at run time (request.applymarker) escapes the collection check, and under xdist a refused
        # one fails in setup: pytest's xfail handling would turn either into "xfailed". Undone here (this wrapper
        # is the outermost), whatever the phase.
        del report.wasxfail
        report.outcome = "failed"
        report.longrepr = _XFAIL_REFUSED.format(nodeid=item.nodeid)
    run = item.stash.get(_run_key, None)
    if run is not None and report.when == "call":
        # user_properties travel with the report to the xdist controller, so no worker writes files itself.
        report.user_properties.append((EVIDENCE_KEY, json.dumps(run.to_record(), allow_nan=False)))
    return report
