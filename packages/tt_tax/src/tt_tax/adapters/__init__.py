"""tt_tax's infrastructure: the TaxJar rate source and the Form 1099-DA PDF renderer.

Import each from its own module (``tt_tax.adapters.taxjar``, ``tt_tax.adapters.pdf_1099da``)
so that using one does not load the other's library.
"""
