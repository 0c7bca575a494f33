"""The citizen-facing channels' shared parts: public links, QR codes, wording, fonts and posters."""
