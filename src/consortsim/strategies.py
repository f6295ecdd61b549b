"""Sustainability strategies a planner compares: named bundles of parameter changes.

Each strategy says how it acts (which declared parameters it changes, by dotted path) and
why (MODEL.md "Strategies a planner compares"; domain-evidence.md section 5, S1-S14). A
scenario lists strategies by name; an experiment compares them on the same seeds. A value
a scenario sets itself wins over a strategy's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Strategy:
    """A named bundle of parameter changes."""

    name: str
    title: str
    how: str
    source: str
    overrides: dict[str, Any] = field(default_factory=dict)


_ALL = (
    Strategy(
        "succession_planning", "Succession planning",
        "Deputies and documented relationships: vacancies shorten, a new leader ramps up "
        "faster and more of the departing leader's personal trust is handed over.",
        "domain-evidence S1; seed 001 (delays from repeated turnover); Daring to Lead",
        {"turnover.vacancy_months": 2.0, "turnover.personal_retained": 0.6,
         "turnover.ramp_up_months": 3, "turnover.coordinator_vacancy_months": 2.0,
         "turnover.coordinator_trust_loss": 0.25}),
    Strategy(
        "formalised_relationships", "MOUs and shared protocols",
        "Working ties are written down faster, moving personal trust into the "
        "institutional layer that survives turnover.",
        "domain-evidence S5; seed 002 pillars 2-4; seed 004 signed agreements",
        {"coordination.formalisation_rate": 0.05, "coordination.formalisation_threshold": 0.3}),
    Strategy(
        "billing_capacity", "Billing capacity",
        "Coding and billing training: members' billable share grows toward a higher ceiling, "
        "so services earn revenue that outlasts the grant.",
        "domain-evidence S2; seed 000; RCORP-I core activity; GAO-20-616",
        {"funding.billing_ceiling": 0.35, "funding.billing_growth": 0.06}),
    Strategy(
        "diversified_funding", "Diversified funding",
        "Three small streams (foundation, county, hospital community benefit) with "
        "independent yearly renewals beside the federal grant.",
        "domain-evidence S3; HCAP 3.9 vs 3.0 sources; seed 002 pillar 7",
        {"grant_cycle.diversified_streams": 3}),
    Strategy(
        "funded_backbone", "Funded backbone coordinator",
        "A backbone organisation funds the coordinator beyond the grant, so meetings and "
        "one-to-one time go on when the grant ends.",
        "domain-evidence S4; seed 003; CYDS: two-thirds kept paid staff",
        {"coordination.external_backbone": True}),
    Strategy(
        "structured_contact", "More meetings and one-to-one time",
        "Meetings every three weeks and one-to-one time for five members a month.",
        "domain-evidence S13; seed 000; seed 003 'celebrate smaller wins'",
        {"coordination.meetings_per_year": 18, "coordination.one_on_one_members": 5}),
    Strategy(
        "warm_handoffs", "Warm handoffs and peer navigators",
        "Referrals are facilitated by a peer navigator instead of a referral slip.",
        "domain-evidence S8; D'Onofrio 2015; Rapp 2008; seed 002 pillar 4",
        {"referrals.handoff": "facilitated"}),
    Strategy(
        "ed_initiated_bup", "ED-initiated buprenorphine",
        "The emergency department starts buprenorphine and guarantees a next-day appointment.",
        "domain-evidence S8; D'Onofrio 2015 (78% at 30 days); seed 004 24-hour guarantee",
        {"referrals.handoff": "ed_initiated"}),
    Strategy(
        "recruitment_mix", "Recruitment through networks and events",
        "Members' networks are asked for introductions, more cold outreach to uncovered "
        "sectors and four community events a year.",
        "domain-evidence S6; seed 000 'local scavenger hunt'; seed 004",
        {"recruitment.network_rate": 0.15, "recruitment.cold_rate": 0.05,
         "recruitment.events_per_year": 4}),
    Strategy(
        "pooled_fund", "Pooled fund kept by members",
        "Members pay a tenth of their surplus into a pool that keeps the coordinator after "
        "the grant.",
        "seed 002 pooled funds; MODEL.md strategies",
        {"funding.pooled_share": 0.1}),
    Strategy(
        "workforce_retention", "Workforce retention",
        "Pay parity, supervision and climate: leader turnover falls to the best-climate "
        "level and burnout weighs less.",
        "domain-evidence S7; Glisson 2008 (10% vs 22%); Lombardi 2025",
        {"turnover.hazard_scale": 0.6, "turnover.burnout_gain": 0.5}),
    Strategy(
        "bridge_funding", "Bridge funding",
        "A bridge year at half the last grant's rate when the grant ends without a successor.",
        "domain-evidence S11; Georgia 1-year bridge; STR no-cost extensions",
        {"grant_cycle.bridge_months": 12, "grant_cycle.bridge_share": 0.5}),
)

STRATEGIES: dict[str, Strategy] = {s.name: s for s in _ALL}


def strategy_overrides(name: str) -> dict[str, Any]:
    """The parameter changes of a named strategy (a copy)."""
    return dict(STRATEGIES[name].overrides)
