//! How the `gate` binary is linked.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        // A position-dependent executable: the loader has no relocations
        // of its own to apply at every start (some 28,000, in 127 pages
        // that each start would copy), which took a third of the time of
        // `gate --version`. Its libraries, stack and heap are still placed
        // at random; its own code is not.
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
