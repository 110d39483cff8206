"""Calibration: fit the model to published patterns and a district's data (ABC-SMC).

``tis-sim calibrate FILE`` (:mod:`sim.cli.calibrate`) reads a calibration file
(:mod:`sim.calibrate.spec`, patterns in :mod:`sim.calibrate.patterns`), optionally a
district's observed data (:mod:`sim.calibrate.observed`, observables in
:mod:`sim.calibrate.observe`), and runs ABC-SMC with pyABC (:mod:`sim.calibrate.abc`,
:mod:`sim.calibrate.sampler`, :mod:`sim.calibrate.run`); :mod:`sim.calibrate.report` writes
the report. pyABC is the ``calibrate`` extra: only the modules that run ABC import it.
"""

from sim.calibrate import observe, observed

__all__ = ["observe", "observed"]
