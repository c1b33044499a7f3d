import sys

from gvm_desktop.cli import main

sys.exit(main())
