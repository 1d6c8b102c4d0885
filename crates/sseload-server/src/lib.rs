//! sseload-server (being written).
