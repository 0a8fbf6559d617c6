"""The RAG system's knowledge graph: entities and relationships a model extracts from the
segments of an account's documents, queried with read-only Cypher."""
