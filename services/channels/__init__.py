"""The citizen-facing channels' shared parts: public links, QR codes, wording and posters (the font is shared.fonts)."""
