"""PostgreSQL for the whole service layer: the engine, the unit of work, advisory locks,
the table descriptions (one module per context) and the Alembic migrations.

Only SQL adapters (each context's ``sql.py``) and the composition root import this
package; services see the ``UnitOfWork`` port of ``tt_payments.unit_of_work`` instead.
"""
