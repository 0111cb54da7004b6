"""The schema's knobs for adopting a live database (issue 13), on golden packages: columns kept
current by every update (``on_update``), constraints named by the schema, foreign keys'
``on_update`` actions and their caches."""
