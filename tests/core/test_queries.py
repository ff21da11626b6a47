"""The one where builder: conditions and their bound arguments stay together."""
import sqlite3

import pytest

import vocmine
from vocmine.core.queries import Where, feedback_where, parse_rating_range


def test_conditions_and_arguments_stay_in_order():
    w = Where("a is null").eq("b", 2).eq("c", None).among("d", ["x", "y"]).among("e", "z").among("f", [])
    w.window("t", "2026-09-01", None).rating("r", "1-2").add("g > ?", 5)
    assert str(w) == ("a is null and b = ? and d in (?,?) and e in (?) and t >= ? and r between ? and ? "
                      "and g > ?")
    assert w.args == [2, "x", "y", "z", "2026-09-01T00:00:00Z", 1.0, 2.0, 5]
    assert w.sql() == " where " + str(w)
    assert Where().sql() == "" and str(Where()) == "1 = 1"
    copy = w.copy().eq("h", 1)
    assert len(copy.clauses) == len(w.clauses) + 1 and w.args[-1] == 5


def test_bad_dates_and_ratings_name_the_value():
    with pytest.raises(vocmine.ConfigError, match="bad date 'last tuesday'"):
        Where().window("t", since="last tuesday")
    with pytest.raises(vocmine.ConfigError, match="bad rating range 'low'"):
        parse_rating_range("low")
    assert parse_rating_range(3) == (3.0, 3.0) and parse_rating_range((1, 2)) == (1.0, 2.0)
    assert parse_rating_range(None) is None and parse_rating_range("4") == (4.0, 4.0)


def test_feedback_where_runs_on_real_sqlite_and_binds_user_values():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table feedback (id integer, source text, language text, rating real, created_at text, "
                 "duplicate_of integer)")
    conn.executemany("insert into feedback values (?,?,?,?,?,?)", [
        (1, "web", "en", 1, "2026-09-02T00:00:00Z", None),
        (2, "web", "ko", 2, "2026-09-03T00:00:00Z", None),
        (3, "app'; drop table feedback; --", "en", 5, "2026-09-04T00:00:00Z", None),
        (4, "web", "en", 1, "2026-09-05T00:00:00Z", 1),
    ])

    def ids(w, alias="f"):
        return [r[0] for r in conn.execute(f"select id from feedback {alias}{w.sql()} order by id", w.args)]

    assert ids(feedback_where()) == [1, 2, 3]
    assert ids(feedback_where(duplicates=True)) == [1, 2, 3, 4]
    assert ids(feedback_where(lang="en", rating="1-2")) == [1]
    assert ids(feedback_where(source=["web"], since="2026-09-03")) == [2]
    assert ids(feedback_where(source="app'; drop table feedback; --")) == [3]
    assert ids(feedback_where(until="2026-09-03", table=""), alias="") == [1]
    assert conn.execute("select count(*) from feedback").fetchone()[0] == 4
