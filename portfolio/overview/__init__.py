"""The overview page for Chefforum and its queries."""
