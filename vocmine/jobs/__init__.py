"""Jobs that run the whole loop: the scheduled weekly job and its configuration (``weekly``) and
the demo (``demo``, ``demo_data``)."""
