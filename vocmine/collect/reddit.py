"""Reddit posts and comments through PRAW, incremental by creation time.

Credentials come from ``VOCMINE_REDDIT_CLIENT_ID``, ``VOCMINE_REDDIT_CLIENT_SECRET`` and
``VOCMINE_REDDIT_USER_AGENT``, or from PRAW's own configuration (``praw.ini``, a section named by
``VOCMINE_REDDIT_SITE``; ``praw_client_id``-style variables). They are passed to PRAW only: never
logged, never stored in the workspace.
"""
from __future__ import annotations

import configparser
import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from vocmine.core.version import __version__
from vocmine.core.dates import parse_datetime
from vocmine.core.errors import ConfigError, SourceError
from vocmine.core.feedback import Feedback, Reject
from vocmine.collect import intake
from vocmine.collect.ingest import IngestResult

if TYPE_CHECKING:
    from vocmine.core.store import Store

log = logging.getLogger(__name__)

ENV_CLIENT_ID = "VOCMINE_REDDIT_CLIENT_ID"
ENV_CLIENT_SECRET = "VOCMINE_REDDIT_CLIENT_SECRET"
ENV_USER_AGENT = "VOCMINE_REDDIT_USER_AGENT"
ENV_SITE = "VOCMINE_REDDIT_SITE"  # a praw.ini section
ENV_OAUTH_URL = "VOCMINE_REDDIT_OAUTH_URL"  # API host override (a proxy, or a test server)
ENV_URL = "VOCMINE_REDDIT_URL"  # token host override
LISTING_MAX = 1000  # Reddit stops every listing at 1000 items
DEFAULT_OVERLAP_HOURS = 6.0
DEFAULT_MORE = 4
WEB = "https://www.reddit.com"
_SUBREDDIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_GONE = {"[deleted]", "[removed]", ""}

MISSING_CREDENTIALS = (
    "Reddit credentials are missing: set VOCMINE_REDDIT_CLIENT_ID and VOCMINE_REDDIT_CLIENT_SECRET "
    "(and VOCMINE_REDDIT_USER_AGENT), or put client_id and client_secret in a praw.ini section named by "
    "VOCMINE_REDDIT_SITE. Create a 'script' app at https://www.reddit.com/prefs/apps to get them."
)


def default_user_agent() -> str:
    """Return the user agent sent when none is configured (Reddit asks for a descriptive one)."""
    return f"python:vocmine:{__version__} (customer-feedback research; +https://github.com/vocmine/vocmine)"


def reddit_client(*, requests_per_minute: int = 60, max_wait: float = 120.0,
                  on_wait: Callable[[float, str], None] | None = None, site: str | None = None, **settings: Any):
    """Return a read-only ``praw.Reddit`` with vocmine's credentials, rate window and 429 handling.

    ``settings`` go to PRAW as configuration (``oauth_url``, ``reddit_url``, ``timeout``...).
    Raises SourceError with what to set when credentials are missing.
    """
    import praw
    from praw.config import Config
    from praw.exceptions import MissingRequiredAttributeException

    from vocmine.collect.reddit_http import PoliteRequestor

    env = os.environ
    site = site or env.get(ENV_SITE) or None
    opts: dict[str, Any] = {"check_for_updates": False}
    for key, var in (("client_id", ENV_CLIENT_ID), ("client_secret", ENV_CLIENT_SECRET),
                     ("user_agent", ENV_USER_AGENT), ("oauth_url", ENV_OAUTH_URL), ("reddit_url", ENV_URL)):
        if env.get(var):
            opts[key] = env[var]
    opts.update({k: v for k, v in settings.items() if v is not None})
    names = {"client_id": ENV_CLIENT_ID, "client_secret": ENV_CLIENT_SECRET, "user_agent": ENV_USER_AGENT}
    for key, var in names.items():
        value = opts.get(key)
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                # HTTP headers carry latin-1 only: a pasted placeholder ("…") or a curly quote
                # would otherwise surface later as "cannot reach Reddit".
                raise ConfigError(f"{var} holds characters an HTTP header cannot carry (such as '\u2026' or "
                                  f"curly quotes); check its value") from None
    try:
        if "user_agent" not in opts and Config(site or "DEFAULT").user_agent in (Config.CONFIG_NOT_SET, None):
            opts["user_agent"] = default_user_agent()
        reddit = praw.Reddit(site_name=site, requestor_class=PoliteRequestor,
                             requestor_kwargs={"requests_per_minute": requests_per_minute, "max_wait": max_wait,
                                               "on_wait": on_wait}, **opts)
    except MissingRequiredAttributeException:
        raise SourceError(MISSING_CREDENTIALS) from None
    except configparser.NoSectionError:
        raise ConfigError(f"praw.ini has no [{site}] section (named by {ENV_SITE}); add it or unset {ENV_SITE}") from None
    reddit.read_only = True
    return reddit


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        iso = parse_datetime(value)
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"bad date {value!r} for --since: {exc}") from None
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else None


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else parse_datetime(epoch)


