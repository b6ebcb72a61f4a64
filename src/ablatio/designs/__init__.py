"""Which masks to query: random, kernel-weighted and aliasing designs."""
