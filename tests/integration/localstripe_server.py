"""Run localstripe with the two pieces of today's Stripe that it lacks.

``python tests/integration/localstripe_server.py --port N --from-scratch`` starts
localstripe (PyPI ``localstripe``, an aiohttp fake of Stripe's API) after adding:

1. Stripe's ``Idempotency-Key`` semantics, which localstripe does not implement at all:
   the first answer to a POST is kept under its key; the same key with the same body
   gets that answer again (with ``Idempotent-Replayed: true``) and runs nothing; the
   same key with another body or path gets 400 ``idempotency_error``.
2. The parameter names of the API version the stripe SDK pins: PaymentIntents take
   ``allowed_payment_method_types`` (``payment_method_types`` is no longer writable since
   2026-09-30.endive) and ``description``, which localstripe's PaymentIntent refuses as
   unexpected. They are passed on as localstripe's ``payment_method_types`` and dropped.

3. ``created[gte]`` / ``created[lt]`` (and ``gt`` / ``lte``) on the PaymentIntent and
   Refund lists, which reconciliation uses and localstripe refuses as unexpected.

4. No state on disk: localstripe would write its store to /tmp/localstripe.pickle after
   every change; here it stays in the server's memory.

Everything else is localstripe's own behaviour. A test harness, not part of the product.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources, server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_answers: dict[str, tuple[str, int, bytes]] = {}


@web.middleware
async def stripe_idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + await request.read()).hexdigest()
    kept = _answers.get(key)
    if kept is not None:
        first_fingerprint, status, body = kept
        if first_fingerprint != fingerprint:
            return web.json_response(
                {
                    "error": {
                        "type": "idempotency_error",
                        "message": (
                            "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other "
                            f"than '{key}' if you meant to execute a different request."
                        ),
                    }
                },
                status=400,
            )
        return web.Response(
            body=body,
            status=status,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    response = await handler(request)
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        _answers[key] = (fingerprint, response.status, response.body)
    return response


_payment_intent_init = resources.PaymentIntent.__init__


def _payment_intent_with_current_parameters(
    self: resources.PaymentIntent,
    allowed_payment_method_types: list[str] | None = None,
    description: str | None = None,
    **kwargs: Any,
) -> None:
    del description  # localstripe keeps no description on a PaymentIntent
    if allowed_payment_method_types is not None:
        kwargs.setdefault("payment_method_types", allowed_payment_method_types)
    _payment_intent_init(self, **kwargs)


_BOUNDS: dict[str, Callable[[int, int], bool]] = {
    "gte": lambda created, bound: created >= bound,
    "gt": lambda created, bound: created > bound,
    "lte": lambda created, bound: created <= bound,
    "lt": lambda created, bound: created < bound,
}


def _listing_by_created(cls: type[resources.StripeObject]) -> None:
    list_all = cls._api_list_all.__func__  # type: ignore[attr-defined]

    def _api_list_all(
        klass: type[resources.StripeObject],
        url: str,
        created: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        listed = list_all(klass, url, **kwargs)
        for name, bound in (created or {}).items():
            keep = _BOUNDS[name]
            listed._list = [item for item in listed._list if keep(item.created, int(bound))]
        return listed

    cls._api_list_all = classmethod(_api_list_all)  # type: ignore[assignment]


def _keep_in_memory(store: resources.Store) -> None:
    """localstripe pickles its whole store to /tmp/localstripe.pickle after every write
    (a fixed path every run shares, and ever slower as the store grows); the tests start
    it --from-scratch and never read that file back, so the store stays in memory."""


def main() -> None:
    resources.Store.dump_to_disk = _keep_in_memory  # type: ignore[method-assign]
    resources.PaymentIntent.__init__ = _payment_intent_with_current_parameters
    _listing_by_created(resources.PaymentIntent)
    _listing_by_created(resources.Refund)
    # Outermost, so localstripe's own error responses are kept and replayed too.
    server.app.middlewares.insert(0, stripe_idempotency)
    server.start()


if __name__ == "__main__":
    main()