def clean_subreddit(name: str) -> str:
    """Return a subreddit name without ``r/`` or ``/r/``; ConfigError when it cannot be one."""
    s = (name or "").strip().strip("/")
    s = re.sub(r"^(?:https?://(?:www\.|old\.)?reddit\.com/)?r/", "", s, flags=re.IGNORECASE).strip("/")
    if not _SUBREDDIT_RE.match(s):
        raise ConfigError(f"not a subreddit name: {name!r} (letters, digits and _, 2-21 characters, e.g. BuyItForLife)")
    return s


def _explain(exc: Exception, subreddit: str) -> str:
    import prawcore

    if isinstance(exc, prawcore.exceptions.TooManyRequests):
        return (f"Reddit kept answering 429 Too Many Requests (Retry-After {exc.retry_after or 'not given'}); "
                f"stopped, re-run later")
    if isinstance(exc, prawcore.exceptions.Redirect):
        return f"r/{subreddit} does not exist (Reddit redirected to a search page)"
    if isinstance(exc, prawcore.exceptions.Forbidden):
        return f"r/{subreddit} is private, quarantined or banned (HTTP 403)"
    if isinstance(exc, prawcore.exceptions.NotFound):
        return f"r/{subreddit}: not found (HTTP 404)"
    if isinstance(exc, prawcore.exceptions.OAuthException):
        return f"Reddit refused the credentials ({exc.error}); check {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}"
    if isinstance(exc, prawcore.exceptions.ResponseException):
        code = exc.response.status_code
        if code == 401:
            return f"Reddit refused the credentials (HTTP 401); check {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}"
        return f"Reddit answered HTTP {code} for {exc.response.url.split('?')[0]}"
    if isinstance(exc, prawcore.exceptions.RequestException):
        return f"cannot reach Reddit: {exc.original_exception}"
    return f"{type(exc).__name__}: {exc}"


class RedditSource:
    """Posts (and with ``comments=True`` their comment trees) of one subreddit, newest first.

    ``query`` searches the subreddit (sorted by new) instead of listing it; ``since`` (a date or
    epoch seconds) stops at older posts; ``limit`` caps posts (Reddit lists at most 1000);
    ``more_limit`` caps the "load more comments" requests per post. Authors are passed on as
    ``Feedback.author``, which the ingest path stores only as a keyed pseudonym.
    """

    type = "reddit"  # the registered name (vocmine.sources)

    def __init__(self, subreddit: str, *, query: str | None = None, since: Any = None, comments: bool = False,
                 limit: int = 100, more_limit: int = DEFAULT_MORE, name: str | None = None, reddit: Any = None,
                 client_settings: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None):
        self.subreddit = clean_subreddit(subreddit)
        if not 1 <= int(limit) <= LISTING_MAX:
            raise ConfigError(f"--limit must be 1-{LISTING_MAX}: Reddit stops every listing at {LISTING_MAX} items")
        if more_limit < 0:
            raise ConfigError(f"--more-limit must be 0 or more, got {more_limit}")
        self.query = query or None
        self.since = _epoch(since)
        self.comments = comments
        self.limit = int(limit)
        self.more_limit = more_limit
        self.name = name or f"reddit:{self.subreddit}"
        self.reddit = reddit
        self.client_settings = dict(client_settings or {})
        self.progress = progress
        self._reset()

    def _reset(self) -> None:
        self.posts = 0
        self.comment_count = 0
        self.skipped = 0  # deleted/removed comments
        self.newest: float | None = None
        self.waited = 0.0
        self.waits: list[str] = []
        self.error: str | None = None

    def __repr__(self) -> str:  # no credentials here: this goes into the runs table
        q = f", query={self.query!r}" if self.query else ""
        return f"RedditSource({self.subreddit!r}{q}, comments={self.comments}, limit={self.limit})"

    def _on_wait(self, seconds: float, url: str) -> None:
        self.waited += seconds
        self.waits.append(f"429 Too Many Requests on {url.split('?')[0]}: waited {seconds:g}s (Retry-After)")

    def _client(self):
        if self.reddit is None:
            self.reddit = reddit_client(on_wait=self._on_wait, **self.client_settings)
        else:
            requestor = getattr(getattr(self.reddit, "_core", None), "_requestor", None)
            if requestor is not None and hasattr(requestor, "on_wait") and requestor.on_wait is None:
                requestor.on_wait = self._on_wait
        return self.reddit

    def fetch(self, since: Any = None) -> Iterator[Feedback | Reject]:
        """Yield posts (and comments), newest first, down to ``since``; errors after the first item stop it."""
        import prawcore

        self._reset()
        cutoff = _epoch(since) if since is not None else self.since
        reddit = self._client()
        sub = reddit.subreddit(self.subreddit)
        listing = (sub.search(self.query, sort="new", time_filter="all", limit=self.limit) if self.query
                   else sub.new(limit=self.limit))
        yielded = 0
        try:
            for post in listing:
                created = float(post.created_utc)
                if cutoff is not None and created < cutoff:
                    break  # the listing is newest first: everything after this is older too
                self.posts += 1
                self.newest = created if self.newest is None else max(self.newest, created)
                yield self._post(post)
                yielded += 1
                if self.comments:
                    for fb in self._comments(post):
                        yield fb
                        yielded += 1
                if self.progress:
                    self.progress(self.posts, self.comment_count)
        except (prawcore.exceptions.PrawcoreException, AssertionError) as exc:
            message = _explain(exc, self.subreddit)
            if not yielded:
                raise SourceError(f"{self.name}: {message}") from None
            self.error = message  # keep what was fetched: the ingest path stores it
            log.warning("%s: %s", self.name, message)

    def _post(self, post: Any) -> Feedback:
        body = (post.selftext or "").strip()
        title = (post.title or "").strip()
        author = post.author.name if post.author is not None else None
        raw = {"subreddit": str(post.subreddit), "score": post.score, "num_comments": post.num_comments,
               "flair": getattr(post, "link_flair_text", None), "is_self": post.is_self}
        if not post.is_self:
            raw["link"] = post.url
        return Feedback(text=body or title, title=title if body else None, external_id=post.name,
                        created_at=float(post.created_utc), author=author, url=WEB + post.permalink, kind="post",
                        raw=raw, origin=f"r/{self.subreddit} post {post.id}")

    def _comments(self, post: Any) -> Iterator[Feedback]:
        from praw.models import MoreComments

        post.comment_sort = "new"
        forest = post.comments
        left = forest.replace_more(limit=self.more_limit)
        if left:
            log.info("%s: post %s has %d more comment branches beyond --more-limit %d", self.name, post.id,
                     len(left), self.more_limit)
        for c in forest.list():
            if isinstance(c, MoreComments):
                continue
            body = (c.body or "").strip()
            if body in _GONE:
                self.skipped += 1
                continue
            self.comment_count += 1
            yield Feedback(
                text=body, external_id=c.name, created_at=float(c.created_utc),
                author=c.author.name if c.author is not None else None, url=WEB + c.permalink, kind="comment",
                raw={"subreddit": self.subreddit, "post": post.name, "parent_id": c.parent_id, "score": c.score},
                origin=f"r/{self.subreddit} comment {c.id}",
            )


