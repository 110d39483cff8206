"""Parameter sweeps and global sensitivity analysis: running designs, analysis, reports."""
