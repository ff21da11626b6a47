"""Canned queries for the everyday questions, offered on every workspace Datasette serves.

Each is plain SQL over the tables of docs/storage.md (``needs`` names the tables it reads, so an
older workspace without one simply does not list it). They run through the same authorizer as
every other query: private columns read as empty.
"""
from __future__ import annotations

from typing import Any

# The newest week of data, not the calendar's: a workspace loaded from an export has no feedback
# "this week", and a question about this week means the latest one the data has.
_LATEST_WEEK = """with last as (
  select max(created_at) as at from feedback where created_at is not null and duplicate_of is null
),
week as (
  select strftime('%Y-%m-%dT%H:%M:%SZ', at, '-7 days') as since, at as until from last
)"""

QUERIES: dict[str, dict[str, Any]] = {
    "complaints_this_week_by_family": {
        "title": "Complaints in the latest week, by topic family",
        "description": "Complaint segments of the last 7 days of feedback (counted back from the newest row), "
                       "grouped by topic family: the parent topic, or the topic itself when it has none. "
                       "customers counts distinct authors; near-duplicates are left out.",
        "needs": ["feedback", "segments", "segment_topics", "topics"],
        "sql": _LATEST_WEEK + """,
placed as (
  select s.id as segment_id, f.author, coalesce(t.parent_id, t.id) as family_id
  from segments s
  join feedback f on f.id = s.feedback_id
  join segment_topics st on st.segment_id = s.id
  join topics t on t.id = coalesce((select merged_into from topics m where m.id = st.topic_id), st.topic_id)
  where s.complaint = 1 and f.duplicate_of is null
    and f.created_at > (select since from week) and f.created_at <= (select until from week)
)
select p.family_id as topic_id,
       coalesce(fam.custom_label, fam.label) as family,
       count(*) as complaints,
       count(distinct p.author) as customers,
       (select since from week) as since,
       (select until from week) as until
from placed p join topics fam on fam.id = p.family_id
group by p.family_id
order by complaints desc, customers desc""",
    },
    "phrase_quotes": {
        "title": "A phrase's quotes",
        "description": "Every redacted segment where a complaint phrase (or a near-synonym in its group) "
                       "occurs, newest first. Type the phrase as vocmine phrases shows it.",
        "needs": ["phrases", "phrase_mentions", "segments", "feedback"],
        "sql": """select p.phrase, m.variant, s.text as quote, f.source, f.product, f.rating, f.created_at,
       f.id as feedback_id, s.id as segment_id
from phrases p
join phrase_mentions m on m.phrase_id = p.id
join segments s on s.id = m.segment_id
join feedback f on f.id = m.feedback_id
where p.group_id = (select coalesce(group_id, id) from phrases where phrase = :phrase order by id limit 1)
   or p.phrase = :phrase
order by f.created_at desc
limit 500""",
    },
    "ticket_feedback": {
        "title": "A ticket's linked feedback",
        "description": "The feedback behind a ticket's accepted links: segments with a linked phrase (any "
                       "phrase of its group) or placed in a linked topic. Type the ticket's key, e.g. NIM-101.",
        "needs": ["tickets", "links", "phrases", "phrase_mentions", "segments", "segment_topics", "feedback"],
        "sql": """with t as (select id from tickets where key = :ticket),
l as (select target_type, target_id from links where ticket_id in (select id from t) and status = 'accepted'),
hits as (
  select m.segment_id, 'phrase' as via, p.phrase as what
  from l join phrases p on l.target_type = 'phrase' and (p.group_id = l.target_id or p.id = l.target_id)
  join phrase_mentions m on m.phrase_id = p.id
  union
  select st.segment_id, 'topic' as via, coalesce(tp.custom_label, tp.label) as what
  from l join segment_topics st on l.target_type = 'topic' and st.topic_id = l.target_id
  join topics tp on tp.id = st.topic_id
)
select h.via, h.what, s.text as quote, f.source, f.product, f.rating, f.created_at,
       f.id as feedback_id, s.id as segment_id
from hits h join segments s on s.id = h.segment_id join feedback f on f.id = s.feedback_id
order by f.created_at desc
limit 1000""",
    },
}
