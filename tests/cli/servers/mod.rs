//! Real servers for the tests, on 127.0.0.1 port 0.

pub mod http;
pub mod tls;
