"""The stream runtime every consumer service runs on (docs/stream.md).

A service writes a *processor* (what one batch of records means to it) and a composition root;
the runtime owns the rest: subscribe, poll, retry with backoff while keeping group membership,
forget cached state on rebalance, tick for time-driven work, flush then commit, heartbeat, metrics.

Nothing is re-exported here on purpose: `shared.stream.main` must be importable before
prometheus_client is (the multiprocess directory is chosen at its import).
"""
