"""Arabic keyword search over stored stories."""
