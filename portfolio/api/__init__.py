"""The read-only JSON API under /api/v1/ for Power BI and other systems, its personal tokens,
and the OpenAPI document generated from the same definitions."""
