import sys

from gdpr_operator.cli import main

sys.exit(main())
