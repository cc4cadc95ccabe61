"""`make demo` runs this: see labgate.demo.run."""

import sys

from labgate.demo.run import main

if __name__ == "__main__":
    sys.exit(main())
