"""Evaluation of UPR Assistant: the eval set, its checker, and deterministic metrics."""
