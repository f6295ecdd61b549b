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
# Each event kind's sentence, from the module that emits it (see consortsim.events).
EVENT_TEXT = {kind: text for module in SCHEDULE
              for kind, text in getattr(module, "EVENT_TEXT", {}).items()}

__all__ = ["EVENT_TEXT", "SCHEDULE", "coordination", "engagement", "funding", "grants",
           "recruitment", "referrals", "turnover"]
