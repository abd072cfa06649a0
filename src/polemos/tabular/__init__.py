"""polemos.tabular."""
