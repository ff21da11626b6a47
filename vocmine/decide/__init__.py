"""Decide: what customers complain about, grouped so a team can act on it. Taxonomy categories
(``categorize``), embedders and their cache (``embed``), topic discovery (``topics``), the topic
stage with stable ids, edits and families (``topic_stage``), labels (``topic_labels``) and
trends (``trends``)."""
