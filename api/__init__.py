"""The public read API under /api/v1/ (Django REST framework, documented by drf-spectacular).

It adds no second definition of anything: the rows are the dataset tables' published rows
(institute.datasets.tables), each record the table's columns (the CSV contract), and the lists
of reforms and recommendations go through their listings' FilterSets (the selectors).
"""
