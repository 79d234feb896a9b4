"""How handlers receive the container: injected by name, never validated.

Litestar would otherwise run every injected value through msgspec on every request; the
container is ours, built once by ``bootstrap``, so checking it is wasted work (and would
evaluate its type hints at run time).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.di import Dependency
from litestar.params import SkipValidationMarker

from tt_payments import Container

ContainerDep: TypeAlias = Annotated[Container, Dependency(kind="named"), SkipValidationMarker()]
