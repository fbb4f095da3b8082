"""Small integer codes shared by the planner, the text renderer and the writer.

Plans are NumPy arrays, so categorical attributes of posts are stored as ``int8``
codes; the tuples below map codes back to the names written in ``truth.json`` and
``truth_posts.csv.gz``.
"""

from __future__ import annotations

__all__ = [
    "COMPONENT_KINDS",
    "LANGS",
    "ORIGINAL",
    "QUOTE",
    "REFERENCE_TYPES",
    "REPLY",
    "RETWEET",
    "STANCES",
    "S_AGAINST",
    "S_FAVOUR",
    "S_NEUTRAL",
    "S_NEWS",
    "S_NONE",
]

#: Component kinds, in the order they are listed in ``truth.json``.
COMPONENT_KINDS = (
    "grassroots_opposition",
    "coordinated_campaign",
    "neutral_spike",
    "institutional_promotion",
    "persistent_topic",
    "background",
)

#: Languages of posts (code = index).
LANGS = ("fr", "en")

#: Post kinds.
ORIGINAL, RETWEET, REPLY, QUOTE = 0, 1, 2, 3
#: X API v2 ``referenced_tweets.type`` of each post kind (None for originals).
REFERENCE_TYPES = (None, "retweeted", "replied_to", "quoted")

#: Stance of a post towards its component's target (code = index). ``none`` is
#: chatter unrelated to any target; ``news`` is neutral reporting by media accounts.
STANCES = ("none", "against", "favour", "neutral", "news")
S_NONE, S_AGAINST, S_FAVOUR, S_NEUTRAL, S_NEWS = range(5)
