"""lumbar benchmark harness: `make bench` (python -m bench.run) times the pipeline and writes BENCHMARKS.md."""
