"""The scenario generator writes realistic X API v2 pages with a truthful ground truth."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import orjson
import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.simulate import simulate
from pipeline.simulate.codes import COMPONENT_KINDS

pytestmark = pytest.mark.unit

POSTS = 5_000
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")
EARLIEST = pd.Timestamp("2006-03-21", tz="UTC")
TWEET_FIELDS = {
    "id",
    "text",
    "author_id",
    "created_at",
    "lang",
    "conversation_id",
    "public_metrics",
    "edit_history_tweet_ids",
}
USER_FIELDS = {"id", "username", "name", "created_at", "verified", "description", "public_metrics"}


class Corpus:
    """A generated directory read back the way a reader would."""

    def __init__(self, out: Path, summary: dict) -> None:
        self.out = out
        self.summary = summary
        self.truth = orjson.loads((out / "truth.json").read_bytes())
        with gzip.open(out / "truth_posts.csv.gz", "rt") as fh:
            self.truth_posts = pd.read_csv(fh, dtype=str)
        self.pages: list[tuple[int, dict]] = []  # (page number, page)
        self.bad_lines: list[tuple[bytes, bytes]] = []  # (bad line, next line)
        for path in sorted(out.glob("posts-*.jsonl")):
            lines = path.read_bytes().split(b"\n")
            assert lines[-1] == b""
            for line, following in zip(lines[:-1], [*lines[1:-1], b""], strict=True):
                try:
                    page = orjson.loads(line)
                except orjson.JSONDecodeError:
                    self.bad_lines.append((line, following))
                    continue
                self.pages.append((len(self.pages), page))

    def tweets(self):
        """(page number, tweet) for every tweet in ``data``."""
        for number, page in self.pages:
            for tweet in page["data"]:
                yield number, tweet

    def sound_posts(self) -> pd.DataFrame:
        """First copy of every readable post, joined to its component."""
        rows = [
            (tw["id"], tw["author_id"], tw["created_at"], tw["text"], tw)
            for _, tw in self.tweets()
            if "id" in tw and "author_id" in tw and _valid_time(tw["created_at"])
        ]
        frame = pd.DataFrame(rows, columns=["post_id", "author_id", "created_at", "text", "raw"])
        frame = frame.drop_duplicates("post_id")
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame.merge(self.truth_posts, on="post_id", how="left", validate="1:1")

    def component(self, kind: str) -> list[dict]:
        return [c for c in self.truth["components"] if c["kind"] == kind]


def _generate(out: Path, **kwargs) -> Corpus:
    return Corpus(out, simulate(out, posts=POSTS, **kwargs))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return _generate(tmp_path_factory.mktemp("seed0"), seed=0)


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _valid_time(value: object) -> bool:
    """Whether a reader could parse ``created_at`` into a plausible UTC time."""
    if not isinstance(value, str) or not ISO.match(value):
        return False
    parsed = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")
    return not pd.isna(parsed) and parsed >= EARLIEST


def _tags(tweet: dict) -> list[str]:
    return [t["tag"] for t in tweet.get("entities", {}).get("hashtags", [])]


def _jaccard(a: str, b: str) -> float:
    x, y = set(a.lower().split()), set(b.lower().split())
    return len(x & y) / len(x | y)


# ------------------------------------------------------------------ determinism


def test_same_seed_and_arguments_give_identical_bytes(tmp_path, corpus):
    again = tmp_path / "again"
    simulate(again, seed=0, posts=POSTS)
    assert _files(again) == _files(corpus.out)
    assert len(_files(again)) == 21 + 2


def test_parallel_writers_write_the_same_bytes(tmp_path, corpus):
    # Forked writers run in a fresh interpreter, as from the CLI: forking the test
    # process itself (which holds other tests' threads and locks) can deadlock.
    code = (
        "import sys; from pipeline.simulate import simulate; "
        f"simulate(sys.argv[1], seed=0, posts={POSTS}, workers=2)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=300)
    assert _files(tmp_path) == _files(corpus.out)


def test_different_seeds_give_different_scenarios(tmp_path, corpus):
    other = _generate(tmp_path / "seed1", seed=1)

    def story(c: Corpus) -> list[tuple]:
        return [
            (k["id"], tuple(k["hashtags"]), k["start"], k["posts"]) for k in c.truth["components"]
        ]

    assert story(other) != story(corpus)
    starts = {c["id"]: c["start"] for c in corpus.component("grassroots_opposition")}
    other_starts = {c["id"]: c["start"] for c in other.component("grassroots_opposition")}
    assert set(starts.items()).isdisjoint(other_starts.items())
    assert set(other.truth_posts["post_id"]).isdisjoint(corpus.truth_posts["post_id"])


# ------------------------------------------------------------------ X API v2 shape


def test_pages_are_twarc2_responses_with_v2_field_names(corpus):
    assert corpus.pages
    for _, page in corpus.pages:
        assert set(page) >= {"data", "includes", "meta"}
        assert 1 <= len(page["data"]) <= 100 + 20  # a page may also carry duplicates
        assert page["meta"]["result_count"] == len(page["data"])
        users = {u["id"]: u for u in page["includes"]["users"]}
        for user in users.values():
            assert set(user) >= USER_FIELDS
            assert ISO.match(user["created_at"])
            assert set(user["public_metrics"]) == {
                "followers_count",
                "following_count",
                "tweet_count",
                "listed_count",
            }
        for tweet in page["data"]:
            if "author_id" in tweet:
                assert tweet["author_id"] in users
    sound = [
        tw for _, tw in corpus.tweets() if set(tw) >= TWEET_FIELDS and _valid_time(tw["created_at"])
    ]
    assert len(sound) > 0.99 * POSTS
    for tweet in sound:
        assert tweet["id"].isdigit() and tweet["conversation_id"].isdigit()
        assert ISO.match(tweet["created_at"])
        assert tweet["lang"] in {"fr", "en"}
        assert set(tweet["public_metrics"]) == {
            "retweet_count",
            "reply_count",
            "like_count",
            "quote_count",
        }
        assert len(tweet["text"]) <= 140 + 20  # quotes end with a t.co link
        ents = tweet.get("entities", {})
        for tag in ents.get("hashtags", []):
            assert tweet["text"][tag["start"] : tag["end"]] == "#" + tag["tag"]
        for mention in ents.get("mentions", []):
            assert tweet["text"][mention["start"] : mention["end"]] == "@" + mention["username"]
            assert mention["id"].isdigit()
        for url in ents.get("urls", []):
            assert tweet["text"][url["start"] : url["end"]] == url["url"]
            assert url["expanded_url"].startswith("http") and url["display_url"]


def test_retweets_quotes_and_replies_reference_included_tweets(corpus):
    kinds = Counter()
    for _, page in corpus.pages:
        included = {t["id"]: t for t in page["includes"].get("tweets", [])}
        users = {u["id"]: u for u in page["includes"]["users"]}
        for tweet in page["data"]:
            for ref in tweet.get("referenced_tweets", []):
                kinds[ref["type"]] += 1
                original = included[ref["id"]]
                author = users[original["author_id"]]["username"]
                if _valid_time(tweet.get("created_at")):
                    assert original["created_at"] <= tweet["created_at"]
                if ref["type"] == "retweeted":
                    prefix = f"RT @{author}: "
                    assert tweet["text"].startswith(prefix)
                    shown = tweet["text"][len(prefix) :].removesuffix("…")
                    assert original["text"].startswith(shown)
                elif ref["type"] == "replied_to":
                    assert tweet["in_reply_to_user_id"] == original["author_id"]
                    assert tweet["text"].startswith(f"@{author} ")
                else:
                    links = [u["expanded_url"] for u in tweet["entities"]["urls"]]
                    assert links[-1].endswith(f"/{author}/status/{original['id']}")
    assert kinds["retweeted"] > 0.15 * POSTS
    assert kinds["replied_to"] > 0.05 * POSTS
    assert kinds["quoted"] > 0.005 * POSTS


# ------------------------------------------------------------------ truth


def test_truth_lists_every_component_kind_with_required_fields(corpus):
    truth = corpus.truth
    assert {"seed", "start", "end", "posts", "malformed", "duplicates"} <= set(truth)
    assert "gouvernementFR" in truth["institutional_accounts"]
    kinds = Counter(c["kind"] for c in truth["components"])
    assert set(kinds) == set(COMPONENT_KINDS)
    assert 2 <= kinds["grassroots_opposition"] <= 3
    assert all(kinds[k] == 1 for k in COMPONENT_KINDS if k != "grassroots_opposition")
    required = {"id", "kind", "label", "lang", "target", "hashtags", "start", "peak", "end"}
    required |= {"posts", "authors", "accounts", "expected"}
    for comp in truth["components"]:
        assert required <= set(comp)
        assert comp["start"] <= comp["peak"] <= comp["end"]
        assert comp["hashtags"] and comp["posts"] > 0 and comp["authors"] > 0
        assert set(comp["expected"]) == {"opposition", "grassroots", "coordinated"}
        assert bool(comp["accounts"]) == (comp["kind"] == "coordinated_campaign")
        if comp["kind"] == "grassroots_opposition":
            assert comp["expected"] == {
                "opposition": True,
                "grassroots": True,
                "coordinated": False,
            }
            assert comp["target"]
    per_component = corpus.truth_posts["component_id"].value_counts().to_dict()
    assert per_component == {c["id"]: c["posts"] for c in truth["components"]}
    assert truth["posts"] == POSTS == corpus.truth_posts["post_id"].nunique()


def test_truth_posts_cover_every_written_post(corpus):
    written = {tw["id"] for _, tw in corpus.tweets() if "id" in tw}
    truth_ids = set(corpus.truth_posts["post_id"])
    assert written <= truth_ids
    missing_id = corpus.truth["malformed_by_kind"]["missing_id"]
    assert len(truth_ids - written) == missing_id


def test_most_posts_are_french_and_follow_a_daily_rhythm(corpus):
    posts = corpus.sound_posts()
    french = (posts["raw"].map(lambda t: t["lang"]) == "fr").mean()
    assert 0.65 < french < 0.99
    background = posts[(posts["component_id"] == "background")]
    local = background["created_at"].dt.tz_convert("Europe/Paris").dt.hour.value_counts()
    night = local.reindex([3, 4, 5], fill_value=0).mean()
    evening = local.reindex([19, 20, 21], fill_value=0).mean()
    assert night < 0.3 * evening


# ------------------------------------------------------------------ components


def test_grassroots_movements_grow_from_a_few_new_authors(corpus):
    posts = corpus.sound_posts()
    for comp in corpus.component("grassroots_opposition"):
        mine = posts[posts["component_id"] == comp["id"]].sort_values("created_at")
        first = mine["created_at"].min()
        peak = pd.Timestamp(comp["peak"])
        early = mine[mine["created_at"] < first + pd.Timedelta(hours=6)]["author_id"].nunique()
        near_peak = mine[(mine["created_at"] - peak).abs() <= pd.Timedelta(hours=3)]
        assert early <= 10
        assert early < near_peak["author_id"].nunique()
        assert set(mine["author_id"].head(3)) <= set(comp["seed_authors"])
        assert 3 <= len(comp["seed_authors"]) <= 10
        # Several hashtag variants are used, often together.
        tags = Counter(tag for raw in mine["raw"] for tag in _tags(raw))
        assert len(tags) >= 3
        # Nobody used the movement's hashtags before it started.
        own = {t.lower() for t in comp["hashtags"]}
        before = posts[posts["created_at"] < first]
        used_before = {tag.lower() for raw in before["raw"] for tag in _tags(raw)}
        assert not own & used_before


def test_grassroots_authors_interact_inside_the_movement(corpus):
    posts = corpus.sound_posts().set_index("post_id")
    for comp in corpus.component("grassroots_opposition"):
        mine = posts[posts["component_id"] == comp["id"]]
        refs = [r["id"] for raw in mine["raw"] for r in raw.get("referenced_tweets", [])]
        assert len(refs) > 0.3 * len(mine)
        inside = posts.reindex(refs)["component_id"].eq(comp["id"]).mean()
        assert inside > 0.95


def test_coordinated_accounts_are_fresh_and_post_near_identical_texts(corpus):
    (camp,) = corpus.component("coordinated_campaign")
    accounts = set(camp["accounts"])
    start = pd.Timestamp(camp["start"])
    users = {u["id"]: u for _, page in corpus.pages for u in page["includes"]["users"]}
    for account in accounts & set(users):
        user = users[account]
        age = start - pd.Timestamp(user["created_at"])
        assert pd.Timedelta(0) < age < pd.Timedelta(days=14)
        assert user["public_metrics"]["followers_count"] < 50
    posts = corpus.sound_posts()
    mine = posts[posts["component_id"] == camp["id"]]
    assert set(mine["author_id"]) == accounts and len(accounts) == camp["authors"]
    originals = mine[~mine["text"].str.startswith("RT @")]
    common = originals["text"].mode()[0]
    similarity = originals["text"].map(lambda t: _jaccard(t, common))
    assert similarity.median() > 0.6
    links = {u["expanded_url"] for raw in originals["raw"] for u in raw["entities"]["urls"]}
    assert len(links) == 1
    # Grassroots texts are far more varied.
    (grass, *_) = corpus.component("grassroots_opposition")
    other = posts[(posts["component_id"] == grass["id"]) & ~posts["text"].str.startswith("RT @")]
    assert other["text"].map(lambda t: _jaccard(t, other["text"].mode()[0])).median() < 0.4
    # Co-retweets of one seed post, within hours.
    retweets = mine[mine["text"].str.startswith("RT @")]
    targets = retweets["raw"].map(lambda r: r["referenced_tweets"][0]["id"])
    assert targets.nunique() == 1 and len(retweets) >= 5
    assert retweets["author_id"].is_unique
    assert retweets["created_at"].max() - retweets["created_at"].min() < pd.Timedelta(days=3)


def test_neutral_spike_is_short_and_intense(corpus):
    (spike,) = corpus.component("neutral_spike")
    posts = corpus.sound_posts()
    mine = posts[posts["component_id"] == spike["id"]]
    peak = pd.Timestamp(spike["peak"])
    around = (mine["created_at"] - peak).abs() <= pd.Timedelta(hours=3)
    assert around.mean() > 0.7
    assert mine["author_id"].nunique() > 0.3 * len(mine)
    assert set(mine["stance"]) == {"neutral"}


def test_institutional_promotion_is_driven_by_official_accounts(corpus):
    (promo,) = corpus.component("institutional_promotion")
    posts = corpus.sound_posts()
    users = {u["id"]: u["username"] for _, page in corpus.pages for u in page["includes"]["users"]}
    mine = posts[posts["component_id"] == promo["id"]]
    official = set(corpus.truth["institutional_accounts"])
    retweeted = [
        users[raw["entities"]["mentions"][0]["id"]]
        for raw in mine["raw"]
        if raw.get("referenced_tweets", [{}])[0].get("type") == "retweeted"
    ]
    assert retweeted and all(name in official for name in retweeted)
    authors = mine["author_id"].map(users)
    assert authors.isin(official).mean() > 0.1
    assert not authors.isin(official).all()


def test_persistent_topic_is_present_every_day_with_mixed_stance(corpus):
    (topic,) = corpus.component("persistent_topic")
    posts = corpus.sound_posts()
    mine = posts[posts["component_id"] == topic["id"]]
    per_day = mine["created_at"].dt.floor("D").value_counts()
    assert len(per_day) == 21
    assert per_day.max() < 4 * per_day.median()
    assert {"against", "favour", "neutral"} <= set(mine["stance"])


# ------------------------------------------------------------------ faults


def test_every_line_is_valid_json_or_counted_as_malformed(corpus):
    by_kind = corpus.summary["malformed_by_kind"]
    assert len(corpus.bad_lines) == by_kind["truncated_line"] > 0
    for bad, following in corpus.bad_lines:
        assert following.startswith(bad)  # a truncated copy of the page that follows
    missing_id = sum("id" not in tw for _, tw in corpus.tweets())
    missing_author = sum("author_id" not in tw for _, tw in corpus.tweets())
    bad_time = sum(not _valid_time(tw.get("created_at")) for _, tw in corpus.tweets())
    assert (missing_id, missing_author, bad_time) == (
        by_kind["missing_id"],
        by_kind["missing_author_id"],
        by_kind["bad_created_at"],
    )
    total = len(corpus.bad_lines) + missing_id + missing_author + bad_time
    assert total == corpus.summary["malformed"] == corpus.truth["malformed"]
    assert total == round(0.002 * POSTS)


def test_duplicates_repeat_a_tweet_in_a_later_page(corpus):
    seen: dict[str, tuple[int, dict]] = {}
    repeats = 0
    for number, tweet in corpus.tweets():
        if "id" not in tweet:
            continue
        if tweet["id"] in seen:
            first_page, first = seen[tweet["id"]]
            assert number > first_page and tweet == first
            repeats += 1
        else:
            seen[tweet["id"]] = (number, tweet)
    assert repeats == corpus.summary["duplicates"] == corpus.truth["duplicates"]
    assert repeats == round(0.005 * POSTS)
    assert corpus.summary["records"] == POSTS + repeats


def test_progress_reports_posts_written(tmp_path):
    seen: list[int] = []
    summary = simulate(tmp_path, seed=2, posts=2_000, days=4, progress=seen.append)
    assert seen and all(a <= b for a, b in pairwise(seen))
    assert seen[-1] == summary["posts"] == 2_000
    assert len(summary["files"]) == 4


def test_rerun_in_same_directory_replaces_old_files(tmp_path):
    simulate(tmp_path, seed=0, posts=2_000, days=5)
    simulate(tmp_path, seed=0, posts=2_000, days=3, start="2013-10-20")
    names = sorted(p.name for p in tmp_path.glob("posts-*.jsonl"))
    assert names == [f"posts-2013-10-{d}.jsonl" for d in (20, 21, 22)]
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "kwargs",
    [{"posts": 10}, {"days": 1}, {"malformed_share": -0.1}, {"start": "not a date"}, {"seed": -1}],
)
def test_bad_arguments_raise_a_config_error(tmp_path, kwargs):
    with pytest.raises(ConfigError):
        simulate(tmp_path, **kwargs)


def test_posts_carry_their_planned_components(corpus):
    posts = corpus.sound_posts()
    assert posts["component_id"].notna().all()
    by_comp = defaultdict(set)
    for comp_id, raw in zip(posts["component_id"], posts["raw"], strict=True):
        by_comp[comp_id].update(_tags(raw))
    for comp in corpus.truth["components"]:
        assert by_comp[comp["id"]] <= set(comp["hashtags"])
