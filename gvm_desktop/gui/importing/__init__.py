"""The SPOC's import of a legacy spreadsheet: file choice, the column mapping with a preview, dry run, commit."""
