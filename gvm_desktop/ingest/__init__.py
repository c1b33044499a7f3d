"""Reading the spreadsheets a BCU keeps today (CSV and XLSX) into plain rows, refusing hostile files.

An adapter layer like reports/: it imports core and the readers' libraries (python-calamine), never
store, services or Qt. What a row *means* (the mapping to our fields) is core/import_mapping.py; what an
import *does* is services/importing.py.
"""
