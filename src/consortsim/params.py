"""Every model parameter, declared once: unit, bounds, default, description and source.

The scenario schema (``config.py``), ``consortsim params`` and the parameter table in
``docs/ODD.md`` are all generated from the declarations below. To add a parameter, add it
here and read it in the one mechanism that uses it.

Evidence tags follow ``domain-evidence.md`` section 0:
``seed`` (one of the five source texts), ``peer-reviewed``, ``government``, ``grey``
(grey literature, ranges only) and ``assumption`` (no direct empirical number: varied in
sensitivity analysis and chosen by calibration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Evidence = Literal["seed", "peer-reviewed", "government", "grey", "assumption"]
EVIDENCE_TAGS: tuple[str, ...] = ("seed", "peer-reviewed", "government", "grey", "assumption")


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes:
        default: value used when a scenario does not set it.
        unit: unit of measure, in words ("/year", "months", "USD", "fraction").
        low: smallest allowed value (inclusive).
        high: largest allowed value (inclusive).
        description: what the parameter does, in one sentence.
        source: where the default and range come from.
        evidence: one of EVIDENCE_TAGS.
        integer: whether the value must be a whole number.
    """

    default: float | int | bool | str
    unit: str
    low: float | None
    high: float | None
    description: str
    source: str
    evidence: Evidence
    integer: bool = False
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> type:
        """The Python type a value of this parameter must have."""
        if self.choices:
            return str
        if isinstance(self.default, bool):
            return bool
        return int if self.integer else float


def _p(default, unit, low, high, description, source, evidence, **kw) -> Param:  # noqa: ANN001
    return Param(default, unit, low, high, description, source, evidence, **kw)


