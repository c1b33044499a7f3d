"""PDF reports: the only package that imports reportlab (review sheets arrive with their issue)."""
