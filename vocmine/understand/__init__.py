"""Understanding stage: segments, sentiment, complaints and recurring phrases (en + ko)."""
