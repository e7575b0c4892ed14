"""`python -m gdpr_operator.sandbox`: the same as `gdpr-operator sandbox`."""

import sys

from . import main

sys.exit(main())
