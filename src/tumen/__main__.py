import sys

from tumen.cli import main

sys.exit(main())
