"""polemos.train."""
