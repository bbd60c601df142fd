"""Chefforum meetings: the agenda item, the pack (rules, charts, exporters), publishing."""
