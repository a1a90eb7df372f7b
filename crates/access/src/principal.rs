//! The signed-in user, as every request sees it.

use kernel::Lang;

use crate::organisation::{Organisation, OrganisationKind};
use crate::role::{Denied, Grant, Permission, Role, Target, authorize};

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
}

/// An authenticated user with the roles and scopes in force for this request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub organisation: Organisation,
    pub grants: Vec<Grant>,
    pub locale: Lang,
    pub must_change_password: bool,
    pub method: AuthMethod,
}

impl Principal {
    /// Asks the one access policy whether this user may do `permission` on `target`.
    pub fn authorize(&self, permission: Permission, target: Target<'_>) -> Result<(), Denied> {
        authorize(&self.user_id, &self.grants, permission, target)
    }

    /// Whether the user may do `permission` on anything at all (used to show navigation).
    pub fn may(&self, permission: Permission) -> bool {
        self.grants
            .iter()
            .any(|g| permission.roles().contains(&g.role))
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// The role whose home page the user sees first: the first in [`Role::ALL`] order.
    pub fn primary_role(&self) -> Option<Role> {
        Role::ALL.into_iter().find(|r| self.has_role(*r))
    }

    pub fn organisation_kind(&self) -> OrganisationKind {
        self.organisation.kind
    }
}
