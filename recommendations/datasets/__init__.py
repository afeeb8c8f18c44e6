"""The recommendations, responses and citations tables of the published datasets (the CSV
contract: see institute.datasets)."""

from institute.datasets.tables import register
from recommendations.datasets.citations import CITATIONS
from recommendations.datasets.recommendations import RECOMMENDATIONS
from recommendations.datasets.responses import RESPONSES

register(RECOMMENDATIONS, CITATIONS, RESPONSES)
