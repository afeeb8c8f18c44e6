"""What every public listing shares: the faceted FilterSet, full-text search, and the page with
its facets, chips and problems. reforms and recommendations build their listings on it."""
