"""Score how fast each movement is emerging against its own past.

A movement emerges when it posts far more than *it* used to, at this time of day.
:class:`EmergenceScorer` compares each movement's window with its own baseline, with
a count model that stays honest at low counts (a hashtag going from nothing to a few
dozen posts) and at high counts (a big topic wobbling by a few percent).

The model, per movement ``i`` and hour ``t`` (hours are UTC hour starts):

* **Seasonal profile.** ``p(h)`` for hour-of-day ``h`` is the corpus-wide mean posts
  per hour at that hour of day over the baseline, divided by the mean over the 24
  hours, with ``profile_pseudocount`` posts added to each hour-of-day (a Dirichlet
  prior toward a flat profile): ``p(h) = (S_h + a) / (mean(S) + a)`` with ``S_h`` the
  baseline posts at hour ``h``, so ``mean(p) = 1``. An hour in which the whole corpus
  has no post is a data gap (collection not started, outage), not a quiet hour: it
  gets exposure 0 for every movement (``S_h`` is then a mean over the hours with
  data). This lets a deployment younger than ``baseline_days`` measure baselines over
  the hours it has, with at least ``MIN_EXPOSURE`` = 1 hour.
* **Baseline rate, Gamma-Poisson shrinkage.** The rate ``lambda_i`` (posts per hour
  at ``p = 1``) has a Gamma(``a0``, ``b0``) prior: ``a0 = prior_shape`` pseudo-posts
  (default 0.5, Jeffreys' prior for a Poisson rate) over ``b0 = prior_strength``
  pseudo-hours (default 0). With ``B_i`` baseline posts and exposure
  ``E_b = sum_t p(t)`` over the baseline hours with data the posterior is
  Gamma(``r_i = a0 + B_i``, ``b0 + E_b``) and the expected count in hour ``t`` is
  ``mu_it = r_i / (b0 + E_b) * p(t)``. A movement without baseline posts therefore
  has a small positive expectation (``0.5 / 168`` posts per hour with the defaults),
  never zero, while a big topic is not biased (a fixed prior mean with a strength of
  many pseudo-hours would pull a 200 posts/hour topic down and make it look
  surprising). With ``empirical_bayes=True`` the prior is instead fitted to the
  movements' baseline counts by maximum marginal (negative-binomial) likelihood,
  shape floored at ``prior_shape``: a homogeneous population then shrinks each
  movement toward the common rate, a heterogeneous one (the usual case) leaves the
  prior weak.
* **Predictive.** A count over ``L`` hours is negative binomial with mean
  ``mu = sum mu_it`` and squared coefficient of variation of its rate
  ``cv2 = (1 + phi_L) * (1 + 1 / r_i) - 1``: the posterior uncertainty ``1 / r_i``
  (exact Gamma-Poisson predictive) combined with the extra-Poisson variability
  ``phi_L`` of real series at that time scale. ``phi_L`` is the pooled method-of-
  moments estimate over the baseline blocks of ``L`` hours of all movements,
  ``phi_L = max(0, sum((O - X)^2 * n / (n - 1) - X) / sum(X^2))``, or ``dispersion``
  when given. ``predictive="poisson"`` uses the plug-in Poisson(``mu``) instead.
* **Surprise.** ``-log10 P(N >= n)`` of the window total and of the last
  ``recent_hours``; ``surprise`` is the smaller p-value, Bonferroni-corrected for the
  two looks: ``surprise = max(0, -log10(2 * min(p_window, p_recent)))``.
* **Growth.** ``growth = (n + s) / (mu + s)`` over the window, ``s = smoothing`` posts
  (default 1, add-one smoothing: ``growth`` is 1 for an idle movement, not 0/0).
* **Acceleration.** The seasonally adjusted growth of the last ``acceleration_hours``
  divided by that of the ``acceleration_hours`` before:
  ``((n_last + s) / (mu_last + s)) / ((n_prev + s) / (mu_prev + s))``.
* **Burst.** Kleinberg's two-state automaton (Kleinberg 2002, "Bursty and hierarchical
  structure in streams", batched form) over the baseline and window hours: state 0
  emits ``mu_it``, state 1 emits ``burst_scale * mu_it`` (negative binomial with the
  one-hour dispersion ``phi_1``), entering state 1 costs ``burst_cost * ln(T)``, leaving
  is free, solved exactly by Viterbi. ``burst`` is the share of the last
  ``burst_recent_hours`` window hours in state 1; ``burst_start`` the first hour of the
  most recent burst that reaches into those hours (``NaT`` when ``burst == 0``).
* **New authors.** ``new_author_share = new_authors / authors`` over the window, in
  ``[0, 1]``. ``authors`` is the distinct authors of the window when the caller passes
  ``window_authors``, else the sum of the hourly distinct counts (author-hours, an
  upper bound), which makes the share a lower bound.
* **Emergence.** ``emergence = sigmoid(surprise - surprise_threshold) * excess *
  (1 + new_author_share) / 2`` in ``[0, 1]``, with ``excess = max(0, 1 - 1 / growth)
  = (n - mu) / (n + s)``, the share of the window's posts above expectation. The
  three factors are significance (0.5 at ``surprise_threshold = 3``, i.e. p = 0.001;
  0.95 at 6), size of the rise relative to the movement (0.5 for a doubling, 0.9 for
  ten times) and who carries it (1 when every author is new, 0.5 when none is). A
  movement at its usual level scores ~0 however large; a clearly significant tenfold
  surge of new authors scores ~0.9. With many movements per window a caller wanting a
  family-wise level should raise ``surprise_threshold`` by ``log10(n_movements)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["EmergenceScorer", "upper_tail_surprise"]

_HOUR = pd.Timedelta(hours=1)
_HOURLY_COLUMNS = ("movement_id", "hour", "posts", "authors", "new_authors")
_OUTPUT_COLUMNS = (
    "movement_id",
    "posts",
    "authors",
    "new_authors",
    "expected",
    "growth",
    "surprise",
    "acceleration",
    "burst",
    "burst_start",
    "new_author_share",
    "emergence",
)
_LN10 = np.log(10.0)
#: Smallest baseline exposure in hours (a corpus younger than the baseline, warm-up).
MIN_EXPOSURE = 1.0
_TINY = 1e-9


def upper_tail_surprise(observed, expected, shape=np.inf):
    """Surprise ``-log10 P(N >= observed)`` of a count under its predictive law.

    Parameters
    ----------
    observed : array-like of int
        Observed counts.
    expected : array-like of float
        Predictive means (> 0).
    shape : float or array-like, default=inf
        Negative-binomial shape ``k`` (variance ``mu + mu**2 / k``); ``inf`` is Poisson.

    Returns
    -------
    numpy.ndarray of float
        ``-log10`` of the upper-tail probability, >= 0; 0 when ``observed <= 0``.

    Examples
    --------
    >>> round(float(upper_tail_surprise(10, 2.0)), 4)  # -log10 P(Poisson(2) >= 10)
    4.3326
    """
    n, mu, k = np.broadcast_arrays(
        np.asarray(observed, dtype=float),
        np.asarray(expected, dtype=float),
        np.asarray(shape, dtype=float),
    )
    out = np.zeros(n.shape, dtype=float)
    active = n > 0
    poisson = active & ~np.isfinite(k)
    negbin = active & np.isfinite(k)
    if poisson.any():
        out[poisson] = -stats.poisson.logsf(n[poisson] - 1, mu[poisson]) / _LN10
    if negbin.any():
        kk = k[negbin]
        out[negbin] = -stats.nbinom.logsf(n[negbin] - 1, kk, kk / (kk + mu[negbin])) / _LN10
    return np.maximum(out, 0.0)


def _count_logpmf(counts, mean, phi):
    """Log-pmf of counts under NB(mean, dispersion phi); Poisson when ``phi == 0``."""
    if phi <= 0:
        return stats.poisson.logpmf(counts, mean)
    k = 1.0 / phi
    return stats.nbinom.logpmf(counts, k, k / (k + mean))


def _fit_gamma_prior(counts, exposure):
    """Maximum marginal-likelihood Gamma prior of Poisson rates (empirical Bayes).

    Parameters
    ----------
    counts : numpy.ndarray
        Baseline posts of each movement, all observed over the same ``exposure``.
    exposure : float
        Seasonal exposure of the baseline (hours at profile 1).

    Returns
    -------
    tuple of float or None
        ``(shape, mean_rate)``, or ``None`` when fewer than two movements or no posts.
        With a common exposure the marginal maximum-likelihood mean is the sample
        mean; the shape maximises the negative-binomial likelihood of the counts.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.size < 2 or counts.sum() <= 0 or exposure <= 0:
        return None
    mean_count = counts.mean()

    def negative_loglik(log_shape):
        shape = np.exp(log_shape)
        return -float(
            np.sum(
                special.gammaln(counts + shape)
                - special.gammaln(shape)
                + shape * np.log(shape / (shape + mean_count))
                + counts * np.log(mean_count / (shape + mean_count))
            )
        )

    result = optimize.minimize_scalar(negative_loglik, bounds=(-12.0, 12.0), method="bounded")
    return float(np.exp(result.x)), float(mean_count / exposure)


