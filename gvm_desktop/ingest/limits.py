"""How much a file may hold before the reader refuses it, each limit with the reason for its size.

A BCU's matrix is hundreds to a few thousand people: every limit is far above an honest file and far
below what would let a hostile one exhaust the workstation's memory or time.
"""

from __future__ import annotations

# The file is read whole into memory once (hashed and parsed from the same bytes); a matrix of a few
# thousand rows is well under 5 MB even as XLSX with styles, so 50 MB leaves room for pictures and notes.
MAX_FILE_BYTES = 50 * 1024 * 1024

# A mapping file is a few KB of TOML; 1 MB is hundreds of times that and still parses in a blink.
MAX_MAPPING_BYTES = 1024 * 1024

# Hundreds to a few thousand people per BCU; 50,000 is ten times the largest and still reads in seconds.
# Readers stop counting here, so a file with a million rows is refused without holding them.
MAX_DATA_ROWS = 50_000

# A matrix has a few dozen columns; 200 allows generous free-text and history columns.
MAX_COLUMNS = 200

# The sheet's rectangle (last row by widest column), which calamine holds as a dense grid of cells before
# handing it over: 5 million cells is a 50,000-row matrix with 100 columns, a few hundred MB at most.
MAX_GRID_CELLS = 5_000_000

# Excel's own limit for one cell: anything longer was not typed into a spreadsheet.
MAX_CELL_CHARS = 32_767

# XLSX is a ZIP: the sum of its parts once decompressed. A 50,000-row sheet with shared strings is
# well under 100 MB of XML; more than 200 MB is a ZIP bomb, not a matrix.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

# XML compresses about 5-20:1 and a sheet of repeated values perhaps 100:1; 200:1 on a part over 1 MB
# is the signature of a bomb (a run of zeros). Small parts may compress further and cannot hurt.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024

# A workbook has a few dozen parts (sheets, styles, themes, relationships); 1,000 allows many sheets.
MAX_ZIP_MEMBERS = 1_000

# The XML prolog (declaration, comments) before the root element; a DOCTYPE can only live there.
# Excel writes under 100 bytes; anything over 64 KB is padding meant to hide what follows.
MAX_XML_PROLOG_BYTES = 64 * 1024
