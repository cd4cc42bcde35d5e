"""One parser per source document; each returns plain DataFrames and quality issues."""
