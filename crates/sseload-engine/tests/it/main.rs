//! Engine tests: real servers on 127.0.0.1:0, short bounded runs.

mod distributed;
mod faults;
mod inject;
mod measure;
mod refuse;
mod schema;
mod steps;
mod support;
mod tls;
