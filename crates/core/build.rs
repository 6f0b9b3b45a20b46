//! Rebuilds this crate when a migration is added, changed or removed:
//! `embed_migrations!` reads the folders at compile time, and without this
//! an incremental build can keep embedding an older list.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
