"""The centre's moderation of stories of service (issue 21): stories.v1 in, stories.published.v1 out."""
