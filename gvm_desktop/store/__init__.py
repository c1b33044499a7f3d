"""Storage adapters: the only package that imports sqlcipher3."""
