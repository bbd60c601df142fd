"""Rollout plans: each municipality-wide app department by department."""
