"""Seeded, stratified selection of rows: the validation split and quick-run subsets."""

from __future__ import annotations

import numpy as np


def stratified_sample(labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Sorted indices of ``count`` rows drawn so that every class keeps its share.

    Class quotas are proportional, rounded by largest remainder so that they add
    up to ``count`` exactly. The same labels, count and seed give the same rows.
    """
    labels = np.asarray(labels)
    if not 0 <= count <= len(labels):
        raise ValueError(f"cannot draw {count} rows from {len(labels)}")
    rng = np.random.default_rng(seed)
    classes, class_counts = np.unique(labels, return_counts=True)
    exact = class_counts * count / len(labels)
    quotas = np.floor(exact).astype(int)
    by_remainder = np.argsort(-(exact - quotas), kind="stable")
    quotas[by_remainder[: count - quotas.sum()]] += 1
    chosen = [
        rng.permutation(np.flatnonzero(labels == label))[:quota]
        for label, quota in zip(classes, quotas, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def split_off(
    labels: np.ndarray, share: float, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, taken): a stratified ``share`` of the rows taken out, the rest kept; both sorted.

    Rows with the same ``groups`` id (e.g. the same text: AG News repeats stories)
    land on the same side, so that a validation split does not hold copies of
    training rows. Groups are drawn stratified by the label of their first row.
    """
    labels = np.asarray(labels)
    if groups is None:
        groups = np.arange(len(labels))
    _, first_rows, group_of_row = np.unique(groups, return_index=True, return_inverse=True)
    count = max(1, round(share * len(first_rows)))
    taken_groups = stratified_sample(labels[first_rows], count, seed)
    is_taken = np.isin(group_of_row, taken_groups)
    return np.flatnonzero(~is_taken), np.flatnonzero(is_taken)