def _pooled_dispersion(counts, profile, block):
    """Pooled method-of-moments extra-Poisson dispersion at a time scale of ``block`` hours.

    Parameters
    ----------
    counts : numpy.ndarray, shape (n_movements, n_hours)
        Baseline hourly counts.
    profile : numpy.ndarray, shape (n_hours,)
        Seasonal factor of each baseline hour.
    block : int
        Block length in hours; blocks are aligned to the end of the baseline.

    Returns
    -------
    float
        ``phi >= 0`` such that ``Var(O) ~= X + phi * X**2`` for block counts ``O`` of
        expectation ``X``; 0 when fewer than two blocks fit in the baseline.
    """
    n_blocks = counts.shape[1] // block if block > 0 else 0
    if n_blocks < 2 or counts.shape[0] == 0:
        return 0.0
    span = n_blocks * block
    observed = counts[:, -span:].reshape(counts.shape[0], n_blocks, block).sum(axis=2)
    exposure = profile[-span:].reshape(n_blocks, block).sum(axis=1)
    if exposure.sum() <= 0:
        return 0.0
    rate = observed.sum(axis=1) / exposure.sum()
    expected = rate[:, None] * exposure[None, :]
    denominator = float(np.square(expected).sum())
    if denominator <= 0:
        return 0.0
    excess = np.square(observed - expected) * (n_blocks / (n_blocks - 1)) - expected
    return max(0.0, float(excess.sum()) / denominator)


