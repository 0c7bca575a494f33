"""The public website (issue 11), served by ranking's web process: see docs/site.md."""
