"""Sources and citations: the publications every claim rests on, and where in them."""
