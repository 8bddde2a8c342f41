"""What several kinds share: canvas, colours, images, OCR, OSRA, chemistry tables and depiction,
prose helpers, read-back checks, figure composition, and the head's drawing and checking."""
