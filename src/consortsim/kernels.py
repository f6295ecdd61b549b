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
def poisson_quantile(mean: float, u: float) -> int:
    """The Poisson(``mean``) value whose cumulative probability interval holds ``u``.

    Inverse-transform sampling: one uniform gives one Poisson draw, so a draw can be kept
    for when it is needed without shifting any other number (for means up to about 700).
    """
    if mean <= 0.0:
        return 0
    k = 0
    term = np.exp(-mean)
    cumulative = term
    while u >= cumulative and term > 0.0:
        k += 1
        term *= mean / k
        cumulative += term
    return k


@njit(cache=True)
def arrivals(u_cell: np.ndarray, cumulative: np.ndarray, needs: int) -> np.ndarray:
    """Place each arriving person at a (need, entry agency) cell in proportion to its rate.

    ``cumulative`` is the running sum of the cells' rates (need-major); person ``p`` falls
    in the cell whose interval holds ``u_cell[p]`` x the total. With a Poisson total this
    gives independent Poisson arrivals per cell. Returns counts shaped (needs, senders).
    """
    cells = cumulative.size
    counts = np.zeros(cells, dtype=np.int64)
    total = cumulative[-1] if cells else 0.0
    for p in range(u_cell.size):
        k = min(np.searchsorted(cumulative, u_cell[p] * total, side="right"), cells - 1)
        while k > 0 and cumulative[k] == cumulative[k - 1]:  # rounding at the very top
            k -= 1
        counts[k] += 1
    return counts.reshape(needs, cells // needs)


@njit(cache=True)
def refer(u: np.ndarray, cumulative: np.ndarray, senders: np.ndarray, recv_ptr: np.ndarray,
          recv_idx: np.ndarray, praw: np.ndarray, pscale: float, iraw: np.ndarray,
          iscale: float, capacity: np.ndarray, base_load: np.ndarray, cold: float, link: float,
          floor: float, gain: float, loss: float, community: float,
          referrals_in: np.ndarray, completed_in: np.ndarray, completed_out: np.ndarray,
          mat_in: np.ndarray, mat_need: int, pairs: np.ndarray) -> tuple[int, int, int]:
    """Place, route and link every person arriving this month; update trust both ways.

    Person ``p`` has three uniforms ``u[p]``: its cell (``arrivals``), its receiver and its
    linkage. People are handled need by need and entry agency by entry agency. The
    receivers of a need are ``recv_idx[recv_ptr[need]:recv_ptr[need + 1]]``; a receiver is
    picked with weight ``cold`` + effective trust (zero for the sender itself or an agency
    with no capacity). A receiver with no free capacity (capacity beyond its ``base_load``)
    left fails the person. A person nobody can take links at the ``community`` rate. The
    per-agency counters and ``mat_in`` are the month's: they are reset first.
    Returns (referrals made, completed, people linked by the community route).
    """
    counts = arrivals(u[:, 0], cumulative, recv_ptr.size - 1)
    free = np.maximum(capacity - base_load, 0.0)
    referrals_in[:] = 0.0
    completed_in[:] = 0.0
    completed_out[:] = 0.0
    mat_in[:] = 0.0
    made = 0
    done = 0
    linked_elsewhere = 0
    person = 0
    for need in range(counts.shape[0]):
        lo, hi = recv_ptr[need], recv_ptr[need + 1]
        weights = np.zeros(hi - lo)
        for s_pos in range(senders.size):
            count = counts[need, s_pos]
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
                u_route, u_done = u[person, 1], u[person, 2]
                person += 1
                if total <= 0.0:
                    if u_done < community:
                        linked_elsewhere += 1
                    continue
                target = u_route * total
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
                ok = free[r] >= 1.0 and u_done < link * (floor + (1.0 - floor) * trust)
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
    return made, done, linked_elsewhere
