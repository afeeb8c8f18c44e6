"""The recommendations table of the published datasets (the CSV contract: see
institute.datasets)."""

from institute.datasets.tables import register
from recommendations.datasets.recommendations import RECOMMENDATIONS

register(RECOMMENDATIONS)
