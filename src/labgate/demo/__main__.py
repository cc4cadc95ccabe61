import sys

from labgate.demo.run import main

sys.exit(main())
