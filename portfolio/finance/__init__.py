"""Funding pools (ledgers) and benefits realisation."""
