"""Seeded synthetic EHR generator: `generate(n_patients, seed, out)` writes the raw contract tables.

See generator_card.json in the output folder for what is planted and what a correct
pipeline should find; the modules here are small and each does one thing:
population -> imaging -> findings -> events -> outcomes -> reports -> tables -> card.
"""

from .core import generate

__all__ = ["generate"]
