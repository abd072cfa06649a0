"""polemos.report."""
