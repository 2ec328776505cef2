"""Benchmarks: programs that print JSON (quality, latency, load, fan-out); results in bench/results/."""
