"""Short help pages in Danish, one per area: roles, the sheet import, meeting packs, rollout,
pools and benefits; their tables are derived from the code they describe, so they cannot drift."""
