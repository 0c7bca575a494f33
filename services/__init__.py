"""The platform's services, one folder each: ingest, scoring, ranking, notify."""
