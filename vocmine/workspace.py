"""The workspace: the notebook facade over one SQLite file that every stage reads from and writes to.

The storage is ``core.store.Store``; each method here calls one stage function with the same
parameters (``tests/test_architecture.py`` checks that they match).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from vocmine.collect import intake
from vocmine.collect.ingest import MAX_CHARS, IngestResult
from vocmine.collect.sources.base import ColumnMap, Source
from vocmine.core import tables
from vocmine.core.dates import now_iso
from vocmine.core.errors import ConfigError
from vocmine.core.store import Store

if TYPE_CHECKING:
    from vocmine.understand.analyze import AnalyzeResult  # pandas is imported lazily: it is slow to import and only results need it
    import pandas as pd

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


def open(path: str | os.PathLike = "vocmine.db", create: bool = True) -> "Workspace":  # noqa: A001 - public API name
    """Return the Workspace stored in ``path``, creating and migrating the file as needed."""
    return Workspace(path, create=create)


class Workspace(Store):
    """One SQLite file holding feedback, analysis, tickets and runs (see docs/storage.md), with a
    method per stage function for notebooks (the storage itself is ``core.store.Store``)."""

    def __repr__(self) -> str:
        return f"<vocmine.Workspace {str(self.path)!r}>"

    def __enter__(self) -> "Workspace":
        return self

    # -- ingestion --------------------------------------------------------------------------

    def ingest(
        self,
        paths: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        *,
        source: str | Source | None = None,
        columns: ColumnMap | dict[str, str] | None = None,
        text: str | None = None, rating: str | None = None, id: str | None = None,  # noqa: A002
        created: str | None = None, author: str | None = None, contact: str | None = None,
        encoding: str | None = None, format: str | None = None,  # noqa: A002
        kind: str = "review", max_chars: int = MAX_CHARS, rating_scale: float | None = None,
        progress: Progress | None = None, **options: Any,
    ) -> IngestResult:
        """Store feedback from files (CSV, TSV, JSON, JSONL, XLSX, text) or from a Source object.

        Returns an IngestResult with counts (inserted, updated, unchanged, duplicates, rejected)
        and one message per rejected row or dropped field. Re-running adds nothing; bad rows go to
        the ``rejects`` table and never stop the rest of the file.
        """
        return intake.ingest(self, paths, source=source, columns=columns, text=text, rating=rating, id=id,
                             created=created, author=author, contact=contact, encoding=encoding, format=format,
                             kind=kind, max_chars=max_chars, rating_scale=rating_scale, progress=progress, **options)

    # -- reading ----------------------------------------------------------------------------

    def feedback(
        self,
        source: str | Sequence[str] | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        language: str | None = None,
        rating: float | Sequence[float] | None = None,
        include_duplicates: bool = True,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
        product: str | Sequence[str] | None = None,
    ) -> "pd.DataFrame":
        """Return feedback rows as a pandas DataFrame, filtered by source, product, time, language and rating.

        ``rating`` is one value or a (low, high) pair; ``since``/``until`` bound ``created_at``.
        The internal ``original_text`` and ``raw`` columns are left out unless named in ``columns``.
        """
        return tables.feedback(self, source, since, until, language, rating, include_duplicates, limit, columns, product)

    def stats(self, *, source: str | Sequence[str] | None = None,
              product: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Return counts: feedback rows, and breakdowns by source, product, language, ISO week,
        rating, kind; NPS and CSAT. ``source``/``product`` (one value or several) slice them."""
        return tables.stats(self, source=source, product=product)

    def search(self, query: str, limit: int = 20, source: str | Sequence[str] | None = None,
               product: str | Sequence[str] | None = None) -> "pd.DataFrame":
        """Return feedback matching ``query`` (full-text; each word also matches as a prefix,
        so "배송" finds "배송이"), best matches first, with a highlighted ``snippet``;
        ``source``/``product`` (one value or several) keep one slice's feedback."""
        return tables.search(self, query, limit, source, product)

    def rejects(self, source: str | None = None) -> "pd.DataFrame":
        """Return the rejects table (rows skipped and fields dropped, with file, row and reason)."""
        return tables.rejects(self, source)

    def runs(self, stage: str | None = None, limit: int = 50) -> "pd.DataFrame":
        """Return the most recent stage runs, newest first."""
        return tables.runs(self, stage, limit)

    # -- understanding ----------------------------------------------------------------------

    def analyze(self, *, sentiment: str | None = None, english_model: str | None = None, reanalyze: bool = False,
                progress: Progress | None = None) -> "AnalyzeResult":
        """Segment, judge and mine phrases in feedback not analysed yet; returns an AnalyzeResult.

        Incremental: a re-run with nothing new does nothing; a changed row is analysed again.
        ``sentiment`` is "lexicon" (default) or a local transformers model directory;
        ``english_model`` an installed spaCy pipeline or directory.
        """
        from vocmine.understand.analyze import analyze

        return analyze(self, sentiment=sentiment, english_model=english_model, reanalyze=reanalyze,
                       progress=progress)

    def segments(self, *, feedback_id: int | None = None, complaint: bool | None = None, lang: str | None = None,
                 limit: int | None = None) -> "pd.DataFrame":
        """Return segments (sentences/clauses with sentiment and complaint flag) as a DataFrame."""
        from vocmine.understand.mentions import segments

        return segments(self, feedback_id=feedback_id, complaint=complaint, lang=lang, limit=limit)

    def phrases(self, *, since: str | None = None, until: str | None = None, lang: str | None = None,
                source: str | None = None, rating: Any = None, min_customers: int = 1,
                limit: int | None = 50, aspect: str | None = None,
                product: str | Sequence[str] | None = None) -> "pd.DataFrame":
        """Return recurring complaint phrases ranked by distinct customers, as a DataFrame.

        Columns: phrase, language, aspect (what it is about, or None), opinion (what is wrong),
        customers, mentions, variants, examples (redacted quotes), share_of_complaints, trend
        (recent 4 weeks vs the 4 before; >1 rising), rating_impact. ``rating`` keeps feedback
        with that rating or range: 1, "1-2", (1, 2); ``aspect`` the phrases about one aspect;
        ``source``/``product`` (one or several) slice the feedback. ``trend`` is NaN when the
        slice spans less than 6 weeks (too little history to compare).
        """
        from vocmine.understand.mentions import phrases

        return phrases(self, since=since, until=until, lang=lang, source=source, rating=rating,
                       min_customers=min_customers, limit=limit, aspect=aspect, product=product)

    def aspects(self, *, since: str | None = None, until: str | None = None, lang: str | None = None,
                source: str | None = None, rating: Any = None, min_customers: int = 1, limit: int | None = 50,
                min_score: float | None = None, taxonomy: Any = None,
                product: str | Sequence[str] | None = None) -> "pd.DataFrame":
        """Return what customers complain about, one row per aspect ("battery life", "배송").

        Columns: aspect, language, category (the taxonomy category whose keywords name it; the
        workspace's taxonomy or ``taxonomy``, a path or dict), customers, mentions,
        complaint_share (share of the segments mentioning it that are complaints), opinions (top
        (opinion, mentions) pairs), phrases, examples, trend, rating_impact, score (log-odds of
        its rate in complaints against the rest of the feedback). Aspects are found from the
        grammar of complaint segments, with no word list; ``min_score`` keeps the aspects at or
        above that score. See docs/aspects.md.
        """
        from vocmine.understand.aspects import aspects

        return aspects(self, since=since, until=until, lang=lang, source=source, rating=rating,
                       min_customers=min_customers, limit=limit, min_score=min_score,
                       taxonomy=taxonomy, product=product)

    def aspect(self, name: str, *, lang: str | None = None, since: str | None = None, until: str | None = None,
               source: str | None = None, quotes: int = 10,
               product: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Return one aspect in detail: its figures, every opinion with its count, its phrases and
        up to ``quotes`` redacted quotes (newest first), within the ``source``/``product`` slice.
        ``ConfigError`` if no complaint names it."""
        from vocmine.understand.aspects import aspect

        return aspect(self, name, lang=lang, since=since, until=until, source=source, quotes=quotes,
                      product=product)

    # -- trends and the loop ------------------------------------------------------------------

    def trends(self, by: str = "topic", *, lang: str | None = None, source: str | Sequence[str] | None = None,
               complaints_only: bool = True, window: int = 8, sigma: float = 2.0,
               product: str | Sequence[str] | None = None, period: str = "week") -> "pd.DataFrame":
        """Return volume, share and sentiment per topic, phrase or category per day, week or month
        (``period``), with spikes flagged; ``source``/``product`` slice the feedback.

        Columns: key, name, period, week (only when ``period`` is "week"), volume (distinct
        feedback), segments, sentiment, share, baseline (mean of the trailing ``window`` periods),
        spike ("up"/"down"/"", only judged with at least 3 earlier periods), new.
        """
        from vocmine.decide.trends import trends

        return trends(self, by, lang=lang, source=source, complaints_only=complaints_only, window=window, sigma=sigma,
                      product=product, period=period)

    def impact(self, by: str = "topic") -> "pd.DataFrame":
        """Return each topic's (phrase's, category's) effect on NPS, CSAT and rating: with vs without it."""
        from vocmine.decide.trends import named_impact

        return named_impact(self, by)

    def suggest_links(self, *, min_score: float = 0.35, taxonomy: Any = None) -> list[dict[str, Any]]:
        """Rank ticket <-> phrase/topic matches (score, evidence), store them as suggestions, return them.

        ``taxonomy`` (a YAML path or dict) defaults to the workspace's accepted one, else the packaged one."""
        from vocmine.act.loop import suggest_links

        return suggest_links(self, min_score=min_score, taxonomy=taxonomy)

    def links(self, status: str | None = None) -> "pd.DataFrame":
        """Return ticket links (suggested, accepted, rejected) as a DataFrame."""
        from vocmine.act.loop import links

        return links(self, status)

    def accept_link(self, ticket: str | int, target: str | int, target_type: str | None = None, *,
                    by: str = "api") -> dict[str, Any]:
        """Accept a link from a ticket (key) to a phrase (its words) or a topic ("topic:12");
        ``by`` is recorded as who decided (``links.decided_by``)."""
        from vocmine.act.loop import decide_link

        return decide_link(self, ticket, target, "accepted", target_type=target_type, by=by)

    def reject_link(self, ticket: str | int, target: str | int, target_type: str | None = None, *,
                    by: str = "api") -> dict[str, Any]:
        """Reject a link; a rejected pair is never suggested again. ``by``: as for ``accept_link``."""
        from vocmine.act.loop import decide_link

        return decide_link(self, ticket, target, "rejected", target_type=target_type, by=by)

    def build_entries(self, weeks: int = 4) -> list[dict[str, Any]]:
        """Create or refresh a "you said, we did" draft per shipped ticket with accepted links."""
        from vocmine.act.entries import build_entries

        return build_entries(self, weeks=weeks)

    def entries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Return entries (drafts and approved, or one status) in the publishing layout.

        The list shows as a table in Jupyter; ``.to_frame()`` gives a DataFrame.
        """
        from vocmine.act.entries import entries
        from vocmine.tell.plots import Entries

        return Entries(entries(self, status))

    def edit_entry(self, entry: int | str, *, title_en: str | None = None, title_ko: str | None = None,
                   did_en: str | None = None, did_ko: str | None = None, approve: bool = False) -> dict[str, Any]:
        """Edit an entry's public wording (kept across rebuilds) and/or approve it for publishing."""
        from vocmine.act.entries import edit_entry

        return edit_entry(self, entry, title_en=title_en, title_ko=title_ko, did_en=did_en, did_ko=did_ko,
                          approve=approve)

    def add_tickets(self, tickets: Iterable[dict[str, Any]], tracker: str = "local") -> int:
        """Check and store tickets by (tracker, key), recorded as a ``tickets-import`` run; returns how many were new.

        Statuses are normalised ("fixed" -> done); a ticket with an unreadable date or unknown
        status is stored with that field emptied and reported by key (see trackers.store).
        """
        from vocmine.act.trackers.store import import_tickets

        return int(import_tickets(self, tickets, tracker=tracker)["new"])

    def update_topics(self, *, refit: bool = False, all_segments: bool = False, embedder: Any = None,
                      taxonomy: Any = None, progress: Progress | None = None) -> dict[str, Any]:
        """Categorise and embed new segments, assign them to topics (stable ids), create topics only
        for new clusters, replay the team's edits and relabel; returns counts (embedded, assigned,
        new_topics, outliers, outlier_share, topics). ``refit=True`` rediscovers all topics and
        maps old ids to new (``topic_lineage``); ``embedder`` is a name or a local model folder;
        ``taxonomy`` a taxonomy dict or YAML path (default: the workspace's accepted one, else vocmine's)."""
        from vocmine.decide.topic_stage import update_topics

        return update_topics(self, refit=refit, all_segments=all_segments, embedder=embedder, taxonomy=taxonomy,
                             progress=progress)

    def topics(self, lang: str | None = None, include_merged: bool = False, limit: int | None = None, *,
               product: str | Sequence[str] | None = None,
               source: str | Sequence[str] | None = None) -> "pd.DataFrame":
        """Return topics, biggest first: id, label, language, category, parent_id, parent, size,
        customers, keywords, trend (latest 4 weeks / 4 before), status, merged_into, labels.

        ``product``/``source`` (one value or several) slice the feedback: size (segments),
        customers and trend then count only the slice, and topics with nothing in it are left out."""
        from vocmine.decide.topics import topics_frame

        return topics_frame(self, lang=lang, include_merged=include_merged, limit=limit, product=product,
                            source=source)

    def topic(self, topic_id: int) -> Any:
        """Return one Topic (``.examples(n)`` redacted quotes, ``.trend()``, ``.label``, ``.size``...)."""
        from vocmine.decide.topics import Topic

        return Topic(self, topic_id)

    def rename_topic(self, topic_id: int, label: str, lang: str | None = None) -> dict[str, Any]:
        """Rename a topic (``lang``: the label's language); the edit survives later runs and refits."""
        from vocmine.decide.topic_edits import rename_topic

        return rename_topic(self, topic_id, label, lang)

    def merge_topics(self, target: int, *sources: int) -> dict[str, Any]:
        """Merge topics into ``target``; the edit survives later runs and refits. Returns the target."""
        from vocmine.decide.topic_edits import merge_topics

        flat = [s for x in sources for s in (x if isinstance(x, (list, tuple)) else [x])]
        return merge_topics(self, target, flat)

    def split_topic(self, topic_id: int, parts: int | None = None) -> list[dict[str, Any]]:
        """Split a topic into 2+ (``parts``, default whichever of 2-4 separates best); returns the parts."""
        from vocmine.decide.topic_edits import split_topic

        return split_topic(self, topic_id, parts)

    def suggest_taxonomy(self) -> list[dict[str, Any]]:
        """Return proposals (new categories or keywords) for topics most of whose segments no
        taxonomy category takes; each has the topic ``id`` to accept it by."""
        from vocmine.decide.taxonomy import suggest_taxonomy

        return suggest_taxonomy(self)

    def accept_taxonomy(self, *ids: int, file: str | os.PathLike | None = None) -> dict[str, Any]:
        """Write the suggestions for topic ``ids`` into a taxonomy YAML (``file``, else the
        workspace's copy, else a copy of the default beside the workspace) and use it from now on."""
        from vocmine.decide.taxonomy import accept_taxonomy

        flat = [int(s) for x in ids for s in (x if isinstance(x, (list, tuple)) else [x])]
        return accept_taxonomy(self, flat, file=file)

    # --- topics and taxonomy API (issue 4): methods go above this line ---

    def scrape(self, urls: str | Sequence[str] = (), *, site: str | os.PathLike | None = None, max_pages: int = 100,
               source: str | None = None, cache: bool = False, full: bool = False,
               settings: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None) -> Any:
        """Crawl web pages for reviews (schema.org markup, or a YAML ``site`` config) and store them.

        The crawl runs in a subprocess; reviews go through the ingest path. Returns a ScrapeResult:
        ingest counts plus ``pages``, ``reviews``, ``failed`` (URL and reason), ``stopped`` and
        ``notes``. Incremental: on a listing seen newest first, paging stops at a page of known
        reviews (``full=True`` crawls everything). ``progress(pages, reviews)`` follows the crawl.
        """
        from vocmine.collect.web import scrape

        return scrape(self, [urls] if isinstance(urls, str) else list(urls), site=site, max_pages=max_pages,
                      source=source, cache=cache, full=full, settings=settings, progress=progress)

    def ingest_reddit(self, subreddit: str, *, query: str | None = None, since: Any = None, comments: bool = False,
                      limit: int = 100, more_limit: int = 4, overlap_hours: float = 6.0, source: str | None = None,
                      reddit: Any = None, client_settings: dict[str, Any] | None = None,
                      progress: Callable[[int, int], None] | None = None) -> Any:
        """Store a subreddit's posts (and comment trees) through PRAW; returns a RedditResult.

        Incremental by creation time: without ``since`` a run reads down to the newest post of the
        last run minus ``overlap_hours``. Credentials come from ``VOCMINE_REDDIT_*`` variables or
        praw.ini; ``client_settings`` go to PRAW (e.g. ``oauth_url``).
        """
        from vocmine.collect.reddit import ingest_reddit

        return ingest_reddit(self, subreddit, query=query, since=since, comments=comments, limit=limit,
                             more_limit=more_limit, overlap_hours=overlap_hours, source=source, reddit=reddit,
                             client_settings=client_settings, progress=progress)

    # --- collectors API (issue 5): methods go above this line ---

    def tickets(self, status: str | None = None, tracker: str | None = None) -> "pd.DataFrame":
        """Return tickets as a DataFrame; ``status`` is open, in_progress or done (normalised)."""
        from vocmine.act.trackers.local import tickets

        return tickets(self, status=status, tracker=tracker)

    def add_ticket(self, key: str, title: str, **fields: Any) -> dict[str, Any]:
        """Add a ticket to the local tracker; returns it (``result``: "new" or "unchanged").

        Fields: body, status, labels, release, done_at, url, public_note_en, public_note_ko.
        """
        from vocmine.act.trackers.local import add_ticket

        return add_ticket(self, key, title, **fields)

    def update_ticket(self, key: str, tracker: str | None = None, **fields: Any) -> dict[str, Any]:
        """Change a ticket's fields (local first, else the tracker holding ``key``); later syncs keep them."""
        from vocmine.act.trackers.local import update_ticket

        return update_ticket(self, key, tracker=tracker, **fields)

    def sync_tickets(self, tracker: str | None = None, *, since: str | None = None, full: bool = False,
                     progress: Callable[[int], None] | None = None, **config: Any) -> dict[str, Any]:
        """Pull tickets changed since the last sync from github, jira or linear; returns counts.

        ``config`` is the tracker's settings (repo=, project=, team=, base_url=, token=, ...);
        credentials default to environment variables and are never stored or logged. Without
        ``tracker``, every repository/project/team synced before is synced again.
        """
        from vocmine.act.trackers.sync import sync, sync_all

        if tracker is None:
            return sync_all(self, since=since, full=full, progress=progress, **config)
        return sync(self, tracker, since=since, full=full, progress=progress, **config)

    def notify(self, outbox: str | os.PathLike | None = None, send: bool = False, smtp: dict[str, Any] | None = None,
               dry_run: bool = False, site: dict[str, Any] | None = None, template_dir: Any = None,
               notifier: Any = "smtp") -> dict[str, Any]:
        """Write (and with ``send=True`` email) one message per consenting customer per approved entry, once."""
        from vocmine.tell.notify import notify

        return notify(self, outbox=outbox, send=send, smtp=smtp, dry_run=dry_run, site=site, template_dir=template_dir,
                      notifier=notifier)

    def notifications(self, status: str | None = None) -> "pd.DataFrame":
        """Return the customers told (or queued, failed, cancelled) about each entry, newest first."""
        from vocmine.tell.notify import notifications

        return notifications(self, status)

    def resend_unknown(self, ids: Iterable[int] | None = None) -> int:
        """Queue again messages whose send was cut off mid-delivery ("unknown"); returns how many.

        Only after checking the mail server's log: such a customer may already have the message.
        """
        from vocmine.tell.notify import resend_unknown

        return resend_unknown(self, ids)

    def opt_out(self, contact: str) -> int:
        """Stop all messages to ``contact`` (an email address); returns how many contact rows changed."""
        from vocmine.tell.notify import opt_out

        return opt_out(self, contact)

    # --- trackers and notifications API (issue 6): methods go above this line ---

    def weekly_data(self, week: str | None = None, *, lang: str = "en", product: str | Sequence[str] | None = None,
                    source: str | Sequence[str] | None = None) -> dict[str, Any]:
        """The weekly report's data for an ISO week (default: the newest), as docs/publishing.md describes.

        ``product``/``source`` (one value or several): the data of that slice alone, named in ``slice``."""
        from vocmine.tell.report_stage import weekly_data

        return weekly_data(self, week, lang=lang, company=self.setting("site.company"), product=product,
                           source=source)

    def report(self, out_dir: str | os.PathLike = "reports", week: str | None = None, *, lang: str = "en",
               template_dir: Any = None, force: bool = False, gate: Any = None,
               product: str | Sequence[str] | None = None,
               source: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Write the weekly report (HTML + Markdown) for ``week`` into ``out_dir``; return the paths.

        Quotes that still match a personal-data pattern are left out (counted in the run and in
        ``gate``); ``force`` writes into a non-empty folder that vocmine did not write.
        ``product``/``source`` (one value or several) report that slice alone, into a subfolder
        named after it (``out_dir/product-alpha/``), never over the whole workspace's report.
        """
        from vocmine.tell.report_stage import report

        return report(self, out_dir, week, lang=lang, template_dir=template_dir, force=force, gate=gate,
                      product=product, source=source)

    def export(self, name: str, *, format: str | None = None, out: str | os.PathLike | None = None,  # noqa: A002
               force: bool = False, **filters: Any) -> dict[str, Any]:
        """Write the view or table ``name`` to csv, parquet, xlsx or jsonl, redacted text only;
        returns {name, format, path, rows}.

        Views: phrases (all of them), aspects, topics, trends, links, entries, tickets, feedback,
        segments; or any workspace table. ``format`` defaults to ``out``'s suffix, else csv; ``out``
        to ``NAME.FORMAT`` here (``"-"``: stdout, csv/jsonl). An existing file is replaced only with
        ``force``. ``filters`` (since, until, lang, source, product) go to the view where it takes
        them. Contacts, originals and unredacted columns are refused (docs/export.md).
        """
        from vocmine.tell.export import export

        return export(self, name, format=format, out=out, force=force, **filters)

    def publish(self, out_dir: str | os.PathLike = "site", *, formats: Sequence[str] = ("site",),
                template_dir: Any = None, languages: Sequence[str] = ("en", "ko"), **site: Any) -> list[Any]:
        """Write the public changelog (site with Atom feeds, or Markdown) from approved entries.

        ``site`` keywords (``base_url``, ``company``, ``title_en``, ``title_ko``) are saved in the
        workspace settings and reused by later runs.
        """
        from vocmine.tell.report_stage import publish

        return publish(self, out_dir, formats=tuple(formats), template_dir=template_dir,
                       languages=tuple(languages), **site)

    # --- publishing and weekly API (issues 6, 7): methods go above this line ---


