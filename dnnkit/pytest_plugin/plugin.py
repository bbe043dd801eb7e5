"""pytest hooks and options of dnnkit (registered through the pytest11 entry point)."""

from __future__ import annotations

import json
import os

import pytest

from ..claims import get_claim, registry
from .fixture import ClaimRun
from .session import EVIDENCE_KEY, ClaimSession

_session_key = pytest.StashKey[ClaimSession]()
_run_key = pytest.StashKey[ClaimRun]()
_bad_claim_key = pytest.StashKey[str]()
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
    config.addinivalue_line("markers", "claim(id): ties a test to a claim of the dnnkit registry")
    threads = config.getoption("--torch-threads")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    seeds = config.getoption("--seeds")
    if seeds is not None and seeds < 2:
        raise pytest.UsageError(f"--seeds {seeds} is not allowed: a verdict needs at least 2 seeds per arm")
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


def _workers_option(config: pytest.Config) -> int | None:
    """--ensemble-workers as a count, None for 'auto'; anything else is a usage error."""
    choice = str(config.getoption("--ensemble-workers", default="auto"))
    if choice == "auto":
        return None
    if not choice.isdigit() or int(choice) < 1:
        raise pytest.UsageError(f"--ensemble-workers {choice} is not allowed: give 'auto' or an integer >= 1")
    return int(choice)


def resolve_ensemble_workers(config: pytest.Config, device: str) -> int:
    """--ensemble-workers resolved: a count >= 1, or for 'auto' the usable cores when nothing else splits them."""
    choice = _workers_option(config)
    if choice is not None:
        return choice
    import multiprocessing

    serial = not hasattr(config, "workerinput") and config.getoption("numprocesses", default=None) in (None, 0)
    if (not serial or device != "cpu" or config.getoption("--torch-threads") != 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    from ..provenance import usable_cores

    return usable_cores()


def resolve_device(config: pytest.Config) -> str:
    """--device resolved (dnnkit.claimrun.resolve_device, as the exercises do): 'auto' is CUDA when available, else
    CPU; asking for CUDA without one is a usage error."""
    from ..claimrun import resolve_device as resolve

    try:
        return resolve(config.getoption("--device", default="auto"))
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    bad, seen, xfailed = [], set(), []
    for item in items:
        for mark in item.iter_markers("claim"):
            claim_id = mark.args[0] if mark.args else None
            if claim_id not in registry():
                bad.append((item, claim_id))
            seen.add(claim_id)
        if item.get_closest_marker("claim") and item.get_closest_marker("xfail"):
            xfailed.append(item)
    if xfailed:
        if hasattr(config, "workerinput"):
            for item in xfailed:
                item.stash[_bad_claim_key] = _XFAIL_REFUSED.format(nodeid=item.nodeid)
        else:
            lines = "\n  ".join(item.nodeid for item in xfailed)
            raise pytest.UsageError(f"claim tests marked xfail (refused, strict or not):\n  {lines}\n"
                                    + _XFAIL_REFUSED.format(nodeid="each of them"))
    if bad:
        known = ", ".join(sorted(registry()))
        if hasattr(config, "workerinput"):
            # A UsageError raised in an xdist worker crashes it and loses the message: fail those tests instead.
            for item, claim_id in bad:
                item.stash[_bad_claim_key] = f"unknown claim id {claim_id!r}; known ids: {known}"
        else:
            lines = "\n  ".join(f"{item.nodeid}: unknown claim id {claim_id!r}" for item, claim_id in bad)
            raise pytest.UsageError(f"tests marked with unknown claims:\n  {lines}\nknown ids: {known}")
    config.stash[_session_key].seen_claims |= seen
    if hasattr(config, "workeroutput"):
        config.workeroutput["dnnkit_seen_claims"] = sorted(seen)


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


@pytest.fixture(scope="session")
def data_seed(request: pytest.FixtureRequest) -> int:
    """Seed of the data split (train/validation draws): the seed base, so a fresh base is a fresh split too."""
    return request.config.getoption("--seed-base")


@pytest.fixture
def claim(request: pytest.FixtureRequest) -> ClaimRun:
    """The ClaimRun of the test's `@pytest.mark.claim(id)`: seeds, sizes, training and decisions."""
    mark = request.node.get_closest_marker("claim")
    if mark is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses the `claim` fixture without @pytest.mark.claim(id)")
    config = request.config
    device = resolve_device(config)
    run = ClaimRun(get_claim(mark.args[0]), profile=config.getoption("--profile"), n_seeds=config.getoption("--seeds"),
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
