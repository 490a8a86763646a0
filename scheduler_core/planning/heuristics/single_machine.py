"""Iterated local search for one machine, total weighted tardiness (1 || Σ w_j T_j).

Used by :func:`scheduler_core.planning.heuristic.improve` when the problem has that
structure (one machine, one operation per job, nothing fixed or blocked, every job
released by ``now``). A sequence is evaluated without idle time from ``t0``.

Neighbourhood: every *insertion* move (take the job at position ``i`` and reinsert it at
position ``j``; adjacent interchanges are the ``|i - j| = 1`` case) is evaluated at once
with numpy in O(n²) per step: moving a job shifts the jobs it passes by its processing
time, so for a fixed moved job the cost change of the passed block is a prefix sum over
the sequence. Descent is best-improvement; the local optima are perturbed by a few random
interchanges (the "kick" of iterated dynasearch, Congram, Potts & van de Velde 2002) and
accepted when not worse.
"""

from __future__ import annotations

import random
import time

import numpy as np
import numpy.typing as npt

__all__ = ["ils_weighted_tardiness", "sequence_cost"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def sequence_cost(p: FloatArray, w: FloatArray, d: FloatArray, t0: float, seq: IntArray) -> float:
    """Total weighted tardiness of ``seq`` processed back to back from ``t0``.

    Args:
        p: processing time per job.
        w: weight per job.
        d: due date per job.
        t0: start of the first job.
        seq: job indices in processing order.

    Returns:
        Sum of ``w_j * max(0, C_j - d_j)``.
    """
    c = t0 + np.cumsum(p[seq])
    return float(np.sum(w[seq] * np.maximum(c - d[seq], 0.0)))


def _descent(p: FloatArray, w: FloatArray, d: FloatArray, t0: float, seq: IntArray) -> tuple[IntArray, float]:
    """Best-improvement insertion descent to a local optimum."""
    n = len(seq)
    if n < 2:
        return seq, sequence_cost(p, w, d, t0, seq)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)  # j > i
    lower = upper.T  # j < i
    rows = np.arange(n)
    while True:
        pp = p[seq]
        ww = w[seq]
        dd = d[seq]
        c = t0 + np.cumsum(pp)
        wt = ww * np.maximum(c - dd, 0.0)
        # forward: job at i goes right after position j (j > i); jobs i+1..j finish pp[i] earlier
        x = c[None, :] - pp[:, None] - dd[None, :]
        np.maximum(x, 0.0, out=x)
        x *= ww[None, :]
        x -= wt[None, :]
        s1 = np.cumsum(x, axis=1)
        fwd = ww[:, None] * np.maximum(c[None, :] - dd[:, None], 0.0) - wt[:, None]
        fwd += s1 - s1[rows, rows][:, None]
        fwd[~upper] = np.inf
        # backward: job at i goes to position j (j < i); jobs j..i-1 finish pp[i] later
        y = c[None, :] + pp[:, None] - dd[None, :]
        np.maximum(y, 0.0, out=y)
        y *= ww[None, :]
        y -= wt[None, :]
        s2 = np.cumsum(y, axis=1)
        prev_c = c - pp
        bwd = ww[:, None] * np.maximum(prev_c[None, :] + pp[:, None] - dd[:, None], 0.0) - wt[:, None]
        last = np.concatenate(([0.0], s2[rows[1:], rows[1:] - 1]))  # S2[i, i-1]
        bwd += last[:, None] - s2 + y
        bwd[~lower] = np.inf
        fi = int(np.argmin(fwd))
        bi = int(np.argmin(bwd))
        fval = float(fwd.flat[fi])
        bval = float(bwd.flat[bi])
        if min(fval, bval) >= -0.5:  # integer data: an improvement is at least 1
            break
        if fval <= bval:
            i, j = divmod(fi, n)
            moved = seq[i]
            seq = np.concatenate((seq[:i], seq[i + 1 : j + 1], [moved], seq[j + 1 :]))
        else:
            i, j = divmod(bi, n)
            moved = seq[i]
            seq = np.concatenate((seq[:j], [moved], seq[j:i], seq[i + 1 :]))
    return seq, sequence_cost(p, w, d, t0, seq)


def _kick(seq: IntArray, rng: random.Random, strength: int) -> IntArray:
    """Perturb by ``strength`` random interchanges of nearby jobs."""
    out = seq.copy()
    n = len(out)
    span = max(2, min(n - 1, n // 4))
    for _ in range(strength):
        i = rng.randrange(n)
        j = min(n - 1, max(0, i + rng.randint(-span, span)))
        if i != j:
            out[i], out[j] = out[j], out[i]
    return out


def ils_weighted_tardiness(
    p: list[int],
    w: list[int],
    d: list[int],
    t0: int,
    starts: list[list[int]],
    deadline: float,
    seed: int = 0,
    max_rounds: int | None = None,
) -> tuple[list[int], int, int]:
    """Iterated insertion local search for 1 || Σ w_j T_j.

    Args:
        p: processing times.
        w: weights.
        d: due dates.
        t0: start time of the first job.
        starts: initial sequences (permutations of ``range(len(p))``); each gets a descent.
        deadline: ``time.perf_counter()`` value after which the search stops.
        seed: random seed for the kicks.
        max_rounds: optional cap on perturbation rounds (deterministic stop).

    Returns:
        ``(best sequence, its weighted tardiness, rounds done)``.
    """
    pa = np.asarray(p, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    da = np.asarray(d, dtype=np.float64)
    n = len(p)
    rng = random.Random(seed)
    best: IntArray | None = None
    best_cost = float("inf")
    for s in starts:
        cand, cost = _descent(pa, wa, da, float(t0), np.asarray(s, dtype=np.int64))
        if cost < best_cost:
            best, best_cost = cand, cost
        if time.perf_counter() >= deadline or best_cost == 0:
            break
    assert best is not None
    cur, cur_cost = best, best_cost
    rounds = since_best = 0
    while n > 2 and best_cost > 0 and time.perf_counter() < deadline:
        if max_rounds is not None and rounds >= max_rounds:
            break
        rounds += 1
        strength = 2 + rng.randrange(4)
        cand, cost = _descent(pa, wa, da, float(t0), _kick(cur, rng, strength))
        if cost <= cur_cost:
            cur, cur_cost = cand, cost
        if cost < best_cost:
            best, best_cost, since_best = cand, cost, 0
        else:
            since_best += 1
            if since_best % 100 == 0:  # stagnation: restart from the best
                cur, cur_cost = best, best_cost
    return [int(x) for x in best], round(best_cost), rounds
