"""Adapters: the workbook file, (later) imports, bank formats, journal."""
