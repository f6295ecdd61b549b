"""Compiled loops over pairs of agencies and over people referred.

The monthly rules live in ``mechanisms/``; these kernels are their inner loops, compiled
with numba because a month's pair-level work is many small steps that NumPy would pay a
call for each. Trust matrices are passed as ``raw`` arrays with their ``scale``
(see ``state.TrustLayer``): true trust = raw * scale. Kernels draw no random numbers:
uniforms come in from the mechanism's named stream.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def meet(raw: np.ndarray, scale: float, attend: np.ndarray, table: np.ndarray, lead: int,
         gain: float) -> None:
    """Raise personal trust of every pair at the same table (the lead sits at all)."""
    idx = np.flatnonzero(attend)
    for a in range(idx.size):
        i = idx[a]
        for b in range(a + 1, idx.size):
            j = idx[b]
            if table[i] == table[j] or i == lead or j == lead:
                t = raw[i, j] * scale
                t += gain * (1.0 - t)
                raw[i, j] = t / scale
                raw[j, i] = t / scale


@njit(cache=True)
def formalise(praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
              members: np.ndarray, table: np.ndarray, lead: int, rate: float,
              threshold: float) -> None:
    """Move part of personal trust into institutional trust on working ties."""
    for a in range(members.size):
        i = members[a]
        for b in range(a + 1, members.size):
            j = members[b]
            if not (table[i] == table[j] or i == lead or j == lead):
                continue
            p = praw[i, j] * pscale
            if p < threshold:
                continue
            inst = iraw[i, j] * iscale
            if p > inst:
                inst += rate * (p - inst)
                iraw[i, j] = inst / iscale
                iraw[j, i] = inst / iscale


@njit(cache=True)
def pair_stats(praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
               members: np.ndarray) -> tuple[float, float, float]:
    """Mean personal and institutional trust, and the share of pairs above 0.5 effective."""
    k = members.size
    if k < 2:
        return 0.0, 0.0, 0.0
    sp = si = dense = 0.0
    for a in range(k):
        i = members[a]
        for b in range(a + 1, k):
            j = members[b]
            p = praw[i, j] * pscale
            q = iraw[i, j] * iscale
            sp += p
            si += q
            if p + q - p * q > 0.5:
                dense += 1.0
    pairs = k * (k - 1) / 2.0
    return sp / pairs, si / pairs, dense / pairs


@njit(cache=True)
def strongest_tie(praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
                  rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For each agency in ``rows``, its strongest effective trust to any in ``cols``."""
    out = np.zeros(rows.size)
    for a in range(rows.size):
        i = rows[a]
        best = 0.0
        for b in range(cols.size):
            j = cols[b]
            p = praw[i, j] * pscale
            q = iraw[i, j] * iscale
            e = p + q - p * q
            if e > best:
                best = e
        out[a] = best
    return out


@njit(cache=True)
def refer(arrivals: np.ndarray, senders: np.ndarray, recv_ptr: np.ndarray,
          recv_idx: np.ndarray, praw: np.ndarray, pscale: float, iraw: np.ndarray,
          iscale: float, capacity: np.ndarray, base_load: np.ndarray, cold: float, link: float,
          floor: float, gain: float, loss: float, u_route: np.ndarray, u_done: np.ndarray,
          referrals_in: np.ndarray, completed_in: np.ndarray, completed_out: np.ndarray,
          mat_in: np.ndarray, mat_need: int, pairs: np.ndarray) -> tuple[int, int, int]:
    """Route every arriving person, decide linkage, update trust both ways.

    ``arrivals[need, s]`` people arrive at ``senders[s]``; the receivers of a need are
    ``recv_idx[recv_ptr[need]:recv_ptr[need + 1]]``. Person ``p`` uses ``u_route[p]`` to
    pick a receiver (weight ``cold`` + effective trust, zero for itself or no capacity)
    and ``u_done[p]`` for linkage. A receiver with no free capacity (capacity beyond its
    ``base_load``) left fails the person. The per-agency counters and ``mat_in`` are the
    month's: they are reset first. Returns (referrals made, completed, people with nobody
    to refer to).
    """
    free = np.maximum(capacity - base_load, 0.0)
    referrals_in[:] = 0.0
    completed_in[:] = 0.0
    completed_out[:] = 0.0
    mat_in[:] = 0.0
    made = 0
    done = 0
    unserved = 0
    person = 0
    for need in range(arrivals.shape[0]):
        lo, hi = recv_ptr[need], recv_ptr[need + 1]
        weights = np.zeros(hi - lo)
        for s_pos in range(senders.size):
            count = arrivals[need, s_pos]
            if count == 0:
                continue
            s = senders[s_pos]
            total = 0.0
            for k in range(lo, hi):
                r = recv_idx[k]
                w = 0.0
                if r != s and capacity[r] > 0.0:
                    p = praw[s, r] * pscale
                    q = iraw[s, r] * iscale
                    w = cold + p + q - p * q
                weights[k - lo] = w
                total += w
            for _ in range(count):
                if total <= 0.0:
                    unserved += 1
                    person += 1
                    continue
                target = u_route[person] * total
                acc = 0.0
                pick = hi - 1
                for k in range(lo, hi):
                    acc += weights[k - lo]
                    if acc > target:
                        pick = k
                        break
                r = recv_idx[pick]
                made += 1
                referrals_in[r] += 1.0
                p = praw[s, r] * pscale
                q = iraw[s, r] * iscale
                trust = p + q - p * q
                ok = free[r] >= 1.0 and u_done[person] < link * (floor + (1.0 - floor) * trust)
                if ok:
                    free[r] -= 1.0
                    done += 1
                    completed_in[r] += 1.0
                    completed_out[s] += 1.0
                    if need == mat_need:
                        mat_in[r] += 1.0
                    pairs[s, r] += 1.0
                    pairs[r, s] += 1.0
                    p += gain * (1.0 - p)
                else:
                    p *= 1.0 - loss
                praw[s, r] = p / pscale
                praw[r, s] = p / pscale
                person += 1
    return made, done, unserved
