"""The warehouse: SQL models (sql/), read-only connections (db) and the queries pages use (queries)."""
