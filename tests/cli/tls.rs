//! tls

#[allow(unused_imports)]
use crate::Test;
