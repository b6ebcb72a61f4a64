"""Is the explanation real? Faithfulness, removal curves, controls and verdicts."""
