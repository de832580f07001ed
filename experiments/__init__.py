"""Studies: one module per study question, each run as `python -m experiments.NAME` from the
repository root; experiments/README.md lists the questions and their commands."""
