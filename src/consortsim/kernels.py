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
def by_table(agencies: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``agencies`` (ascending indices) grouped by table, keeping their order within a
    table, and where each table's group ends. Working pairs are the pairs within a group
    and every pair with the lead, who sits at every table."""
    keys = table[agencies]
    grouped = agencies
    for a in range(1, keys.size):
        if keys[a] < keys[a - 1]:  # not grouped already (named agencies are shuffled)
            grouped = agencies[np.argsort(keys, kind="mergesort")]
            break
    ends = np.empty(grouped.size, dtype=np.int64)
    groups = 0
    for a in range(1, grouped.size + 1):
        if a == grouped.size or table[grouped[a]] != table[grouped[a - 1]]:
            ends[groups] = a
            groups += 1
    return grouped, ends[:groups]


MEET, FORMALISE = 0, 1  # what ``_working_pairs`` does to each pair


@njit(cache=True)
def _on_pair(what: int, i: int, j: int, praw: np.ndarray, pscale: float, iraw: np.ndarray,
             iscale: float, rate: float, threshold: float) -> None:
    if what == MEET:  # personal trust gains ``rate`` of its distance to full trust
        t = praw[i, j] * pscale
        t += rate * (1.0 - t)
        praw[i, j] = t / pscale
        praw[j, i] = t / pscale
        return
    p = praw[i, j] * pscale  # FORMALISE: institutional trust moves toward personal
    if p < threshold:
        return
    inst = iraw[i, j] * iscale
    if p > inst:
        inst += rate * (p - inst)
        iraw[i, j] = inst / iscale
        iraw[j, i] = inst / iscale


@njit(cache=True)
def _working_pairs(what: int, agencies: np.ndarray, table: np.ndarray, lead: int,
                   praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
                   rate: float, threshold: float) -> None:
    """``_on_pair`` for each pair of ``agencies`` (ascending indices) who work together:
    the pairs at one table, and every pair with the lead, who sits at every table."""
    grouped, ends = by_table(agencies, table)
    has_lead = False
    for i in grouped:
        if i == lead:
            has_lead = True
    if has_lead:
        for i in grouped:
            if i != lead:
                _on_pair(what, i, lead, praw, pscale, iraw, iscale, rate, threshold)
    start = 0
    for end in ends:
        for a in range(start, end):
            i = grouped[a]
            if i == lead:
                continue
            for b in range(a + 1, end):
                j = grouped[b]
                if j != lead:
                    _on_pair(what, i, j, praw, pscale, iraw, iscale, rate, threshold)
        start = end


@njit(cache=True)
def meet(raw: np.ndarray, scale: float, attend: np.ndarray, table: np.ndarray, lead: int,
         gain: float) -> None:
    """Raise personal trust of every pair at the same table (the lead sits at all)."""
    _working_pairs(MEET, np.flatnonzero(attend), table, lead, raw, scale, raw, scale, gain,
                   0.0)


@njit(cache=True)
def formalise(praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
              members: np.ndarray, table: np.ndarray, lead: int, rate: float,
              threshold: float) -> None:
    """Move part of personal trust into institutional trust on working ties."""
    _working_pairs(FORMALISE, members, table, lead, praw, pscale, iraw, iscale, rate,
                   threshold)


@njit(cache=True)
def pair_stats(praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
               members: np.ndarray) -> tuple[float, float, float]:
    """Mean personal and institutional trust, and the share of pairs above 0.5 effective.

    Sums run in four interleaved partial sums per agency (a fixed order, so the result is
    the same on every machine), which lets the loop run four pairs at a time.
    """
    k = members.size
    if k < 2:
        return 0.0, 0.0, 0.0
    sp = si = 0.0
    dense = 0
    for a in range(k):
        i = members[a]
        p0 = p1 = p2 = p3 = q0 = q1 = q2 = q3 = 0.0
        d = 0
        b = a + 1
        while b + 3 < k:
            j0, j1, j2, j3 = members[b], members[b + 1], members[b + 2], members[b + 3]
            x0, x1, x2, x3 = praw[i, j0], praw[i, j1], praw[i, j2], praw[i, j3]
            y0, y1, y2, y3 = iraw[i, j0], iraw[i, j1], iraw[i, j2], iraw[i, j3]
            p0 += x0
            p1 += x1
            p2 += x2
            p3 += x3
            q0 += y0
            q1 += y1
            q2 += y2
            q3 += y3
            for x, y in ((x0, y0), (x1, y1), (x2, y2), (x3, y3)):
                p, q = x * pscale, y * iscale
                d += p + q - p * q > 0.5
            b += 4
        while b < k:
            j = members[b]
            x, y = praw[i, j], iraw[i, j]
            p0 += x
            q0 += y
            p, q = x * pscale, y * iscale
            d += p + q - p * q > 0.5
            b += 1
        sp += (p0 + p1) + (p2 + p3)
        si += (q0 + q1) + (q2 + q3)
        dense += d
    pairs = k * (k - 1) / 2.0
    return sp * pscale / pairs, si * iscale / pairs, dense / pairs


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


BUCKETS_PER_CELL = 4


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
    # Where to start looking: ``first[b]`` is the first cell whose running sum passes the
    # lower edge of bucket b of BUCKETS_PER_CELL x cells equal buckets, so a person's cell
    # is found by a step or two from there instead of a binary search.
    buckets = BUCKETS_PER_CELL * cells
    first = np.empty(buckets, dtype=np.int64)
    k = 0
    for b in range(buckets):
        edge = b * total / buckets
        while k < cells and cumulative[k] <= edge:
            k += 1
        first[b] = k
    for p in range(u_cell.size):
        x = u_cell[p] * total
        k = first[min(int(u_cell[p] * buckets), buckets - 1)]
        while k > 0 and cumulative[k - 1] > x:  # (rounding near a bucket's edge)
            k -= 1
        while k < cells and cumulative[k] <= x:  # the first cell whose sum passes x
            k += 1
        k = min(k, cells - 1)
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
    linkage. People are handled entry agency by entry agency and, at each, need by need
    (so each agency's row of trust is read once a month). The
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
    running = np.zeros(recv_idx.size)  # running total of the weights of one need's receivers
    open_ = np.empty(recv_idx.size)  # 1 where the receiver has any capacity this month
    for k in range(recv_idx.size):
        open_[k] = 1.0 if capacity[recv_idx[k]] > 0.0 else 0.0
    for s_pos in range(senders.size):
        s = senders[s_pos]
        prow, irow = praw[s], iraw[s]
        for need in range(counts.shape[0]):
            count = counts[need, s_pos]
            if count == 0:
                continue
            lo, hi = recv_ptr[need], recv_ptr[need + 1]
            total = 0.0
            for k in range(lo, hi):
                r = recv_idx[k]
                p = prow[r] * pscale
                q = irow[r] * iscale
                w = (cold + p + q - p * q) * open_[k] if r != s else 0.0
                total += w
                running[k - lo] = total
            group = running[:hi - lo]
            for _ in range(count):
                u_route, u_done = u[person, 1], u[person, 2]
                person += 1
                if total <= 0.0:
                    if u_done < community:
                        linked_elsewhere += 1
                    continue
                # the first receiver whose running total passes the target
                pick = lo + np.searchsorted(group, u_route * total, side="right")
                r = recv_idx[min(pick, hi - 1)]
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