# Parameters of the consortium's mechanisms, one section per mechanism module.
SECTIONS: dict[str, dict[str, Param]] = {
    "grant_cycle": {
        "spend_ramp_months": _p(
            12, "months", 1, 36,
            "Months after a grant starts before spending reaches its full monthly rate "
            "(smooth S-shaped ramp).",
            "OIG STR report: a third of a 2-year grant unspent (domain-evidence 2.7); "
            "RCORP 6-18 months", "government", integer=True),
        "apply_lead_months": _p(
            9, "months", 0, 24,
            "How long before the last grant ends the lead starts applying for a successor.",
            "domain-evidence 2.7 (sustainability steps during the grant)", "assumption",
            integer=True),
        "application_interval_months": _p(
            6, "months", 1, 24,
            "Months between applications while no successor grant is secured.",
            "funding-environment assumption (domain-evidence 2.16)", "assumption",
            integer=True),
        "success_min": _p(
            0.0, "probability", 0.0, 1.0,
            "Odds of an award for a lead with no grant-writing capacity or track record.",
            "no empirical award rates found (domain-evidence 7)"
            "; calibrated (docs/calibration.md)", "assumption"),
        "success_max": _p(
            0.85, "probability", 0.0, 1.0,
            "Odds of an award for an experienced, committed, well-resourced lead with a "
            "track record.",
            "domain-evidence 2.18: 0.2-0.6 per application; seed 001 "
            "'capacity for continued grant-getting'; calibrated (docs/calibration.md)",
            "assumption"),
        "vacancy_penalty": _p(
            0.45, "multiplier", 0.0, 1.0,
            "Factor on award odds while the lead's leader seat or coordinator is vacant "
            "or the new leader is ramping up.",
            "seed 001 (delays from leadership turnover); domain-evidence 2.2"
            "; calibrated (docs/calibration.md)", "assumption"),
        "successor_amount_share": _p(
            0.5, "fraction", 0.0, 2.0,
            "Yearly amount of a successor award as a share of the first grant's.",
            "HCAP: post-grant funding usually smaller (domain-evidence 2.7)", "assumption"),
        "successor_months": _p(
            24, "months", 6, 120,
            "Duration of a successor award.", "STR 24 months (domain-evidence 2.7)",
            "government", integer=True),
        "diversified_streams": _p(
            0, "count", 0, 8,
            "Small independent funding streams (foundation, county, hospital community "
            "benefit, settlement) the lead cultivates; each renews yearly on its own draw.",
            "HCAP 3.9 vs 3.0 sources; seed 002 pillar 7", "government", integer=True),
        "stream_amount_share": _p(
            0.2, "fraction", 0.0, 1.0,
            "Yearly amount of each diversified stream as a share of the first grant's.",
            "seed 002 (several smaller streams); calibrated (docs/calibration.md)", "assumption"),
        "stream_renewal": _p(
            0.95, "probability", 0.0, 1.0,
            "Yearly renewal odds of each diversified stream.",
            "nonprofit revenue diversification (domain-evidence 2.7)"
            "; calibrated (docs/calibration.md)", "assumption"),
        "bridge_months": _p(
            0, "months", 0, 36,
            "Bridge funding after the last grant ends (0 = none), at bridge_share of its rate.",
            "Georgia 1-year bridge; STR no-cost extensions (domain-evidence S11)", "grey",
            integer=True),
        "bridge_share": _p(
            0.5, "fraction", 0.0, 1.0,
            "Bridge funding's monthly amount as a share of the last grant's.",
            "domain-evidence S11", "assumption"),
    },
    "turnover": {
        "hazard_scale": _p(
            1.0, "multiplier", 0.25, 3.0,
            "Multiplies every sector's yearly leader turnover rate.",
            "workshop knob; sector rates from domain-evidence 2.2", "assumption"),
        "burnout_gain": _p(
            1.0, "multiplier", 0.0, 4.0,
            "Extra hazard per unit of utilisation above 0.9 (staff stretched to the limit).",
            "Murphy 2022; Lombardi 2025 (burnout OR 1.54); seed 000", "peer-reviewed"),
        "funding_stress_gain": _p(
            0.5, "multiplier", 0.0, 3.0,
            "Extra hazard when the agency's reserves cover less than a month of costs.",
            "domain-evidence 2.15 (capability trap)", "assumption"),
        "vacancy_months": _p(
            6.0, "months", 1.0, 18.0,
            "Mean months a departed leader's seat stays vacant.",
            "executive searches 7-10 months, nurses >2 months (domain-evidence 2.2)", "grey"),
        "personal_retained": _p(
            0.5, "fraction", 0.0, 1.0,
            "Share of personal trust on the agency's ties that survives its leader leaving.",
            "domain-evidence 2.18: 0.1-0.5; seed 004 'resolving door'"
            "; calibrated (docs/calibration.md)", "assumption"),
        "ramp_up_months": _p(
            9, "months", 0, 24,
            "Months a new leader needs before grant-getting and commitment are at full strength.",
            "domain-evidence 2.18: 6-12", "assumption", integer=True),
        "new_commitment_mean": _p(
            0.6, "0-1", 0.0, 1.0,
            "Mean commitment of a newly arrived leader.",
            "seed 001 (leaders differ in commitment)", "assumption"),
        "new_commitment_spread": _p(
            0.25, "0-1", 0.0, 0.5,
            "Half-width of the uniform spread of a new leader's commitment.",
            "seed 001", "assumption"),
        "new_experience_mean": _p(
            0.4, "0-1", 0.0, 1.0,
            "Mean community experience of a newly arrived leader.",
            "HCAP leader experience (domain-evidence 2.11)", "assumption"),
        "coordinator_rate": _p(
            0.2, "/year", 0.0, 1.0,
            "Yearly rate at which the consortium coordinator leaves.",
            "nonprofit staff 18-22%/yr (domain-evidence 2.2)", "grey"),
        "coordinator_vacancy_months": _p(
            5.0, "months", 1.0, 18.0,
            "Mean months to hire a new coordinator.",
            "domain-evidence 2.2 (vacancy durations)", "grey"),
        "coordinator_trust_loss": _p(
            0.5, "fraction", 0.0, 1.0,
            "Share of the lead agency's personal trust lost when the coordinator leaves.",
            "seed 001 'rebuilding'; seed 004 'who the impact person is'", "assumption"),
    },
    "coordination": {
        "meetings_per_year": _p(
            12, "/year", 0, 24,
            "Consortium meetings a year while a funded coordinator is present.",
            "seed 000 and seed 003: monthly meetings", "seed", integer=True),
        "table_size": _p(
            20, "agencies", 4, 200,
            "Largest meeting group: big consortiums meet in workgroups of this size.",
            "PROSPER teams of 8-12; HCAP 22-40 members (domain-evidence 2.1)", "assumption",
            integer=True),
        "trust_gain": _p(
            0.44, "/meeting", 0.0, 0.5,
            "Personal trust gained by two members attending a meeting together "
            "(a share of the distance to full trust).",
            "calibrated to 'a solid year' of trust building (seed 000); 0.05-0.25"
            "; calibrated (docs/calibration.md)",
            "assumption"),
        "trust_decay": _p(
            0.007, "/month", 0.0, 0.2,
            "Monthly decay of personal trust (maintained ties are topped up by contact).",
            "Burt bridge decay gives an upper bound of 0.17 (domain-evidence 2.3)"
            "; calibrated (docs/calibration.md)",
            "assumption"),
        "institutional_decay": _p(
            0.0005, "/month", 0.0, 0.05,
            "Monthly decay of institutional trust (agreements lapse slowly).",
            "domain-evidence 2.3: 0.01-0.05 for embedded ties"
            "; calibrated (docs/calibration.md)", "assumption"),
        "agenda_rate": _p(
            0.1, "/meeting", 0.0, 1.0,
            "How fast the common agenda follows the share of members attending a meeting.",
            "seed 003 collective impact: common agenda", "assumption"),
        "formalisation_rate": _p(
            0.01, "/month", 0.0, 0.2,
            "Share of the gap between personal and institutional trust that written "
            "agreements (MOUs, protocols) convert each month on working ties.",
            "seed 002 pillars 2-4; seed 004 signed agreements", "assumption"),
        "formalisation_threshold": _p(
            0.4, "0-1", 0.0, 1.0,
            "Personal trust a tie needs before partners formalise it.",
            "SPRC collaboration continuum (domain-evidence 2.13)", "assumption"),
        "one_on_one_members": _p(
            2, "members/month", 0, 20,
            "Least-engaged members the coordinator meets one to one each month.",
            "seed 000 'we have had to spend time individually'", "seed", integer=True),
        "one_on_one_gain": _p(
            0.08, "0-1", 0.0, 0.5,
            "Engagement and lead-trust gain from a one-to-one visit.",
            "seed 000 'consistent direct interaction'", "assumption"),
        "meeting_hours_cost": _p(
            0.03, "engagement/meeting", 0.0, 0.2,
            "Engagement cost of a meeting to a member whose staff are stretched.",
            "seed 000 'not everyone has the time to commit'", "assumption"),
        "coordinator_monthly_cost": _p(
            6000.0, "USD/month", 0.0, 50000.0,
            "Cost of the coordinator position (salary and overhead).",
            "seed 003: project manager roles; RCORP budgets", "grey"),
        "external_backbone": _p(
            False, "switch", None, None,
            "The coordinator is funded from outside the grants (a backbone organisation).",
            "seed 003 backbone; domain-evidence S4", "seed"),
        "absorb_rate": _p(
            0.1, "/month", 0.0, 0.5,
            "Monthly chance, at full commitment and infrastructure, that the lead takes the "
            "funded coordinator post into its own budget after the initial grants.",
            "HCAP 'discrete action steps'; CYDS paid staff after support; calibrated "
            "(docs/calibration.md)", "assumption"),
        "unfunded_grace_months": _p(
            3, "months", 0, 24,
            "Months a coordinator keeps working unpaid-for before the position ends.",
            "domain-evidence 2.6 (coordinator as single point of failure)", "assumption",
            integer=True),
    },
    "referrals": {
        "demand_scale": _p(
            1.0, "multiplier", 0.0, 5.0,
            "Multiplies every entry point's monthly arrivals.",
            "scenario input (domain-evidence 2.16)", "assumption"),
        "mat_need_share": _p(
            0.5, "fraction", 0.0, 1.0,
            "Share of arrivals who need MAT (induction or ongoing).",
            "seed 002 service needs", "assumption"),
        "behavioral_need_share": _p(
            0.3, "fraction", 0.0, 1.0,
            "Share of arrivals who need detox or counselling; the rest need recovery support "
            "(peer support, housing, social services).",
            "seed 002 service needs", "assumption"),
        "handoff": _p(
            "referral", "type", None, None,
            "How referrals are handed off: referral only, facilitated (peer navigator), "
            "or ED-initiated buprenorphine with a guaranteed appointment.",
            "D'Onofrio 2015; Rapp 2008", "peer-reviewed",
            choices=("referral", "facilitated", "ed_initiated")),
        "linkage_referral": _p(
            0.37, "probability", 0.0, 1.0,
            "30-day linkage of a referral-only handoff at full trust and free capacity.",
            "D'Onofrio 2015 (37%); Rapp 2008 (38.7%)", "peer-reviewed"),
        "linkage_facilitated": _p(
            0.50, "probability", 0.0, 1.0,
            "30-day linkage of a facilitated handoff.",
            "D'Onofrio 2015 (45%); Rapp 2008 (55%)", "peer-reviewed"),
        "linkage_ed_initiated": _p(
            0.74, "probability", 0.0, 1.0,
            "30-day linkage with ED-initiated buprenorphine and a guaranteed appointment.",
            "D'Onofrio 2015 (78%); 2017 (74% at 2 months)", "peer-reviewed"),
        "trust_floor": _p(
            0.6, "fraction", 0.0, 1.0,
            "Share of the base linkage reached between partners with no trust.",
            "domain-evidence 2.9: g(0)=0.6 [assumption]", "assumption"),
        "cold_weight": _p(
            0.2, "weight", 0.0, 1.0,
            "Routing weight of an agency nobody knows (a cold call).",
            "seed 004 'I would call agencies just at random'"
            "; calibrated (docs/calibration.md)", "assumption"),
        "community_linkage": _p(
            0.10, "probability", 0.0, 1.0,
            "Linkage of people for whom no member offers the needed service.",
            "6-17% MOUD within 30 days after ED overdose (domain-evidence P6)",
            "peer-reviewed"),
        "trust_gain": _p(
            0.025, "/referral", 0.0, 0.3,
            "Personal trust gained, both ways, by a completed referral.",
            "Huxham & Vangen trust-building loop (small wins)"
            "; calibrated (docs/calibration.md)", "assumption"),
        "loss_ratio": _p(
            1.5, "ratio", 1.0, 4.0,
            "Trust lost by a failed referral relative to trust_gain (negative events weigh "
            "more).",
            "Zhu 2023 asymmetry direction; magnitude 1.5-3"
            "; calibrated (docs/calibration.md)", "assumption"),
        "mat_uptake": _p(
            0.6, "fraction", 0.0, 1.0,
            "Share of linked people with a MAT need who start MAT where slots are free.",
            "D'Onofrio 2015 (ED buprenorphine arm)", "assumption"),
        "mat_monthly_exit": _p(
            0.18, "/month", 0.0, 1.0,
            "Monthly share of people on MAT who stop (about 30% retained at 180 days).",
            "MarketScan 29.5% at 180 days; Williams 2020", "grey"),
        "revenue_per_service": _p(
            350.0, "USD", 0.0, 5000.0,
            "Billing revenue of one completed referral at full billing ability.",
            "Medicaid SUD service rates (domain-evidence 2.8)", "assumption"),
        "mat_monthly_revenue": _p(
            250.0, "USD/month", 0.0, 3000.0,
            "Monthly billing revenue of one person on MAT at full billing ability.",
            "Medicaid office-based buprenorphine rates (domain-evidence 2.8)", "assumption"),
    },
    "funding": {
        "slot_cost": _p(
            900.0, "USD/month", 100.0, 10000.0,
            "Monthly staff cost of one service slot.",
            "SUD counsellor salaries (domain-evidence 2.10)", "assumption"),
        "other_revenue_share": _p(
            1.0, "fraction", 0.3, 1.5,
            "Share of an agency's month-0 costs that its own core budget keeps paying.",
            "agency core budgets (domain-evidence 2.7)", "assumption"),
        "caseload_share": _p(
            0.75, "fraction", 0.0, 1.0,
            "Share of month-0 capacity taken by the agency's existing caseload.",
            "capacity-utilisation gap (Mun 2024; domain-evidence 2.10)", "assumption"),
        "hiring_lag_months": _p(
            4.0, "months", 1.0, 24.0,
            "Time constant of growing capacity toward what revenue supports.",
            "vacancies >2 months (Knudsen 2011); Oklahoma slow recruitment",
            "peer-reviewed"),
        "cut_lag_months": _p(
            3.0, "months", 1.0, 24.0,
            "Time constant of cutting capacity when revenue falls short.",
            "domain-evidence 2.7 (funded positions terminated at grant end)", "assumption"),
        "reserve_runway_months": _p(
            18.0, "months", 1.0, 60.0,
            "Months over which an agency is willing to spend down reserves to keep capacity.",
            "domain-evidence 2.7 (cash reserve months)", "assumption"),
        "billing_growth": _p(
            0.04, "/month", 0.0, 0.5,
            "Monthly growth of billing ability toward its ceiling once billing is built up.",
            "RCORP-I billing training; 6-18 months to mature (domain-evidence 2.8)",
            "assumption"),
        "billing_ceiling": _p(
            0.0, "fraction", 0.0, 1.0,
            "Extra billable share members can reach by building billing capacity (0 = none).",
            "seed 000 'expanding the capacity to bill'; GAO-20-616", "assumption"),
        "pooled_share": _p(
            0.0, "fraction", 0.0, 0.3,
            "Share of members' monthly surplus paid into a pooled fund (0 = no pool).",
            "seed 002 pooled funds", "seed"),
    },
    "engagement": {
        "adjust_rate": _p(
            0.08, "/month", 0.0, 1.0,
            "How fast engagement follows the balance of benefit and cost.",
            "domain-evidence 2.5 (eta)", "assumption"),
        "referral_weight": _p(
            0.35, "weight", 0.0, 1.0,
            "Weight of completed referrals (sent and received) in perceived benefit.",
            "seed 004 reciprocity", "assumption"),
        "funds_weight": _p(
            0.25, "weight", 0.0, 1.0,
            "Weight of funds passed through the consortium in perceived benefit.",
            "seed 000 'benefit agencies aside from the lead agency'", "assumption"),
        "alignment_weight": _p(
            0.3, "weight", 0.0, 1.0,
            "Weight of mission alignment (1 - belief distance) and the common agenda.",
            "seed 000 'see themselves as part of the solution'; seed 003", "seed"),
        "appreciation_weight": _p(
            0.2, "weight", 0.0, 1.0,
            "Weight of attending meetings and one-to-one attention.",
            "seed 000 'show appreciation for members' input'", "seed"),
        "exit_threshold": _p(
            0.2, "0-1", 0.0, 1.0,
            "Engagement below which a member starts to consider leaving.",
            "domain-evidence 2.5", "assumption"),
        "exit_months": _p(
            6, "months", 1, 36,
            "Months below the threshold before a member leaves.",
            "domain-evidence 2.5", "assumption", integer=True),
        "referral_norm": _p(
            4.0, "referrals/month", 0.1, 100.0,
            "Completed referrals a month at which the referral benefit is full.",
            "seed 004 reciprocity", "assumption"),
        "stretched_utilisation": _p(
            0.8, "fraction", 0.0, 2.0,
            "Utilisation above which meeting time costs a member engagement.",
            "seed 000 'a workforce already stretched to the limit'", "assumption"),
        "engaged_threshold": _p(
            0.4, "0-1", 0.0, 1.0,
            "Engagement at which a member counts as engaged (attends, refers).",
            "HCAP 'active members' (domain-evidence 2.5)", "assumption"),
    },
    "recruitment": {
        "network_rate": _p(
            0.08, "/month", 0.0, 1.0,
            "Monthly chance a prospect is approached through a member who knows it, per "
            "unit of trust on that tie.",
            "seed 000: members' networks are most productive", "seed"),
        "cold_rate": _p(
            0.02, "/month", 0.0, 1.0,
            "Monthly chance the lead cold-calls a prospect in an uncovered critical sector.",
            "seed 004 cold calling", "assumption"),
        "events_per_year": _p(
            1, "/year", 0, 12,
            "Community events where the lead meets prospects of every sector.",
            "seed 004 events with many tables", "seed", integer=True),
        "event_reach": _p(
            0.3, "probability", 0.0, 1.0,
            "Chance a prospect is reached at an event.",
            "seed 004", "assumption"),
        "acceptance": _p(
            0.5, "probability", 0.0, 1.0,
            "Chance an approached prospect with no belief distance joins.",
            "seed 000 (agencies join when they see themselves as part of the solution)",
            "assumption"),
        "belief_penalty": _p(
            1.0, "multiplier", 0.0, 2.0,
            "How strongly belief distance lowers acceptance (law enforcement, faith).",
            "seed 000: law enforcement and faith-based hard to recruit", "seed"),
        "join_engagement": _p(
            0.5, "0-1", 0.0, 1.0,
            "Engagement of a newly joined member.", "domain-evidence 2.4", "assumption"),
    },
    "sustain": {
        "critical_share": _p(
            0.5, "fraction", 0.0, 1.0,
            "Share of critical sectors that must have an engaged member for the consortium "
            "to count as sustained.",
            "HCAP definition: >=3 organisations on >=1 goal (domain-evidence P1)", "government"),
        "min_engaged": _p(
            3, "members", 1, 100,
            "Engaged members below which the consortium is not functioning.",
            "HCAP: at least 3 organisations still collaborating", "government", integer=True),
        "dissolve_after_months": _p(
            6, "months", 1, 36,
            "Consecutive months without a meeting, or below min_engaged, after which the "
            "consortium has dissolved.",
            "domain-evidence P1 (still working)", "assumption", integer=True),
    },
}