@dataclass
class RedditResult(IngestResult):
    """What a Reddit ingest did: the ingest counts plus posts, comments, waits and the cursor used."""

    posts: int = 0
    comments: int = 0
    skipped: int = 0  # deleted or removed comments
    waited: float = 0.0
    waits: list[str] | None = None
    since: str | None = None  # the creation time the listing was read down to
    newest: str | None = None  # the newest creation time seen (the next run's cursor)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as plain data (for --json and the runs table)."""
        d = super().as_dict()
        d.update(posts=self.posts, comments=self.comments, skipped=self.skipped, waited=self.waited,
                 waits=self.waits or [], since=self.since, newest=self.newest)
        return d


def state_key(query: str | None) -> str:
    """Return the ``source_state`` key of the cursor for a listing (or a search)."""
    return "newest_created" + (f":search:{query}" if query else "")


def ingest_reddit(ws: "Store", subreddit: str, *, query: str | None = None, since: Any = None, comments: bool = False,
                  limit: int = 100, more_limit: int = DEFAULT_MORE, overlap_hours: float = DEFAULT_OVERLAP_HOURS,
                  source: str | None = None, reddit: Any = None, client_settings: dict[str, Any] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> RedditResult:
    """Store a subreddit's new posts (and comments) in ``ws``; see ``Workspace.ingest_reddit``."""
    src = RedditSource(subreddit, query=query, comments=comments, limit=limit, more_limit=more_limit, name=source,
                       reddit=reddit, client_settings=client_settings, progress=progress)
    key = state_key(src.query)
    stored = ws.state(src.name, key)
    if since is not None and since != "":
        src.since = _epoch(since)
    elif stored:
        # Overlap: posts approved late or indexed late still appear; dedup makes the repeat free.
        src.since = float(stored) - overlap_hours * 3600
    res = intake.ingest(ws, source=src)
    result = RedditResult(**vars(res), posts=src.posts, comments=src.comment_count, skipped=src.skipped,
                          waited=src.waited, waits=list(src.waits), since=_iso(src.since), newest=_iso(src.newest))
    if src.error:
        raise SourceError(f"{src.name}: {src.error}; {res.inserted} new items were stored before it, "
                          f"and a re-run continues")
    if src.newest is not None:
        newest = max(src.newest, float(stored)) if stored else src.newest
        ws.set_state(src.name, key, repr(newest))
    return result
