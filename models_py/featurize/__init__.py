"""Featurisers: scikit-learn-style transformers over the one-row-per-patient table."""
