#![allow(dead_code)]

use std::path::PathBuf;

pub use store::testing::TestDatabases;

/// A temporary directory that lives until the test process ends.
pub fn temp_dir() -> PathBuf {
    let dir = store::testing::temp_dir();
    let path = dir.path().to_owned();
    std::mem::forget(dir);
    path
}
