"""Domain types and rules. Pure Python: never imports Qt, SQLCipher or ReportLab."""
