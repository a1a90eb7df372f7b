//! Identity and access: organisations, users, roles with data scopes, sign-in with Argon2id,
//! sessions, CSRF tokens, machine tokens and sign-in throttling.
//!
//! Access decisions are made in one place, [`role::authorize`], reached through
//! [`Principal::authorize`].

mod accounts;
mod error;
pub mod organisation;
pub mod password;
mod principal;
pub mod role;
mod throttle;

pub use accounts::{
    Accounts, NewUser, SecurityPolicy, TOKEN_PREFIX, TokenInfo, UserLabel, UserSummary,
};
pub use error::{AccessError, FieldError, LoginError, PasswordRuleError};
pub use organisation::{Bureau, NewOrganisation, Organisation, OrganisationKind, default_scope};
pub use principal::{AuthMethod, Principal};
pub use role::{Denied, Grant, Permission, RecordScope, Role, Scope, Target, record_scope};
pub use throttle::LoginThrottle;

use store::{Migration, MigrationSet};

/// The tables of this crate.
pub fn migrations() -> MigrationSet {
    const MIGRATIONS: &[Migration] = &[Migration::portable(
        1,
        "identity",
        include_str!("../migrations/0001_identity.sql"),
    )];
    MigrationSet {
        component: "access",
        migrations: MIGRATIONS,
    }
}
