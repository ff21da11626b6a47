"""Act: tickets that fix what customers said. Trackers (GitHub, Jira, Linear, a local file) sync
into one ticket store (``trackers``); ``loop`` links tickets to topics and phrases and turns
shipped fixes into changelog entries."""
