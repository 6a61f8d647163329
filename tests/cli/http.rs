//! http

#[allow(unused_imports)]
use crate::Test;
