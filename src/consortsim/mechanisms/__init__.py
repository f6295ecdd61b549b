"""One module per monthly process of MODEL.md, called in MODEL.md's order by the model.

Each module opens with its rule in prose and its sources, and exposes ``step(model)``.
"""

from consortsim.mechanisms import (
    coordination,
    engagement,
    funding,
    grants,
    recruitment,
    referrals,
    turnover,
)

SCHEDULE = (grants, turnover, coordination, referrals, funding, engagement, recruitment)

__all__ = ["SCHEDULE", "coordination", "engagement", "funding", "grants", "recruitment",
           "referrals", "turnover"]
