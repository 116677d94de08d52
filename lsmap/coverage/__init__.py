"""Coverage: the engine, its settings, siting help and coverage as one user may see it."""
