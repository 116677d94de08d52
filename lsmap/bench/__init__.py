"""Benchmarks anyone can run (``lsmap bench ...``) and the synthetic city/prefecture data
they use."""
