"""Use cases: one function per action; the only layer that commits."""
