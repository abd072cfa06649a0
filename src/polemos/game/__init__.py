"""polemos.game."""
