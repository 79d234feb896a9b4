"""Controllers, one per bounded context; they translate and delegate, nothing more."""
