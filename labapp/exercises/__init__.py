"""Exercise checkers, one module per notebook. Each prints ✓ or what is wrong and a hint.

Each module's ``__all__`` says what it offers; this package re-exports all of them,
so a notebook writes ``from labapp.exercises import check_...``.
"""

from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09
from .nb00 import *  # noqa: F403
from .nb01 import *  # noqa: F403
from .nb02 import *  # noqa: F403
from .nb03 import *  # noqa: F403
from .nb04 import *  # noqa: F403
from .nb05 import *  # noqa: F403
from .nb06 import *  # noqa: F403
from .nb07 import *  # noqa: F403
from .nb08 import *  # noqa: F403
from .nb09 import *  # noqa: F403

__all__ = sorted(
    [
        *nb00.__all__,
        *nb01.__all__,
        *nb02.__all__,
        *nb03.__all__,
        *nb04.__all__,
        *nb05.__all__,
        *nb06.__all__,
        *nb07.__all__,
        *nb08.__all__,
        *nb09.__all__,
    ]
)
