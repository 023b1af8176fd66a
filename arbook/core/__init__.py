"""Pure domain logic: pandas and the standard library only (no files, no workbook libraries)."""
