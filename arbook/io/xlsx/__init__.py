"""Reading and patching .xlsx packages without re-serialising what arbook does not own."""
