"""Charts of the public listings (/insights/): each chart counts what its listing's FilterSet
keeps, and is drawn on the server as SVG, with its numbers as a table and a CSV."""
