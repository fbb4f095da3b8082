"""EmergenceScorer: hand-built hourly series with hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from models.emergence import EmergenceScorer, upper_tail_surprise

pytestmark = pytest.mark.unit

END = pd.Timestamp("2012-10-01 12:00", tz="UTC")
HOURS = pd.date_range(END - pd.Timedelta(days=8), END, freq="h", inclusive="left")
BASELINE = 7 * 24


def hourly(movement_id, posts, authors=None, new_authors=None, hours=HOURS):
    """Rows of ``hourly`` for one movement from per-hour arrays (zero hours kept)."""
    posts = np.asarray(posts)
    return pd.DataFrame(
        {
            "movement_id": movement_id,
            "hour": hours,
            "posts": posts,
            "authors": posts if authors is None else np.asarray(authors),
            "new_authors": 0 if new_authors is None else np.asarray(new_authors),
        }
    )


def flat_corpus(hours=HOURS, per_hour=1000):
    return pd.DataFrame({"hour": hours, "posts": per_hour})


def row(scores, movement_id):
    return scores.set_index("movement_id").loc[movement_id]


def test_output_has_the_documented_columns_and_types():
    scores = EmergenceScorer().score(hourly("m", np.full(len(HOURS), 2)), flat_corpus(), END)
    assert list(scores.columns) == [
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
    ]
    assert str(scores["burst_start"].dtype) == "datetime64[ns, UTC]"
    assert scores["posts"].dtype == np.int64


def test_flat_series_has_growth_one_and_no_surprise():
    scores = EmergenceScorer().score(hourly("m", np.full(len(HOURS), 3)), flat_corpus(), END)
    m = row(scores, "m")
    # Jeffreys posterior mean (0.5 + 504) / 168 per hour, times 24 window hours
    expected = (0.5 + 3 * BASELINE) / BASELINE * 24
    assert m["expected"] == pytest.approx(expected)
    assert m["growth"] == pytest.approx((72 + 1) / (expected + 1))
    assert m["growth"] == pytest.approx(1.0, abs=0.01)
    assert m["surprise"] < 1.0
    assert m["acceleration"] == pytest.approx(1.0)
    assert m["burst"] == 0.0
    assert pd.isna(m["burst_start"])
    assert m["emergence"] < 0.01


def test_upper_tail_surprise_is_scipys_poisson_tail():
    assert float(upper_tail_surprise(10, 2.0)) == pytest.approx(-np.log10(stats.poisson.sf(9, 2.0)))
    nb = -np.log10(stats.nbinom.sf(9, 3.0, 3.0 / (3.0 + 2.0)))
    assert float(upper_tail_surprise(10, 2.0, shape=3.0)) == pytest.approx(nb)
    assert float(upper_tail_surprise(0, 2.0)) == 0.0


def test_poisson_window_surprise_equals_scipy_value():
    # 0.5 posts/hour in the baseline (one every two hours), 20 posts in the window
    posts = np.zeros(len(HOURS), dtype=int)
    posts[:BASELINE:2] = 1
    posts[BASELINE : BASELINE + 20] = 1
    scorer = EmergenceScorer(predictive="poisson", recent_hours=None)
    m = row(scorer.score(hourly("m", posts), flat_corpus(), END), "m")
    mu = (0.5 + 84) / BASELINE * 24
    assert m["expected"] == pytest.approx(mu)
    assert m["surprise"] == pytest.approx(-np.log10(stats.poisson.sf(19, mu)))


def test_negative_binomial_window_surprise_is_the_gamma_poisson_predictive():
    posts = np.zeros(len(HOURS), dtype=int)
    posts[:BASELINE:2] = 1
    posts[BASELINE : BASELINE + 20] = 1
    scorer = EmergenceScorer(dispersion=0.0, recent_hours=None)
    m = row(scorer.score(hourly("m", posts), flat_corpus(), END), "m")
    # posterior Gamma(0.5 + 84, 168) -> predictive NB(r = 84.5, p = 168 / (168 + 24))
    exact = -np.log10(stats.nbinom.sf(19, 84.5, 168 / (168 + 24)))
    assert m["surprise"] == pytest.approx(exact)


def test_low_count_rise_is_significant_but_same_rise_on_big_topic_is_not():
    low = np.where(np.arange(len(HOURS)) % 5 == 0, 1, 0)  # 0.2 posts/hour
    big = np.full(len(HOURS), 200)
    low[-2:] += 5  # +10 posts in the last 2 hours
    big[-2:] += 5
    data = pd.concat([hourly("low", low), hourly("big", big)])
    scores = EmergenceScorer().score(data, flat_corpus(), END)
    assert row(scores, "low")["surprise"] > 3.0  # p < 0.001
    assert row(scores, "big")["surprise"] < 1.3  # p > 0.05
    assert row(scores, "low")["emergence"] > 10 * row(scores, "big")["emergence"]
    assert row(scores, "big")["growth"] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("extra", [5, 10, 50])
def test_movement_from_nothing_is_significant_within_hours(extra):
    posts = np.zeros(len(HOURS), dtype=int)
    posts[-3:] = np.array([1, 1, 1]) * (extra // 3) + np.array([extra % 3, 0, 0])
    scores = EmergenceScorer().score(hourly("new", posts), flat_corpus(), END)
    m = row(scores, "new")
    assert np.isfinite(m[["expected", "growth", "surprise", "acceleration"]].astype(float)).all()
    assert m["expected"] > 0
    assert m["surprise"] > 3.0
    # Kleinberg's automaton needs sum(c * ln 2 - mu) > ln(T) = ln 192 over the burst:
    # 5 posts (3 + 1 + 1) give 3.5 nats, not enough; 10 posts (4 + 3 + 3) give 6.9
    assert (m["burst"] > 0) == (extra >= 10)


def test_surprise_grows_with_the_size_of_the_rise():
    low = np.where(np.arange(len(HOURS)) % 5 == 0, 1, 0)
    series = []
    for extra in (5, 10, 50):
        posts = low.copy()
        posts[-3:] += extra // 3
        series.append(hourly(f"m{extra:02d}", posts))
    scores = EmergenceScorer().score(pd.concat(series), flat_corpus(), END)
    assert scores["surprise"].is_monotonic_increasing
    assert scores["emergence"].is_monotonic_increasing


def test_same_count_at_4am_expects_less_than_at_6pm():
    results = {}
    for hour in (4, 18):
        end = pd.Timestamp(f"2012-10-01 {hour + 1:02d}:00", tz="UTC")
        hours = pd.date_range(
            end - pd.Timedelta(hours=BASELINE + 1), end, freq="h", inclusive="left"
        )
        corpus = pd.DataFrame({"hour": hours, "posts": 50})
        corpus.loc[hours.hour == 4, "posts"] = 10  # quiet night
        corpus.loc[hours.hour == 18, "posts"] = 100  # busy evening
        posts = np.ones(len(hours), dtype=int)
        posts[-1] = 5  # the same 5 posts in the window hour
        scorer = EmergenceScorer(window_hours=1)
        results[hour] = row(scorer.score(hourly("m", posts, hours=hours), corpus, end), "m")
    # profile p(h) = (S_h + 1) / (mean S + 1), S over 7 days: 70 posts at 4h, 700 at 18h
    assert results[4]["expected"] / results[18]["expected"] == pytest.approx(71 / 701)
    assert results[4]["expected"] < results[18]["expected"]
    assert results[4]["surprise"] > results[18]["surprise"]


def test_burst_starts_at_the_step():
    posts = np.ones(len(HOURS), dtype=int)
    posts[-10:] = 8  # the step: 14 ordinary window hours, then 10 busy ones
    scores = EmergenceScorer().score(hourly("m", posts), flat_corpus(), END)
    m = row(scores, "m")
    assert m["burst_start"] == END - pd.Timedelta(hours=10)
    assert m["burst"] == 1.0


def test_acceleration_is_the_ratio_of_smoothed_halves():
    posts = np.ones(len(HOURS), dtype=int)
    posts[-12:-6] = 1  # 6 posts in the previous 6 hours
    posts[-6:] = 2  # 12 posts in the last 6 hours
    scorer = EmergenceScorer(recent_hours=None)
    m = row(scorer.score(hourly("m", posts), flat_corpus(), END), "m")
    rate = (0.5 + BASELINE) / BASELINE
    assert m["acceleration"] == pytest.approx(
        ((12 + 1) / (6 * rate + 1)) / ((6 + 1) / (6 * rate + 1))
    )


def test_new_author_share_is_exact():
    posts = np.zeros(len(HOURS), dtype=int)
    authors = np.zeros(len(HOURS), dtype=int)
    new = np.zeros(len(HOURS), dtype=int)
    posts[-3:], authors[-3:], new[-3:] = [3, 4, 5], [3, 4, 5], [3, 1, 0]
    data = hourly("m", posts, authors, new)
    scores = EmergenceScorer().score(data, flat_corpus(), END)
    assert row(scores, "m")["new_authors"] == 4
    assert row(scores, "m")["new_author_share"] == pytest.approx(4 / 12)
    distinct = pd.DataFrame({"movement_id": ["m"], "authors": [9]})
    scores = EmergenceScorer().score(data, flat_corpus(), END, window_authors=distinct)
    assert row(scores, "m")["authors"] == 9
    assert row(scores, "m")["new_author_share"] == pytest.approx(4 / 9)


def test_missing_hours_are_zero_and_unseen_movements_use_the_prior():
    posts = np.ones(len(HOURS), dtype=int)
    data = hourly("m", posts)
    sparse = data[data.index % 2 == 0]  # drop every other hour: those hours are zero
    scorer = EmergenceScorer().fit(sparse, flat_corpus(), END)
    assert scorer.baseline_.loc["m", "baseline_posts"] == BASELINE / 2
    newcomer = hourly("n", np.r_[np.zeros(len(HOURS) - 1, int), 4])
    scores = scorer.transform(pd.concat([sparse, newcomer]))
    n = row(scores, "n")
    assert n["expected"] == pytest.approx(0.5 / BASELINE * 24)
    assert n["surprise"] > 3.0


def test_hours_before_the_corpus_starts_are_a_gap_not_a_quiet_baseline():
    started = END - pd.Timedelta(days=3)  # collection began 2 days before the window
    data = hourly("m", np.where(started <= HOURS, 1, 0))
    corpus = flat_corpus()
    corpus.loc[corpus["hour"] < started, "posts"] = 0
    m = row(EmergenceScorer().score(data, corpus, END), "m")
    assert m["expected"] == pytest.approx((0.5 + 48) / 48 * 24)
    assert m["growth"] == pytest.approx(1.0, abs=0.02)
    assert m["surprise"] < 1.0
    # without a corpus every hour counts: 48 posts over a 168-hour baseline
    m = row(EmergenceScorer().score(data, None, END), "m")
    assert m["expected"] == pytest.approx((0.5 + 48) / 168 * 24)


def test_dispersion_is_estimated_from_overdispersed_baselines():
    rng = np.random.default_rng(0)
    day = np.repeat(np.arange(8), 24)
    frames = []
    for k in range(200):
        daily = rng.gamma(4.0, 10.0 / 4.0, size=8)  # squared CV of daily rates 0.25
        frames.append(hourly(f"m{k:03d}", rng.poisson(daily[day])))
    scorer = EmergenceScorer().fit(pd.concat(frames), flat_corpus(), END)
    assert scorer.dispersion_[24] == pytest.approx(0.25, abs=0.1)
    assert 0.0 <= scorer.dispersion_[1] <= scorer.dispersion_[24] + 0.1


def test_empirical_bayes_prior_is_proper_and_keeps_big_topics_unbiased():
    frames = [hourly("big", np.full(len(HOURS), 200)), hourly("new", np.zeros(len(HOURS), int))]
    frames += [hourly(f"s{k}", np.full(len(HOURS), k % 3)) for k in range(10)]
    scorer = EmergenceScorer(empirical_bayes=True).fit(pd.concat(frames), flat_corpus(), END)
    assert scorer.prior_shape_ >= 0.5
    assert scorer.baseline_.loc["big", "rate"] == pytest.approx(200, rel=0.01)
    assert scorer.baseline_.loc["new", "rate"] > 0


def test_transform_needs_fit_and_columns():
    with pytest.raises(NotFittedError):
        EmergenceScorer().transform(hourly("m", np.ones(len(HOURS))))
    with pytest.raises(ValueError, match="new_authors"):
        EmergenceScorer().fit(hourly("m", np.ones(len(HOURS))).drop(columns="new_authors"))


def test_window_end_defaults_to_the_hour_after_the_last_row():
    data = hourly("m", np.full(len(HOURS), 2))
    scorer = EmergenceScorer().fit(data, flat_corpus())
    assert scorer.window_end_ == END


def test_clone_and_params_round_trip():
    scorer = EmergenceScorer(window_hours=12, prior_shape=1.0, dispersion=0.1)
    assert clone(scorer).get_params() == scorer.get_params()
    check_no_attributes_set_in_init("EmergenceScorer", EmergenceScorer())
    check_get_params_invariance("EmergenceScorer", EmergenceScorer())
    check_set_params("EmergenceScorer", EmergenceScorer())
    check_parameters_default_constructible("EmergenceScorer", EmergenceScorer())
