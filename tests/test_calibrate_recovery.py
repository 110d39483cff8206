"""Parameter recovery: data made by the model at known values are fitted back by ABC-SMC.

Two parameters the patterns identify (the troubleshooting burden and the specialist's FTE)
and one they cannot (``lesson_prob`` is inert under the ``do_for`` style: a fix never
becomes a lesson). Targets are the means of runs at the true values; each tolerance is the
spread of single runs there (the noise one particle's run has). Small budget, 2 workers.
"""

import numpy as np
import pytest
from pyabc.weighted_statistics import weighted_quantile

from sim.calibrate.report import parameter_table
from sim.calibrate.run import run_calibration
from sim.calibrate.spec import load_calibration
from sim.rng import child_seeds
from sim.run import simulate

TRUE = {"tickets_per_user_month": 2.0, "specialist_fte": 0.3, "lesson_prob": 0.5}
BASE = {"preset": "small_school", "support_style": "do_for"}
DAYS = 120
# Since the obstacles bind (issue 10) a specialist's minutes are all used at any FTE, so
# unused time says nothing about FTE; unanswered help requests that lapse, and those served,
# do (fewer minutes: more lapse, fewer are served).
OUTPUTS = ("tickets_per_user_month", "time_troubleshooting", "requests_lapsed",
           "requests_served")


def _observed() -> dict[str, tuple[float, float]]:
    runs = [simulate({**BASE, **TRUE}, s, DAYS, daily_every=0).summary
            for s in child_seeds(99, 8)]
    return {k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs])))
            for k in OUTPUTS}


@pytest.mark.slow
def test_true_values_are_recovered(tmp_path):
    patterns = "".join(
        f'[patterns.{k}]\noutput = "{k}"\ntarget = {m!r}\ntolerance = {max(s, 1e-3)!r}\n'
        for k, (m, s) in _observed().items())
    path = tmp_path / "recovery.toml"
    path.write_text(f"""
[calibration]
preset = "small_school"
days = {DAYS}
seed = 2024
population = 40
generations = 4
predictive = 0
[fixed]
support_style = "do_for"
[parameters.tickets_per_user_month]
[parameters.specialist_fte]
[parameters.lesson_prob]
{patterns}""")
    cal = load_calibration(path)
    result = run_calibration(cal, tmp_path / "out", backend="local", workers=2, progress=False)
    post = result.posterior
    assert result.generations == 4 and len(post.params) == 40
    for name, value in TRUE.items():
        x = post.params[name].to_numpy(float)
        lo, hi = (weighted_quantile(x, weights=post.weights, alpha=a) for a in (0.05, 0.95))
        assert lo <= value <= hi, (name, lo, value, hi)
    ratio = parameter_table(cal, post).set_index("parameter")["width_ratio"]
    # identified: clearly narrower than the prior (about 0.5 and 0.35 at this budget)
    assert ratio["tickets_per_user_month"] < 0.7 and ratio["specialist_fte"] < 0.7, ratio
    assert ratio["lesson_prob"] > 0.6, ratio  # not identified: about as wide as the prior
