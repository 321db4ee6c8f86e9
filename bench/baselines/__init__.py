"""Reference implementations lumbar is benchmarked against."""
