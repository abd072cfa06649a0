"""polemos.images."""
