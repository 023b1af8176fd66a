"""arbook: open invoices in Excel, with Python doing the work."""

__version__ = "0.1.0"