@dataclass(frozen=True)
class SectorColumn:
    """A per-sector parameter: one declaration, one default per sector."""

    unit: str
    low: float
    high: float
    description: str
    source: str
    evidence: Evidence


SECTORS: tuple[str, ...] = (
    "hospital", "emergency_department", "mat_clinic", "behavioral_health", "primary_care",
    "peer_recovery", "harm_reduction", "law_enforcement", "corrections", "faith",
    "social_services", "public_health", "pharmacy", "prevention",
)

NEEDS: tuple[str, ...] = ("mat", "behavioral", "recovery_support")

SECTOR_COLUMNS: dict[str, SectorColumn] = {
    "leader_turnover": SectorColumn(
        "/year", 0.0, 1.0, "Yearly rate at which the agency's consortium leader leaves.",
        "domain-evidence 2.2 table (ACHE, Eby 2010, Li & Brown 2019, Newman 2014, "
        "Daring to Lead)", "peer-reviewed"),
    "entry_rate": SectorColumn(
        "people/month", 0.0, 200.0,
        "People with opioid use disorder arriving at one agency of this sector each month.",
        "seed 002 entry points; scale is a scenario input", "assumption"),
    "billing": SectorColumn(
        "fraction", 0.0, 1.0, "Share of the agency's services that it can bill for.",
        "domain-evidence 2.8 (Medicaid coverage by service)", "assumption"),
    "belief_distance": SectorColumn(
        "0-1", 0.0, 1.0, "Distance of the sector's beliefs from a treatment-first agenda.",
        "seed 000: law enforcement and faith-based difficult to recruit", "seed"),
    "offers_mat": SectorColumn(
        "0/1", 0.0, 1.0, "Whether the sector receives referrals for MAT.",
        "seed 002 service map", "seed"),
    "offers_behavioral": SectorColumn(
        "0/1", 0.0, 1.0, "Whether the sector receives referrals for detox and counselling.",
        "seed 002 service map", "seed"),
    "offers_recovery_support": SectorColumn(
        "0/1", 0.0, 1.0,
        "Whether the sector receives referrals for peer support, housing and social needs.",
        "seed 002 service map", "seed"),
    "mat_slot_ratio": SectorColumn(
        "slots/slot", 0.0, 10.0,
        "MAT slots per service slot for sectors that offer MAT (people one prescriber "
        "slot can keep on treatment).",
        "Mun 2024: 30 patients per prescriber as a conservative cap", "peer-reviewed"),
}

