"""Benchmarks: BASE calls, DynamoDB reads, throughput, cold start and memory, side by side.

Run ``make bench`` (or ``python -m bench [--quick] [--latency-ms N]``); the table is printed and
written to ``bench/results/latest.md``.
"""
