"""The answer engine (pure: normalise, tokenise, index, match) and the FAQ tables and services."""
