"""Study machinery shared by every batch command.

Experiment files and designs, run specs, the runner and its backends, result storage and
the manifest. Layer 6: imports the model, policies and everything below them.
"""
