"""Fraud detection: bots, scalpers, velocity and device history (filled by the fraud issue)."""
