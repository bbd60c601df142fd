"""Importing the SharePoint sheet: upload, mapping, preview, apply (around importers/)."""
