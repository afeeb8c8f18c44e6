"""What a public page tells other sites and tools about itself: how to cite it (text, BibTeX,
RIS) and what it is (schema.org JSON-LD). Generic: each takes the entry it describes."""
