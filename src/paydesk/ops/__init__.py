"""Operations: logging, metrics."""
