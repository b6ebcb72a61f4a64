"""Exact maths shared by every method: transforms, conversions, indices, the solver."""
