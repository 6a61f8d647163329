//! An HTTP/1.1 server for the tests.
