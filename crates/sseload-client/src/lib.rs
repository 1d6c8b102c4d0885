//! sseload-client (being written).
