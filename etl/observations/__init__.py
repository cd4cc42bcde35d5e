"""KPI observations: reading and validating submitted files, and writing them as batches."""
