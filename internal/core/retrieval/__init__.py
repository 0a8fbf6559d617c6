"""Finding the segments of datasets that answer a query: full-text (BM25), semantic and hybrid."""