def _require(frame, columns, name):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")


def _window_end(value, hourly):
    """The exclusive end of the window as a UTC hour boundary (rounded up)."""
    if value is None:
        if hourly is None or hourly.empty:
            raise ValueError("window_end is required when hourly is empty")
        return pd.to_datetime(hourly["hour"], utc=True).max().floor("h") + _HOUR
    return pd.Timestamp(pd.to_datetime(value, utc=True)).ceil("h")


def _hour_index(hours, start):
    """Integer hour offsets of ``hours`` from ``start`` (any datetime resolution)."""
    hours = pd.to_datetime(hours, utc=True).dt.floor("h")
    return ((hours - start) // _HOUR).to_numpy(dtype=np.int64)


class EmergenceScorer(BaseEstimator):
    """Growth, surprise, burst and new authors of each movement against its baseline.

    See the module docstring for the model and every formula.

    Parameters
    ----------
    window_hours : int, default=24
        Length of the analysis window ending at ``window_end``.
    baseline_days : int, default=7
        Whole days before the window used as each movement's baseline and for the
        seasonal profile.
    prior_shape : float, default=0.5
        Shape ``a0`` of the Gamma prior on the baseline rate, in pseudo-posts (> 0).
    prior_strength : float, default=0.0
        Rate ``b0`` of the Gamma prior, in pseudo-hours (>= 0); the prior mean rate is
        ``prior_shape / prior_strength``.
    empirical_bayes : bool, default=False
        Fit ``a0, b0`` to the baseline counts of the movements fitted together
        (maximum marginal likelihood, ``a0 >= prior_shape``) instead.
    dispersion : float or None, default=None
        Extra-Poisson dispersion ``phi`` used at every time scale; ``None`` estimates
        one per time scale from the baseline (pooled method of moments).
    predictive : {"negative_binomial", "poisson"}, default="negative_binomial"
        Predictive law of counts. ``"poisson"`` ignores rate uncertainty and dispersion
        (useful for checks; over-confident on real data).
    recent_hours : int or None, default=3
        Length of the second look at the end of the window; ``None`` or 0 tests the
        window total only.
    acceleration_hours : int, default=6
        Half-span of ``acceleration``.
    smoothing : float, default=1.0
        Pseudo-posts added to observed and expected counts in ``growth`` and
        ``acceleration``.
    burst_scale : float, default=2.0
        Rate multiplier of the burst state (Kleinberg's ``s``).
    burst_cost : float, default=1.0
        Kleinberg's ``gamma``: entering the burst state costs ``gamma * ln(T)`` nats.
    burst_recent_hours : int, default=6
        Hours at the end of the window over which ``burst`` is the share in state 1.
    surprise_threshold : float, default=3.0
        Surprise (``-log10 p``) at which the significance factor of ``emergence`` is 0.5.
    profile_pseudocount : float, default=1.0
        Posts added to each hour-of-day of the corpus profile.

    Attributes
    ----------
    window_end_ : pandas.Timestamp
        Exclusive end of the fitted window (UTC, whole hour).
    profile_ : pandas.Series
        Seasonal factor by hour of day (index 0..23, mean 1).
    active_hours_ : pandas.DatetimeIndex
        Hours in which the corpus has posts (empty without ``corpus_hourly``).
    corpus_span_ : tuple of pandas.Timestamp or None
        First and last hour of the fitted grid when ``corpus_hourly`` was given: hours
        inside it without corpus posts are data gaps; ``None`` means no gaps known.
    baseline_ : pandas.DataFrame
        Indexed by ``movement_id``: ``baseline_posts``, ``exposure``, ``shape`` (the
        posterior Gamma shape ``r``) and ``rate`` (posterior mean posts per hour at
        profile 1).
    prior_shape_, prior_strength_ : float
        Gamma prior shape ``a0`` and rate ``b0`` actually used.
    dispersion_ : dict of int to float
        ``phi`` by time scale in hours (1, ``recent_hours``, ``window_hours``).

    Examples
    --------
    >>> hours = pd.date_range("2012-09-24", periods=8 * 24, freq="h", tz="UTC")
    >>> hourly = pd.DataFrame({"movement_id": "m", "hour": hours, "posts": 1,
    ...                        "authors": 1, "new_authors": 0})
    >>> scores = EmergenceScorer().score(hourly, None, hours[-1] + pd.Timedelta("1h"))
    >>> round(float(scores.loc[0, "growth"]), 1)
    1.0
    """

    def __init__(
        self,
        window_hours=24,
        baseline_days=7,
        prior_shape=0.5,
        prior_strength=0.0,
        empirical_bayes=False,
        dispersion=None,
        predictive="negative_binomial",
        recent_hours=3,
        acceleration_hours=6,
        smoothing=1.0,
        burst_scale=2.0,
        burst_cost=1.0,
        burst_recent_hours=6,
        surprise_threshold=3.0,
        profile_pseudocount=1.0,
    ):
        self.window_hours = window_hours
        self.baseline_days = baseline_days
        self.prior_shape = prior_shape
        self.prior_strength = prior_strength
        self.empirical_bayes = empirical_bayes
        self.dispersion = dispersion
        self.predictive = predictive
        self.recent_hours = recent_hours
        self.acceleration_hours = acceleration_hours
        self.smoothing = smoothing
        self.burst_scale = burst_scale
        self.burst_cost = burst_cost
        self.burst_recent_hours = burst_recent_hours
        self.surprise_threshold = surprise_threshold
        self.profile_pseudocount = profile_pseudocount

    # ------------------------------------------------------------------ helpers
    def _check_params(self):
        if int(self.window_hours) < 1:
            raise ValueError(f"window_hours must be >= 1, got {self.window_hours}")
        if int(self.baseline_days) < 1:
            raise ValueError(f"baseline_days must be >= 1, got {self.baseline_days}")
        if not float(self.prior_shape) > 0:
            raise ValueError(f"prior_shape must be > 0, got {self.prior_shape}")
        if not float(self.prior_strength) >= 0:
            raise ValueError(f"prior_strength must be >= 0, got {self.prior_strength}")
        if self.predictive not in ("negative_binomial", "poisson"):
            raise ValueError(
                f"predictive must be 'negative_binomial' or 'poisson', got {self.predictive!r}"
            )
        if not float(self.burst_scale) > 1:
            raise ValueError(f"burst_scale must be > 1, got {self.burst_scale}")
        if float(self.smoothing) <= 0:
            raise ValueError(f"smoothing must be > 0, got {self.smoothing}")

    def _grid(self, window_end):
        """Start of the baseline + window grid, its length and the baseline length."""
        baseline = int(self.baseline_days) * 24
        total = baseline + int(self.window_hours)
        return window_end - total * _HOUR, total, baseline

    def _recent(self):
        recent = int(self.recent_hours or 0)
        return min(recent, int(self.window_hours))

    @staticmethod
    def _matrices(hourly, ids, start, total, columns):
        """Dense (n_movements, total) matrices of ``columns`` on the hour grid."""
        rows = pd.Index(ids).get_indexer(hourly["movement_id"])
        cols = _hour_index(hourly["hour"], start)
        keep = (rows >= 0) & (cols >= 0) & (cols < total)
        flat = rows[keep] * total + cols[keep]
        size = len(ids) * total
        out = {}
        for column in columns:
            values = pd.to_numeric(hourly[column], errors="coerce").fillna(0).to_numpy(float)
            out[column] = np.bincount(flat, weights=values[keep], minlength=size).reshape(
                len(ids), total
            )
        return out

    def _active(self, start, total):
        """Grid hours with data: not a corpus-wide zero within the fitted grid."""
        if self.corpus_span_ is None:
            return np.ones(total, dtype=bool)
        hours = start + pd.to_timedelta(np.arange(total), unit="h")
        inside = (hours >= self.corpus_span_[0]) & (hours <= self.corpus_span_[1])
        return np.asarray(~inside | hours.isin(self.active_hours_), dtype=bool)

    def _exposure_of(self, start, total):
        """Seasonal factor of every hour of the grid, 0 in corpus data gaps."""
        hours_of_day = (start.hour + np.arange(total)) % 24
        return self.profile_.to_numpy(float)[hours_of_day] * self._active(start, total)

    # ---------------------------------------------------------------------- API
    def fit(self, hourly, corpus_hourly=None, window_end=None):
        """Learn the seasonal profile and each movement's baseline rate.

        Parameters
        ----------
        hourly : pandas.DataFrame
            ``movement_id, hour, posts, authors, new_authors`` per movement per hour
            over baseline and window; missing hours are zero.
        corpus_hourly : pandas.DataFrame or None, default=None
            ``hour, posts`` of the whole corpus; ``None`` uses the movements' total.
        window_end : timestamp-like or None, default=None
            Exclusive end of the window (rounded up to the hour); ``None`` is one hour
            after the last hour in ``hourly``.

        Returns
        -------
        self : EmergenceScorer
            The fitted scorer.
        """
        self._check_params()
        _require(hourly, _HOURLY_COLUMNS, "hourly")
        end = _window_end(window_end, hourly)
        start, total, baseline = self._grid(end)

        if corpus_hourly is None:
            corpus = hourly[["hour", "posts"]]
            self.corpus_span_, self.active_hours_ = None, pd.DatetimeIndex([], tz="UTC")
        else:
            _require(corpus_hourly, ("hour", "posts"), "corpus_hourly")
            corpus = corpus_hourly
            corpus_hours = pd.to_datetime(corpus["hour"], utc=True).dt.floor("h")
            has_posts = pd.to_numeric(corpus["posts"], errors="coerce").fillna(0).to_numpy() > 0
            self.active_hours_ = pd.DatetimeIndex(corpus_hours[has_posts].unique()).sort_values()
            self.corpus_span_ = (start, end - _HOUR)  # grid hours with no corpus row: gaps
        offset = _hour_index(corpus["hour"], start)
        in_baseline = (offset >= 0) & (offset < baseline)
        weights = pd.to_numeric(corpus["posts"], errors="coerce").fillna(0).to_numpy(float)
        hour_of_day = (start.hour + offset[in_baseline]) % 24
        by_hour = np.bincount(hour_of_day, weights=weights[in_baseline], minlength=24)
        # baseline hours with data, per hour of day (all of them without a corpus)
        active = self._active(start, total)[:baseline]
        days = np.bincount((start.hour + np.flatnonzero(active)) % 24, minlength=24)
        per_hour = np.divide(by_hour, days, out=np.zeros(24), where=days > 0)
        per_hour[days == 0] = per_hour[days > 0].mean() if (days > 0).any() else 0.0
        pseudo = float(self.profile_pseudocount) / max(float(days.mean()), 1.0)
        if per_hour.sum() + pseudo <= 0:
            profile = np.ones(24)
        else:
            profile = (per_hour + pseudo) / (per_hour.mean() + pseudo)
        self.profile_ = pd.Series(profile, index=pd.RangeIndex(24, name="hour_of_day"))
        self.window_end_ = end

        ids = pd.Index(pd.unique(hourly["movement_id"])).sort_values()
        counts = self._matrices(hourly, ids, start, total, ("posts",))["posts"][:, :baseline]
        grid_profile = self._exposure_of(start, total)[:baseline]
        exposure = max(float(grid_profile.sum()), MIN_EXPOSURE)
        observed = counts.sum(axis=1)

        self.prior_shape_, self.prior_strength_ = (
            float(self.prior_shape),
            float(self.prior_strength),
        )
        if self.empirical_bayes:
            fitted = _fit_gamma_prior(observed, exposure)
            if fitted is not None:
                shape_hat, mean_hat = fitted
                self.prior_shape_ = max(shape_hat, float(self.prior_shape))
                self.prior_strength_ = self.prior_shape_ / mean_hat
        strength = self.prior_strength_
        shape = self.prior_shape_ + observed
        self.baseline_ = pd.DataFrame(
            {
                "baseline_posts": observed,
                "exposure": exposure,
                "shape": shape,
                "rate": shape / (strength + exposure),
            },
            index=ids.rename("movement_id"),
        )

        scales = {1, int(self.window_hours)}
        if self._recent():
            scales.add(self._recent())
        if self.dispersion is None:
            self.dispersion_ = {
                scale: _pooled_dispersion(counts, grid_profile, scale) for scale in sorted(scales)
            }
        else:
            self.dispersion_ = {scale: float(self.dispersion) for scale in sorted(scales)}
        return self

    def _shape(self, posterior_shape, scale):
        """Negative-binomial shape of a count at ``scale`` hours (inf for Poisson)."""
        if self.predictive == "poisson":
            return np.full(posterior_shape.shape, np.inf)
        phi = self.dispersion_.get(scale)
        if phi is None:
            phi = float(self.dispersion) if self.dispersion is not None else 0.0
        cv2 = (1.0 + phi) * (1.0 + 1.0 / posterior_shape) - 1.0
        return 1.0 / cv2

    def _bursts(self, counts, expected):
        """Kleinberg two-state Viterbi over all movements at once.

        Returns the (n_movements, n_hours) boolean matrix of burst states.
        """
        n_rows, n_hours = counts.shape
        phi = 0.0 if self.predictive == "poisson" else self.dispersion_.get(1, 0.0)
        cost0 = -_count_logpmf(counts, expected, phi)
        cost1 = -_count_logpmf(counts, expected * float(self.burst_scale), phi)
        up = float(self.burst_cost) * np.log(max(n_hours, 2))
        back = np.zeros((n_rows, n_hours), dtype=bool)  # state 1 at t-1 led to state 1 at t
        back0 = np.zeros((n_rows, n_hours), dtype=bool)  # state 1 at t-1 led to state 0 at t
        best0 = cost0[:, 0].copy()
        best1 = cost1[:, 0] + up
        for t in range(1, n_hours):
            from0_to1 = best0 + up
            stay1 = best1
            back[:, t] = stay1 <= from0_to1
            new1 = np.minimum(stay1, from0_to1) + cost1[:, t]
            back0[:, t] = best1 < best0
            new0 = np.minimum(best0, best1) + cost0[:, t]
            best0, best1 = new0, new1
        states = np.zeros((n_rows, n_hours), dtype=bool)
        current = best1 < best0
        rows = np.arange(n_rows)
        for t in range(n_hours - 1, -1, -1):
            states[:, t] = current
            if t:
                current = np.where(current, back[rows, t], back0[rows, t])
        return states

    def transform(self, hourly, window_end=None, window_authors=None):
        """Score each movement's window.

        Parameters
        ----------
        hourly : pandas.DataFrame
            ``movement_id, hour, posts, authors, new_authors`` over baseline and window.
        window_end : timestamp-like or None, default=None
            Exclusive end of the window; ``None`` uses the fitted ``window_end_``.
        window_authors : pandas.Series, pandas.DataFrame or None, default=None
            Distinct authors of each movement in the window (Series indexed by
            ``movement_id`` or DataFrame ``movement_id, authors``). Without it,
            ``authors`` is the sum of the hourly distinct counts (author-hours, an upper
            bound of distinct authors), so ``new_author_share`` is then a lower bound,
            exact when no author posts in two different hours.

        Returns
        -------
        pandas.DataFrame
            One row per movement of ``hourly``: ``movement_id, posts, authors,
            new_authors, expected, growth, surprise, acceleration, burst, burst_start,
            new_author_share, emergence``.
        """
        check_is_fitted(self, "baseline_")
        _require(hourly, _HOURLY_COLUMNS, "hourly")
        end = self.window_end_ if window_end is None else _window_end(window_end, hourly)
        start, total, baseline = self._grid(end)
        ids = pd.Index(pd.unique(hourly["movement_id"])).sort_values()
        if len(ids) == 0:
            return pd.DataFrame({column: [] for column in _OUTPUT_COLUMNS})

        mats = self._matrices(hourly, ids, start, total, ("posts", "authors", "new_authors"))
        counts = mats["posts"]
        known = self.baseline_.reindex(ids)
        grid_exposure = self._exposure_of(start, total)
        exposure = max(float(grid_exposure[:baseline].sum()), MIN_EXPOSURE)
        shape = known["shape"].fillna(self.prior_shape_).to_numpy(float)
        prior_rate = self.prior_shape_ / (self.prior_strength_ + exposure)
        rate = known["rate"].fillna(prior_rate)
        expected = rate.to_numpy(float)[:, None] * grid_exposure[None, :]
        expected = np.maximum(expected, _TINY)  # a count in a corpus gap stays finite

        window = slice(baseline, total)
        posts = counts[:, window].sum(axis=1)
        mean = expected[:, window].sum(axis=1)
        log_p = -upper_tail_surprise(posts, mean, self._shape(shape, int(self.window_hours)))
        recent = self._recent()
        if recent:
            recent_posts = counts[:, total - recent :].sum(axis=1)
            recent_mean = expected[:, total - recent :].sum(axis=1)
            recent_log_p = -upper_tail_surprise(
                recent_posts, recent_mean, self._shape(shape, recent)
            )
            log_p = np.minimum(log_p, recent_log_p) + np.log10(2.0)
        surprise = np.maximum(0.0, -log_p)

        smooth = float(self.smoothing)
        growth = (posts + smooth) / (mean + smooth)
        span = max(1, min(int(self.acceleration_hours), total // 2))
        last = slice(total - span, total)
        prev = slice(total - 2 * span, total - span)
        acceleration = (
            (counts[:, last].sum(axis=1) + smooth) / (expected[:, last].sum(axis=1) + smooth)
        ) / ((counts[:, prev].sum(axis=1) + smooth) / (expected[:, prev].sum(axis=1) + smooth))

        states = self._bursts(counts, expected)
        recent_burst = max(1, min(int(self.burst_recent_hours), int(self.window_hours)))
        tail = states[:, total - recent_burst :]
        burst = tail.mean(axis=1)
        hour_numbers = np.arange(total)
        is_start = states & ~np.concatenate(
            [np.zeros((len(ids), 1), dtype=bool), states[:, :-1]], axis=1
        )
        run_start = np.maximum.accumulate(np.where(is_start, hour_numbers, -1), axis=1)
        last_on = total - 1 - np.argmax(tail[:, ::-1], axis=1)
        first_hour = run_start[np.arange(len(ids)), last_on]
        stamps = pd.DatetimeIndex(start + pd.to_timedelta(first_hour, unit="h"))
        burst_start = pd.Series(stamps.as_unit("ns")).where(tail.any(axis=1))

        new_authors = mats["new_authors"][:, window].sum(axis=1)
        authors = mats["authors"][:, window].sum(axis=1)
        if window_authors is not None:
            if isinstance(window_authors, pd.DataFrame):
                _require(window_authors, ("movement_id", "authors"), "window_authors")
                window_authors = window_authors.set_index("movement_id")["authors"]
            authors = window_authors.reindex(ids).fillna(0).to_numpy(float)
        share = np.divide(
            new_authors, authors, out=np.zeros_like(new_authors), where=authors > 0
        ).clip(0.0, 1.0)

        significance = 1.0 / (1.0 + np.exp(-(surprise - float(self.surprise_threshold))))
        excess = np.clip(1.0 - 1.0 / growth, 0.0, 1.0)
        emergence = significance * excess * (1.0 + share) / 2.0

        return pd.DataFrame(
            {
                "movement_id": ids.to_numpy(),
                "posts": posts.astype(np.int64),
                "authors": np.round(authors).astype(np.int64),
                "new_authors": new_authors.astype(np.int64),
                "expected": mean,
                "growth": growth,
                "surprise": surprise,
                "acceleration": acceleration,
                "burst": burst,
                "burst_start": burst_start,
                "new_author_share": share,
                "emergence": emergence,
            }
        )

    def fit_transform(self, hourly, corpus_hourly=None, window_end=None, window_authors=None):
        """Fit on ``hourly`` and score the same window; see :meth:`fit`, :meth:`transform`.

        Returns
        -------
        pandas.DataFrame
            The output of :meth:`transform`.
        """
        return self.fit(hourly, corpus_hourly, window_end).transform(
            hourly, window_authors=window_authors
        )

    def score(self, hourly, corpus_hourly=None, window_end=None, window_authors=None):
        """Alias of :meth:`fit_transform` (the per-movement scores, not a metric).

        Returns
        -------
        pandas.DataFrame
            The output of :meth:`transform`.
        """
        return self.fit_transform(hourly, corpus_hourly, window_end, window_authors)
