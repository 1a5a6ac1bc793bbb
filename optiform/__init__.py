"""optiform: which electrolyte formulations to make next, from campaign file to ternary map.

    from optiform import Campaign
    c = Campaign.create("campaigns/llzt-cse/campaign.toml", store="sqlite:///run.db")
    batch = c.propose(6)
"""

from .campaign import Campaign, RecordReport
from .space import DataError, Space
from .spec import CampaignSpec, SpecError, load_spec
from .store import Store, StoreError

__version__ = "0.1.0"

__all__ = [
    "Campaign",
    "CampaignSpec",
    "DataError",
    "RecordReport",
    "Space",
    "SpecError",
    "Store",
    "StoreError",
    "load_spec",
    "__version__",
]
