"""The LINE Official Account @amphoesangsook: webhook, conversation rules and district matching."""
