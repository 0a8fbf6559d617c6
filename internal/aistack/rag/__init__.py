"""AI Stack's RAG knowledge system (port 8011): ingestion, search, verification and the
knowledge graph over the platform's knowledge bases."""
