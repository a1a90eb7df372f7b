//! Helpers shared by the end-to-end tests: the real binary as a server, and a browser.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

pub mod server;
pub mod walk;
pub mod webdriver;
