//! A TLS server for the tests.