# Default per-sector values; columns in SECTOR_COLUMNS order.
_SECTOR_TABLE: dict[str, tuple[float, ...]] = {
    #                      turn  entry bill  belief mat beh rec  mat_ratio
    "hospital":            (0.17, 2.0, 0.80, 0.20, 1, 1, 0, 1.0),
    "emergency_department": (0.20, 6.0, 0.80, 0.20, 0, 1, 0, 0.0),
    "mat_clinic":          (0.23, 1.0, 0.70, 0.05, 1, 1, 0, 3.0),
    "behavioral_health":   (0.23, 1.5, 0.70, 0.10, 1, 1, 1, 1.0),
    "primary_care":        (0.13, 2.0, 0.80, 0.20, 1, 0, 0, 2.0),
    "peer_recovery":       (0.25, 1.0, 0.25, 0.05, 0, 0, 1, 0.0),
    "harm_reduction":      (0.20, 4.0, 0.10, 0.15, 0, 0, 1, 0.0),
    "law_enforcement":     (0.22, 3.0, 0.00, 0.60, 0, 0, 0, 0.0),
    "corrections":         (0.17, 2.0, 0.00, 0.50, 0, 0, 0, 0.0),
    "faith":               (0.09, 0.5, 0.00, 0.50, 0, 0, 1, 0.0),
    "social_services":     (0.12, 1.0, 0.20, 0.20, 0, 0, 1, 0.0),
    "public_health":       (0.10, 1.0, 0.30, 0.15, 0, 0, 0, 0.0),
    "pharmacy":            (0.12, 1.0, 0.60, 0.30, 0, 0, 0, 0.0),
    "prevention":          (0.12, 0.5, 0.00, 0.20, 0, 0, 0, 0.0),
}

