"""AI Stack trend analysis (port 8014): hot lists, keyword trends, sentiment and reports."""
