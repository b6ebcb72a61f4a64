"""Value functions over boolean masks: the Game, its durable cache, synthetic oracles."""
