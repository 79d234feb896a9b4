"""High-demand events: waiting room, one-time access tokens and purchase limits."""
