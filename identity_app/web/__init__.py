"""The HTTP edge: the middleware every request passes through, and its routes."""
