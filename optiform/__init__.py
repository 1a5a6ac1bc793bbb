"""optiform: which electrolyte formulations to make next, from campaign file to ternary map.

from optiform import Campaign
c = Campaign.create("campaigns/llzt-cse/campaign.toml", store="sqlite:///run.db")
batch = c.propose(6)
"""

from ._version import __version__
from .campaign import Campaign, RecordReport
from .errors import AnalysisError, DataError, OptiformError, SpecError, StoreError, StrategyError
from .space import Space
from .spec import CampaignSpec, load_spec
from .store import Store

__all__ = [
    "AnalysisError",
    "Campaign",
    "CampaignSpec",
    "DataError",
    "OptiformError",
    "RecordReport",
    "Space",
    "SpecError",
    "Store",
    "StoreError",
    "StrategyError",
    "__version__",
    "load_spec",
]
