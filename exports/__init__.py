"""Exports from the warehouse: the monthly 進捗管理会議 workbook."""
