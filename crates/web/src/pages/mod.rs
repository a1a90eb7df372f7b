//! Server-rendered pages, one module per area.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod capability;
pub mod clinic;
pub mod companies;
pub mod devices;
pub mod home;
pub mod ledger;
pub mod login;
pub mod me;
pub mod pools;
pub mod portal;
pub mod products;
pub mod registry;
pub mod research;
pub mod risk;
pub mod subsidies;
