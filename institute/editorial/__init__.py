"""The editorial core: review states, the moves between them, versions and working copies, the
one edit service, the review queue, and the admin they share.

Generic over every editorial model (reforms, recommendations, sources): code here takes the
model it works on as a parameter, or finds the editorial models in the app registry; it never
imports the `reforms` or `recommendations` apps.

- `states`: the review states and the allowed transitions (no models).
- `rights`: who may take a move (`<app>.<verb>_<model>` permissions).
- `models`: the abstract `Editorial` entry, the review log, working copies and versions.
- `versions`: snapshots of an entry, diffs, working copies, recording versions.
- `edits`: saving an edit (the admin, imports, revert and the content loader all call it).
- `moves`: each review move as a small class (check, then execute, then log) and their registry;
  `restore`: reverting to an earlier version, a move too.
- `workflow`: the service functions everything calls (`submit_for_review`, `publish`, ...).
- `queue`: the review queue's selector.
- `forms`, `admin`, `review_admin`: the editorial admin.
"""