SECTOR_DEFAULTS: dict[str, dict[str, float]] = {
    sector: dict(zip(SECTOR_COLUMNS, row, strict=True)) for sector, row in _SECTOR_TABLE.items()
}

SECTOR_TURNOVER_SOURCES: dict[str, str] = {
    "hospital": "hospital CEOs 13-20%/yr (ACHE)",
    "emergency_department": "hospital executives, upper range (ACHE) [assumption for ED directors]",
    "mat_clinic": "SUD clinical supervisors 23.4% (Eby 2010)",
    "behavioral_health": "SUD clinical supervisors 23.4% (Eby 2010)",
    "primary_care": "hospital executives, lower range (ACHE) [assumption]",
    "peer_recovery": "peer specialists, intent to leave (Lombardi 2025) [unverified as turnover]",
    "harm_reduction": "nonprofit directors 9-22% (Daring to Lead) [assumption]",
    "law_enforcement": "police chiefs, 4-6 year tenure (Li & Brown 2019)",
    "corrections": "police chief range, lower end [assumption]",
    "faith": "nonprofit directors, lower end (Daring to Lead) [assumption]",
    "social_services": "nonprofit executive directors (Daring to Lead)",
    "public_health": "local health department staff 9.9% (Newman 2014)",
    "pharmacy": "nonprofit executive range [assumption]",
    "prevention": "nonprofit executive directors (Daring to Lead)",
}


