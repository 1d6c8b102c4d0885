//! sseload-test (being written).
