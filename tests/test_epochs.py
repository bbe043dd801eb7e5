"""Unit tests of the per-epoch bookkeeping (dnnkit.epochs) that `fit` and every ensemble member share."""

from __future__ import annotations

import math

import pytest
import torch

from dnnkit import data as D
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.train import ensemble as ENS
from dnnkit.train.epochs import EpochBook, EpochRules
from dnnkit.train.training import HIGHER_IS_BETTER, FitConfig, fit, reached_target


def feed(book: EpochBook, val_losses, val_acc=0.5, train_loss=1.0) -> list[bool]:
    """Record one epoch per val_loss; the snapshot is the epoch number, so best_state says which epoch it kept."""
    stops = []
    for epoch, val_loss in enumerate(val_losses, start=len(book.rows) + 1):
        stops.append(book.record(epoch, 0.5, train_loss, val_loss, val_acc, 0.1, None,
                                 snapshot=lambda e=epoch: {"e": e}))
    return stops


def test_patience_counts_epochs_without_improvement_and_keeps_the_best_weights():
    book = EpochBook(EpochRules(patience=2))
    assert feed(book, [1.0, 0.8, 0.9, 0.85]) == [False, False, False, True]
    assert (book.best_epoch, book.best_loss, book.bad_epochs, book.best_state) == (2, 0.8, 2, {"e": 2})
    assert book.best_row["epoch"] == 2 and book.train_time == 2.0 and book.rows[-1]["train_time_s"] == 2.0
    assert book.finish() == {"e": 2} and book.best_epoch == 2


def test_without_early_stopping_no_weights_are_copied_and_no_best_epoch_is_reported():
    for rules in (EpochRules(), EpochRules(patience=3, restore_best=False)):
        book = EpochBook(rules)
        feed(book, [1.0, 0.5, 0.7])
        assert book.best_state is None and book.best_epoch == 2
        assert book.finish() is None and book.best_epoch is None


def test_target_records_the_first_epoch_and_stops_only_when_asked():
    book = EpochBook(EpochRules(target=("val_loss", 0.6)))
    assert feed(book, [1.0, 0.5, 0.4]) == [False, False, False]
    assert book.epochs_to_target == 2.0
    book = EpochBook(EpochRules(target=("val_loss", 0.6), stop_at_target=True))
    assert feed(book, [1.0, 0.5]) == [False, True]


def test_a_non_finite_loss_stops_the_run_before_anything_else_is_updated():
    book = EpochBook(EpochRules(patience=5, target=("val_loss", 10.0)))
    assert feed(book, [1.0, math.nan]) == [False, True]
    assert book.diverged and book.epochs_to_target == 1.0 and len(book.rows) == 2
    assert book.finish() is None and book.best_epoch is None


def test_train_eval_columns_follow_the_others():
    book = EpochBook(EpochRules(eval_train=True))
    book.record(1, 0.1, 1.0, 0.9, 0.5, 0.01, (0.8, 0.6), snapshot=dict)
    assert list(book.rows[0]) == ["epoch", "train_loss", "val_loss", "val_acc", "lr", "train_time_s",
                                  "train_loss_eval", "train_acc"]


def test_checkpointed_bookkeeping_resumes_where_it_was():
    book = EpochBook(EpochRules(patience=3, target=("val_loss", 0.9)))
    feed(book, [1.0, 0.8, 0.85])
    resumed = EpochBook.resume(book.rules, book.checkpointed())
    assert resumed.checkpointed() == book.checkpointed()
    assert EpochBook.resume(book.rules, {}).checkpointed() == EpochBook(book.rules).checkpointed()


def test_fit_config_validates_its_epoch_rules_once_with_the_same_messages():
    with pytest.raises(ValueError, match="FitConfig.patience=0"):
        FitConfig(patience=0)
    with pytest.raises(ValueError, match="FitConfig.target metric 'loss'"):
        FitConfig(target=("loss", 1.0))
    with pytest.raises(ValueError, match="needs eval_train=True"):
        FitConfig(target=("train_acc", 0.9))
    fc = FitConfig(patience=4, restore_best=False, target=("val_acc", 0.9), stop_at_target=True)
    assert fc.epoch_rules() == EpochRules(False, 4, False, ("val_acc", 0.9), True)
    assert not fc.epoch_rules().keep_best and FitConfig(patience=1).epoch_rules().keep_best


def test_training_module_still_exports_the_target_check():
    assert reached_target("val_acc", 0.9, 0.8) and not reached_target("val_loss", 0.9, 0.8)
    assert HIGHER_IS_BETTER["val_acc"] and not HIGHER_IS_BETTER["val_loss"]


def test_ensemble_members_keep_the_best_row_as_fit_does():
    split = D.make_blobs_classification(200, 10, 3, seed=0)
    config = MLPConfig(n_inputs=10, n_outputs=3, depth=1, width=8)
    fc = FitConfig(epochs=12, batch_size=32, lr=0.05, patience=2)
    seeds = [run_seeds(0, "test_epochs", r) for r in range(2)]
    seq = [fit(build_mlp(config, generator=s.generator("init")), split, fc, s) for s in seeds]
    ens = ENS.fit_ensemble(config, split, fc, seeds)
    for a, b in zip(seq, ens, strict=True):
        assert a.best_row is not None and b.best_row is not None
        assert {k: v for k, v in a.best_row.items() if k != "train_time_s"} == \
               {k: v for k, v in b.best_row.items() if k != "train_time_s"}
        assert torch.equal(a.model.head.weight, b.model.head.weight)
