import numpy as np
import pandas as pd
import pytest

from sim.study.posterior import (
    Posterior,
    PosteriorError,
    from_frame,
    load_posterior,
    write_posterior,
)


def _frame(n=50):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"specialist_fte": rng.uniform(0.2, 0.9, n),
                         "caseload": rng.integers(1, 4, n),
                         "weight": rng.uniform(0, 1, n), "distance_users": rng.uniform(size=n)})


def test_round_trip_and_weights_normalised(tmp_path):
    post = from_frame(_frame())
    assert np.isclose(post.weights.sum(), 1.0)
    path = write_posterior(post, tmp_path / "posterior.parquet")
    again = load_posterior(tmp_path)  # the folder works too
    pd.testing.assert_frame_equal(again.params, post.params)
    assert np.allclose(again.weights, post.weights)
    assert list(again.extra.columns) == ["distance_users"] and path.is_file()


def test_sample_is_reproducible_typed_and_follows_the_weights():
    frame = pd.DataFrame({"specialist_fte": [0.2, 0.8], "caseload": [1, 3],
                          "weight": [1.0, 3.0]})
    post = from_frame(frame)
    a, b = post.sample(4000, seed=5), post.sample(4000, seed=5)
    assert a == b and isinstance(a[0]["caseload"], int)
    share = np.mean([d["specialist_fte"] == 0.8 for d in a])
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 4000)  # binomial error
    assert post.ess == pytest.approx(1 / (0.25**2 + 0.75**2))


@pytest.mark.parametrize("change, words", [
    (lambda f: f.drop(columns="weight"), "no 'weight'"),
    (lambda f: f.assign(not_a_param=1.0), "'not_a_param' is not a parameter"),
    (lambda f: f.assign(weight=-1.0), "non-negative"),
    (lambda f: f.assign(weight=np.nan), "finite"),
    (lambda f: f.assign(weight=0.0), "not all zero"),
    (lambda f: f.assign(specialist_fte=5.0), "row 1"),
    (lambda f: f.head(0), "no rows"),
    (lambda f: f[["weight"]], "no parameter columns"),
])
def test_bad_tables_are_one_line_errors(change, words):
    with pytest.raises(PosteriorError, match=words) as info:
        from_frame(change(_frame()))
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(PosteriorError, match="does not exist"):
        load_posterior(tmp_path / "nope.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(PosteriorError, match="not a readable Parquet"):
        load_posterior(bad)
    with pytest.raises(PosteriorError):
        Posterior(_frame()[["specialist_fte"]], np.ones(50) / 50, pd.DataFrame()).sample(0, 1)
