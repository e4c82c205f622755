"""`make chaos`: the long form of the drill (`python -m tests.chaos --rounds 50 --seed 7`)."""

import sys

from tests.chaos.drill import main

sys.exit(main())
