"""The frozen application's entry point: the same `gvm_desktop.cli:main` that `pip install` makes `gvm-desktop`.

PyInstaller needs a script, not an entry-point string; this file is that script and nothing more.
"""

import sys

from gvm_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
