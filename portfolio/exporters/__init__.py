"""Writing portfolio files (workbooks, packs) from plain rows; no Flask, no database."""
