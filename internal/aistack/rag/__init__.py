"""AI Stack's RAG system (port 8011): documents ingested into the account's knowledge base,
semantic and hybrid search over them, and fact verification against sources."""
