"""Bodies of the internal (service-to-service) routes."""

from __future__ import annotations

import uuid

from tt_api.schemas.catalog import Schema
from tt_api.schemas.payments import TransactionBody


class PaymentCompleteRequest(Schema):
    order_id: uuid.UUID
    payment_id: uuid.UUID


class PaymentCompleteResponse(Schema):
    success: bool
    order_id: uuid.UUID
    payment_id: uuid.UUID
    transaction: TransactionBody
