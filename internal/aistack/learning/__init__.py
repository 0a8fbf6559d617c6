"""AI Stack's self-learning system (port 8019): rated interactions, topic patterns, improvement
suggestions from the model and retraining jobs."""
