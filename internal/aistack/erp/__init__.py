"""AI Stack's ERP system (port 8013): customers, products, orders, production, stock and books
of a small company, each record belonging to the calling account."""
