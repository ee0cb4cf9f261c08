"""Sans-I/O protocol layer: request serialisation, response assembly, WebSocket framing, MIME."""
