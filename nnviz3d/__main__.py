"""python -m nnviz3d"""

import sys

from nnviz3d.cli import main

sys.exit(main())
