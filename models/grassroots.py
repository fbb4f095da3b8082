"""How grassroots is a movement: who drives it, and does it go around the intermediaries?

The pigeons of 2012 rose without unions, parties or the press; a ministry's campaign
is driven by the ministry and amplified through its reposts. :class:`GrassrootsScorer`
measures, per movement, how much of it comes from *institutional* accounts —
government, ministries, presidency, parties and politicians, unions and employers'
organisations, mainstream media, public institutions — and how much of its traffic
(reposts, quotes, replies, mentions) passes through them.

Institutional accounts are recognised by handle (compared casefolded, without a
leading ``@``) against :func:`load_institutional_accounts` — a curated list shipped in
``models/data/institutional_accounts.csv`` — or any list given, and/or by
``author_uid``. Use ``institutional_author_uids`` for pseudonymised data where handles
are hashed: hash the institutional handles (or look up their ids) with the same
pseudonymisation and pass the resulting ``author_uid`` values; handle matching then
finds nothing and does no harm.

Per movement:

* ``institutional_authors`` — distinct institutional authors;
* ``institutional_post_share`` — their posts / all posts of the movement;
* ``institutional_amplification`` — share of the movement's reposts and quotes
  (``amplification_kinds``) whose target is institutional (0 when it has none);
* ``bypass = 1 - t``, ``t`` the share of the movement's interactions of any kind with
  an institutional source or target (1 when it has none: nothing went through an
  intermediary);
* ``grassroots = (1 - institutional_post_share) * bypass`` in ``[0, 1]``: 1 when
  ordinary authors write everything and never route through institutions, 0 when
  institutions write everything or every interaction goes through them.

Interactions are attributed to movements by their ``movement_id`` column when present
(the caller joins ``interactions.post_uid`` to the movement's posts); otherwise each
interaction counts in every movement of its source author, an approximation that
over-counts authors active in several movements.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["AMPLIFICATION_KINDS", "KINDS", "GrassrootsScorer", "load_institutional_accounts"]

#: Allowed values of the ``kind`` column of the institutional accounts list.
KINDS = ("government", "party", "union", "media", "institution")
#: Interaction kinds that amplify their target (``interactions.kind``).
AMPLIFICATION_KINDS = ("repost", "quote")
_ACCOUNT_COLUMNS = ("handle", "kind", "name", "country")
_OUTPUT_COLUMNS = (
    "movement_id",
    "institutional_authors",
    "institutional_post_share",
    "institutional_amplification",
    "bypass",
    "grassroots",
)


def _casefold_handles(values):
    """Handles as compared: text, leading ``@`` and spaces removed, casefolded."""
    out = pd.Series(values, dtype="str").str.strip().str.lstrip("@").str.casefold()
    return out.where(out != "")


def load_institutional_accounts(path=None):
    """Read the list of institutional accounts.

    Parameters
    ----------
    path : str, pathlib.Path or None, default=None
        A CSV with columns ``handle, kind, name, country``; ``None`` reads the list
        shipped with the package (``models/data/institutional_accounts.csv``: French
        government, ministries, presidency, parties and politicians, unions and
        employers' organisations, mainstream media and public institutions, plus some
        EU, British, American and international ones; handles as written on X).

    Returns
    -------
    pandas.DataFrame
        ``handle, kind, name, country``; handles without ``@``, as written (compare
        them casefolded), kinds in :data:`KINDS`.

    Raises
    ------
    ValueError
        If a column is missing or a kind is unknown.

    Examples
    --------
    >>> accounts = load_institutional_accounts()
    >>> "elysee" in set(accounts["handle"].str.casefold())
    True
    """
    if path is None:
        source = resources.files("models").joinpath("data", "institutional_accounts.csv")
        with resources.as_file(source) as shipped:
            frame = pd.read_csv(shipped, dtype="str", keep_default_na=False)
    else:
        frame = pd.read_csv(Path(path), dtype="str", keep_default_na=False)
    missing = [column for column in _ACCOUNT_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"institutional accounts file {path} lacks column(s) {missing}")
    frame = frame.loc[:, list(_ACCOUNT_COLUMNS)].copy()
    frame["handle"] = frame["handle"].str.strip().str.lstrip("@")
    frame["kind"] = frame["kind"].str.strip().str.casefold()
    unknown = sorted(set(frame["kind"]) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kind(s) {unknown} in institutional accounts; use {KINDS}")
    return frame[frame["handle"] != ""].reset_index(drop=True)


class GrassrootsScorer(BaseEstimator):
    """Institutional share and bypass of intermediaries, per movement.

    See the module docstring for every formula.

    Parameters
    ----------
    institutional_handles : iterable of str or None, default=None
        Handles of institutional accounts; ``None`` uses
        :func:`load_institutional_accounts`. Compared casefolded, ``@`` ignored.
    institutional_author_uids : iterable of str or None, default=None
        ``author_uid`` values that are institutional whatever their handle (for
        pseudonymised data).
    amplification_kinds : iterable of str or None, default=None
        Interaction kinds counted in ``institutional_amplification``; ``None`` is
        :data:`AMPLIFICATION_KINDS`.

    Attributes
    ----------
    handles_ : numpy.ndarray of str
        Casefolded institutional handles used.
    institutional_uids_ : numpy.ndarray of str
        ``author_uid`` values found institutional in the fitted data, plus
        ``institutional_author_uids``.
    movement_scores_ : pandas.DataFrame
        :meth:`transform` of the fitted data.

    Examples
    --------
    >>> authors = pd.DataFrame({"movement_id": ["a", "a"], "author_uid": ["x:1", "x:2"],
    ...                         "posts": [3, 1], "author_handle": ["Elysee", "jean"]})
    >>> scores = GrassrootsScorer().fit(authors).movement_scores_
    >>> float(scores.loc[0, "institutional_post_share"])
    0.75
    """

    def __init__(
        self,
        institutional_handles=None,
        institutional_author_uids=None,
        amplification_kinds=None,
    ):
        self.institutional_handles = institutional_handles
        self.institutional_author_uids = institutional_author_uids
        self.amplification_kinds = amplification_kinds

    def _handle_map(self, movement_authors, interactions, author_handles):
        """``author_uid -> casefolded handle`` from every input that carries handles."""
        parts = []
        if "author_handle" in movement_authors.columns:
            parts.append(movement_authors[["author_uid", "author_handle"]])
        if author_handles is not None:
            _require(author_handles, ("author_uid", "author_handle"), "author_handles")
            parts.append(author_handles[["author_uid", "author_handle"]])
        if interactions is not None:
            for side in ("src", "dst"):
                if f"{side}_author_handle" in interactions.columns:
                    parts.append(
                        interactions[[f"{side}_author_uid", f"{side}_author_handle"]].set_axis(
                            ["author_uid", "author_handle"], axis=1
                        )
                    )
        if not parts:
            return pd.DataFrame({"author_uid": [], "handle": []})
        handles = pd.concat(parts, ignore_index=True)
        handles = pd.DataFrame(
            {
                "author_uid": handles["author_uid"].to_numpy(),
                "handle": _casefold_handles(handles["author_handle"]).to_numpy(),
            }
        )
        return handles.dropna().drop_duplicates()

    def _institutional(self, movement_authors, interactions, author_handles):
        """``author_uid`` values that are institutional in the given inputs."""
        handles = self._handle_map(movement_authors, interactions, author_handles)
        matched = handles.loc[handles["handle"].isin(self.handles_), "author_uid"]
        uids = pd.Series(list(self.institutional_author_uids or []), dtype="object").astype("str")
        return np.union1d(matched.astype("str").to_numpy(), uids.to_numpy())

    def fit(self, movement_authors, interactions=None, author_handles=None):
        """Resolve institutional accounts and score the movements.

        Parameters
        ----------
        movement_authors : pandas.DataFrame
            ``movement_id, author_uid`` with optional ``posts`` (default 1) and
            ``author_handle``.
        interactions : pandas.DataFrame or None, default=None
            ``src_author_uid, dst_author_uid, kind``, optional ``movement_id``,
            ``src_author_handle``, ``dst_author_handle``.
        author_handles : pandas.DataFrame or None, default=None
            ``author_uid, author_handle`` of other accounts (targets of interactions
            that are not movement authors).

        Returns
        -------
        self : GrassrootsScorer
            The fitted scorer.
        """
        _require(movement_authors, ("movement_id", "author_uid"), "movement_authors")
        if self.institutional_handles is None:
            listed = load_institutional_accounts()["handle"]
        else:
            listed = pd.Series(list(self.institutional_handles), dtype="object")
        self.handles_ = np.unique(_casefold_handles(listed).dropna().to_numpy(dtype=str))
        self.institutional_uids_ = self._institutional(
            movement_authors, interactions, author_handles
        )
        self.movement_scores_ = self.transform(movement_authors, interactions, author_handles)
        return self

    def transform(self, movement_authors, interactions=None, author_handles=None):
        """Score movements.

        Parameters
        ----------
        movement_authors, interactions, author_handles
            As in :meth:`fit`; institutional accounts are those found at fit time plus
            those recognised in these inputs.

        Returns
        -------
        pandas.DataFrame
            One row per movement: ``movement_id, institutional_authors,
            institutional_post_share, institutional_amplification, bypass,
            grassroots``.
        """
        check_is_fitted(self, "handles_")
        _require(movement_authors, ("movement_id", "author_uid"), "movement_authors")
        institutional = np.union1d(
            self.institutional_uids_,
            self._institutional(movement_authors, interactions, author_handles),
        )
        authors = pd.DataFrame(
            {
                "movement_id": movement_authors["movement_id"].to_numpy(),
                "author_uid": pd.Series(movement_authors["author_uid"], dtype="str").to_numpy(),
                "posts": (
                    pd.to_numeric(movement_authors["posts"], errors="coerce").fillna(0).to_numpy()
                    if "posts" in movement_authors.columns
                    else np.ones(len(movement_authors))
                ),
            }
        )
        authors["institutional"] = authors["author_uid"].isin(institutional)
        authors["institutional_posts"] = authors["posts"].where(authors["institutional"], 0)
        by_movement = authors.groupby("movement_id", sort=True)
        ids = by_movement.size().index
        posts = by_movement["posts"].sum().to_numpy(float)
        institutional_posts = by_movement["institutional_posts"].sum().to_numpy(float)
        institutional_authors = (
            authors[authors["institutional"]]
            .drop_duplicates(["movement_id", "author_uid"])
            .groupby("movement_id")
            .size()
            .reindex(ids, fill_value=0)
            .to_numpy(np.int64)
        )
        post_share = np.divide(institutional_posts, posts, out=np.zeros(len(ids)), where=posts > 0)

        amplification = np.zeros(len(ids))
        bypass = np.ones(len(ids))
        if interactions is not None and len(interactions):
            edges = self._attributed(interactions, authors)
            kinds = (
                AMPLIFICATION_KINDS
                if self.amplification_kinds is None
                else self.amplification_kinds
            )
            kinds = [str(kind).casefold() for kind in kinds]
            edges["through"] = edges["src_author_uid"].isin(institutional) | edges[
                "dst_author_uid"
            ].isin(institutional)
            edges["amplifies"] = edges["kind"].isin(kinds)
            edges["amplifies_institution"] = edges["amplifies"] & edges["dst_author_uid"].isin(
                institutional
            )
            per = edges.groupby("movement_id").agg(
                total=("through", "size"),
                through=("through", "sum"),
                amplifies=("amplifies", "sum"),
                amplifies_institution=("amplifies_institution", "sum"),
            )
            per = per.reindex(ids, fill_value=0).astype(float)
            amplification = np.divide(
                per["amplifies_institution"].to_numpy(),
                per["amplifies"].to_numpy(),
                out=np.zeros(len(ids)),
                where=per["amplifies"].to_numpy() > 0,
            )
            through = np.divide(
                per["through"].to_numpy(),
                per["total"].to_numpy(),
                out=np.zeros(len(ids)),
                where=per["total"].to_numpy() > 0,
            )
            bypass = 1.0 - through

        return pd.DataFrame(
            {
                "movement_id": ids.to_numpy(),
                "institutional_authors": institutional_authors,
                "institutional_post_share": post_share,
                "institutional_amplification": amplification,
                "bypass": bypass,
                "grassroots": (1.0 - post_share) * bypass,
            },
            columns=list(_OUTPUT_COLUMNS),
        )

    @staticmethod
    def _attributed(interactions, authors):
        """Interactions with a ``movement_id`` (given, or from the source's movements)."""
        _require(interactions, ("src_author_uid", "dst_author_uid", "kind"), "interactions")
        edges = pd.DataFrame(
            {
                "src_author_uid": pd.Series(interactions["src_author_uid"], dtype="str").to_numpy(),
                "dst_author_uid": pd.Series(interactions["dst_author_uid"], dtype="str").to_numpy(),
                "kind": pd.Series(interactions["kind"], dtype="str").str.casefold().to_numpy(),
            }
        )
        if "movement_id" in interactions.columns:
            edges["movement_id"] = interactions["movement_id"].to_numpy()
            return edges
        membership = authors[["movement_id", "author_uid"]].drop_duplicates()
        return edges.merge(
            membership.rename(columns={"author_uid": "src_author_uid"}), on="src_author_uid"
        )

    def fit_transform(self, movement_authors, interactions=None, author_handles=None):
        """Fit and return :attr:`movement_scores_`.

        Returns
        -------
        pandas.DataFrame
            The output of :meth:`transform` on the fitted data.
        """
        return self.fit(movement_authors, interactions, author_handles).movement_scores_


def _require(frame, columns, name):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")
