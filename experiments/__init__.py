"""Experiment machinery: single runs, sweeps, sensitivity analysis, what-if studies, reports."""
