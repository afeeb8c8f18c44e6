"""The reforms, responses and citations tables of the published datasets (the CSV contract: see
institute.datasets). The citations table is here because it covers the citations of reforms,
of responses (a reform's) and of recommendations, which the reforms app may read and the
recommendations app may not."""

from institute.datasets.tables import register
from reforms.datasets.citations import CITATIONS
from reforms.datasets.reforms import REFORMS
from reforms.datasets.responses import RESPONSES

register(REFORMS, CITATIONS, RESPONSES)
