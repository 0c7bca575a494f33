"""Stories of service told after a vote, with consent, and their withdrawal (issue 21)."""
