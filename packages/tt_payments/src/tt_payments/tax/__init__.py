"""The tax context: the tax rows a payment's settlement and a refund's completion write
(``ports.TaxRecordWriter``, in their transactions). Nexus tracking and Form 1099-DA
(``use_cases/tax.py``) move here in the same shape."""
