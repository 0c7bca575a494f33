"""The QR vote page: GET/POST /d/<code>, its thank-you page, QR codes and the page's own assets."""
