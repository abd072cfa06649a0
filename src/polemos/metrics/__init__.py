"""polemos.metrics."""
