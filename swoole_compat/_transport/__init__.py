"""Transport layer: the only code that touches sockets (see docs/architecture.md)."""
