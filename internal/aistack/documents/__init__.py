"""Files AI Stack's systems render for download (PDF with Chinese text)."""
