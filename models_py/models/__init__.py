"""Models: the LASSO benchmark and the multimodal deep-learning network."""