def annual_to_monthly(rate: float) -> float:
    """Convert a yearly probability to a monthly hazard: 1 - (1 - p)^(1/12)."""
    return 1.0 - (1.0 - rate) ** (1.0 / 12.0)


def iter_params() -> list[tuple[str, Param]]:
    """All section parameters as (dotted path, declaration), in declaration order."""
    return [(f"{s}.{name}", p) for s, params in SECTIONS.items() for name, p in params.items()]


def assumption_paths() -> list[str]:
    """Dotted paths of every numeric parameter tagged as an assumption."""
    return [
        path for path, p in iter_params()
        if p.evidence == "assumption" and p.kind in (int, float)
    ]


def lookup(path: str) -> Param | SectorColumn:
    """The declaration behind a dotted key path such as ``turnover.vacancy_months`` or
    ``sectors.law_enforcement.leader_turnover``.

    Raises:
        KeyError: when the path names no declared parameter.
    """
    parts = path.split(".")
    if len(parts) == 2 and parts[0] in SECTIONS and parts[1] in SECTIONS[parts[0]]:
        return SECTIONS[parts[0]][parts[1]]
    if (len(parts) == 3 and parts[0] == "sectors" and parts[1] in SECTOR_DEFAULTS
            and parts[2] in SECTOR_COLUMNS):
        return SECTOR_COLUMNS[parts[2]]
    raise KeyError(path)
