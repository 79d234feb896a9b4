"""The one ``MetaData`` every table description of ``tt_payments.db.tables`` joins."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
