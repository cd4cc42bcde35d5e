"""Shinchoku ETL: source documents → validated DuckDB warehouse."""
