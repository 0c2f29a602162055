"""Reliability tooling: the hostile-request corpus, an in-process runtime harness, the soak
driver and the fuzz target. Offline only; nothing here ships in the function or the layer.
"""
