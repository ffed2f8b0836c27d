"""Benchmarks for Lintas: relevance against judged question sets, run by hand or as a CI slice.

Not part of the installed distribution: it reads data that lives outside the repository
(`../shared/data/`) and imports `search/` the way any client would.
"""
