"""`python -m faqbot.doors.cli ...`, the same as the `faqbot` command."""

import sys

from faqbot.doors.cli import main

sys.exit(main())
