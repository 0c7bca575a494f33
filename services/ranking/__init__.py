"""Ranking: fair size-group leaderboards from scores.v1, verifiable awards, what-if re-ranking, exports."""
