"""Health: does each dependency answer right now."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import attrs

Probe = Callable[[], Awaitable[bool]]

_PROBE_TIMEOUT_SECONDS = 2.0


@attrs.frozen
class HealthReport:
    components: Mapping[str, bool]

    @property
    def healthy(self) -> bool:
        return all(self.components.values())


async def check_health(probes: Mapping[str, Probe]) -> HealthReport:
    """Run every probe concurrently; a probe that fails or takes over 2 s is unhealthy."""

    async def run(probe: Probe) -> bool:
        try:
            return await asyncio.wait_for(probe(), _PROBE_TIMEOUT_SECONDS)
        except (TimeoutError, OSError):
            return False

    names = list(probes)
    results = await asyncio.gather(*(run(probes[name]) for name in names))
    return HealthReport(dict(zip(names, results, strict=True)))
