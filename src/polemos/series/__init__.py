"""polemos.series."""
