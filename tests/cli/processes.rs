//! processes

#[allow(unused_imports)]
use crate::Test;
