//! `Accounts`: organisations, users, role grants, sign-in, sessions and machine tokens over
//! the database. Handlers call these functions; none of them knows about HTTP.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use kernel::{Lang, MobileNumber, UnifiedSocialCreditCode};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::Db;
use store::sqlx::{self, Row, any::AnyRow};
use vault::Keyring;

use crate::error::{AccessError, FieldError, LoginError};
use crate::organisation::{Bureau, NewOrganisation, Organisation, OrganisationKind};
use crate::password::{check_password_rules, decoy_hash, hash_password, verify_password};
use crate::principal::{AuthMethod, Principal};
use crate::role::{Grant, Role, Scope};

/// Security settings. Defaults follow GB/T 22239-2019 8.1.4.1 (login-failure handling and
/// session time-outs); they are configuration, not policy figures from the seeds.
#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// Failed sign-ins in a row that lock an account.
    pub lockout_threshold: i64,
    /// How long a locked account stays locked.
    pub lockout_ms: i64,
    /// A session ends after this long without a request.
    pub session_idle_ms: i64,
    /// A session ends this long after sign-in whatever happens.
    pub session_absolute_ms: i64,
    /// Longest life of a machine token.
    pub max_token_days: i64,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            lockout_threshold: 5,
            lockout_ms: 15 * 60 * 1000,
            session_idle_ms: 30 * 60 * 1000,
            session_absolute_ms: 12 * 3600 * 1000,
            max_token_days: 365,
        }
    }
}

/// A user as listed on the administrator's page.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub organisation_id: String,
    pub organisation_name_zh: String,
    pub organisation_name_en: String,
    pub mobile_masked: Option<String>,
    pub active: bool,
    pub locked_until: Option<i64>,
    pub grants: Vec<Grant>,
}

/// A user as others see their name on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLabel {
    pub display_name: String,
    pub organisation_name_zh: String,
    pub organisation_name_en: String,
}

/// What it takes to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub organisation_id: String,
    pub password: String,
    pub mobile: Option<String>,
    pub grants: Vec<Grant>,
    pub must_change_password: bool,
}

/// A machine token as shown to its owner (never the secret itself after creation).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// Prefix of machine tokens, so that secret scanners and people recognise them.
pub const TOKEN_PREFIX: &str = "lht_";

/// Account management and authentication.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    keys: Arc<Keyring>,
    policy: SecurityPolicy,
}

fn now_ms() -> i64 {
    kernel::UtcMillis::now().0
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(s: &str) -> String {
    hex_encode(&Sha256::digest(s.as_bytes()))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const MOBILE_CONTEXT: &str = "users.mobile";

impl Accounts {
    pub fn new(db: Db, keys: Arc<Keyring>, policy: SecurityPolicy) -> Self {
        Self { db, keys, policy }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn policy(&self) -> &SecurityPolicy {
        &self.policy
    }

    // ----- organisations -----

    /// Registers an organisation after checking every field; all problems are reported at once.
    pub async fn create_organisation(
        &self,
        new: NewOrganisation,
    ) -> Result<Organisation, AccessError> {
        let mut problems = Vec::new();
        let kind = new.kind;
        if kind.is_none() {
            problems.push(FieldError::new(
                "kind",
                "请选择机构类型",
                "Choose the kind of organisation",
            ));
        }
        let name_zh = new.name_zh.trim().to_owned();
        let name_en = new.name_en.trim().to_owned();
        if name_zh.is_empty() || name_zh.chars().count() > 100 {
            problems.push(FieldError::new(
                "name_zh",
                "请输入机构中文名称（1至100个字）",
                "Enter the Chinese name (1 to 100 characters)",
            ));
        }
        if name_en.chars().count() > 200 {
            problems.push(FieldError::new(
                "name_en",
                "英文名称最多200个字符",
                "The English name may have at most 200 characters",
            ));
        }
        let district = new.district.filter(|d| !d.is_empty());
        if let Some(d) = &district {
            if city::districts().by_key(d).is_none() {
                problems.push(FieldError::new(
                    "district",
                    "请选择所在区",
                    "Choose a district",
                ));
            }
        } else if kind.is_some_and(OrganisationKind::is_local) {
            problems.push(FieldError::new(
                "district",
                "该类机构须选择所在区",
                "Organisations of this kind must name their district",
            ));
        }
        if kind == Some(OrganisationKind::MunicipalBureau) && new.bureau.is_none() {
            problems.push(FieldError::new(
                "bureau",
                "请选择市级部门",
                "Choose the bureau",
            ));
        }
        let uscc = match new.uscc.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => match UnifiedSocialCreditCode::parse(raw) {
                Ok(code) => Some(code.as_str().to_owned()),
                Err(e) => {
                    problems.push(FieldError::explained("uscc", &e));
                    None
                }
            },
        };
        if let Some(parent) = &new.parent_id {
            if self.organisation(parent).await?.is_none() {
                problems.push(FieldError::new(
                    "parent_id",
                    "上级机构不存在",
                    "The parent organisation does not exist",
                ));
            }
        }
        if let Some(code) = &uscc {
            let taken: Option<String> =
                sqlx::query_scalar("SELECT id FROM organisations WHERE uscc = $1")
                    .bind(code)
                    .fetch_optional(self.db.pool())
                    .await?;
            if taken.is_some() {
                problems.push(FieldError::new(
                    "uscc",
                    "该统一社会信用代码已登记",
                    "An organisation with this unified social credit code is already registered",
                ));
            }
        }
        let Some(kind) = kind.filter(|_| problems.is_empty()) else {
            return Err(AccessError::Invalid(problems));
        };
        let org = Organisation {
            id: kernel::Id::new().to_string(),
            kind,
            bureau: new
                .bureau
                .filter(|_| kind == OrganisationKind::MunicipalBureau),
            name_en: if name_en.is_empty() {
                name_zh.clone()
            } else {
                name_en
            },
            name_zh,
            district,
            parent_id: new.parent_id,
            uscc,
            internet_hospital: new.internet_hospital && kind == OrganisationKind::Hospital,
            active: true,
            created_at: now_ms(),
        };
        sqlx::query(
            "INSERT INTO organisations (id, kind, bureau, name_zh, name_en, district, parent_id, uscc, internet_hospital, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10)",
        )
        .bind(&org.id)
        .bind(org.kind.code())
        .bind(org.bureau.map(Bureau::code))
        .bind(&org.name_zh)
        .bind(&org.name_en)
        .bind(&org.district)
        .bind(&org.parent_id)
        .bind(&org.uscc)
        .bind(i64::from(org.internet_hospital))
        .bind(org.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(org)
    }

    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, AccessError> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| organisation_from_row(&r)).transpose()
    }

    /// All organisations, ordered by kind and Chinese name.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, AccessError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations ORDER BY kind, name_zh"
        ))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(organisation_from_row).collect()
    }

    /// Organisations of one kind, optionally in one district.
    pub async fn organisations_of_kind(
        &self,
        kind: OrganisationKind,
        district: Option<&str>,
    ) -> Result<Vec<Organisation>, AccessError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations WHERE kind = $1 AND ($2 IS NULL OR district = $2) ORDER BY name_zh"
        ))
        .bind(kind.code())
        .bind(district)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(organisation_from_row).collect()
    }

    // ----- users -----

    /// Creates a user after checking every field and every grant against the organisation.
    pub async fn create_user(&self, new: NewUser) -> Result<String, AccessError> {
        let mut problems = Vec::new();
        let username = new.username.trim().to_lowercase();
        if !valid_username(&username) {
            problems.push(FieldError::new(
                "username",
                "用户名为3至32位小写字母、数字、点、横线或下划线，以字母开头",
                "User names are 3 to 32 lower-case letters, digits, dots, hyphens or underscores, starting with a letter",
            ));
        } else if self.user_id_by_username(&username).await?.is_some() {
            problems.push(FieldError::new(
                "username",
                "该用户名已被使用",
                "This user name is taken",
            ));
        }
        let display_name = new.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 50 {
            problems.push(FieldError::new(
                "display_name",
                "请输入姓名（1至50个字）",
                "Enter the name (1 to 50 characters)",
            ));
        }
        if let Err(e) = check_password_rules(&new.password, &username) {
            problems.push(FieldError::explained("password", &e));
        }
        let mobile = match new
            .mobile
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => match MobileNumber::parse(raw) {
                Ok(m) => Some(m),
                Err(e) => {
                    problems.push(FieldError::explained("mobile", &e));
                    None
                }
            },
        };
        let organisation = self.organisation(&new.organisation_id).await?;
        match &organisation {
            None => problems.push(FieldError::new(
                "organisation_id",
                "请选择所属机构",
                "Choose the organisation",
            )),
            Some(org) => {
                if new.grants.is_empty() {
                    problems.push(FieldError::new(
                        "roles",
                        "请至少分配一个角色",
                        "Grant at least one role",
                    ));
                }
                for grant in &new.grants {
                    if let Err(e) = check_grant(grant, org) {
                        problems.push(e);
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(AccessError::Invalid(problems));
        }
        let password_hash =
            hash_password(&new.password).map_err(|e| AccessError::Hashing(e.to_string()))?;
        let id = kernel::Id::new().to_string();
        let now = now_ms();
        let (mobile_cipher, mobile_index) = match &mobile {
            Some(m) => (
                Some(self.keys.cipher.encrypt(m.as_str(), MOBILE_CONTEXT)),
                Some(self.keys.blind_index.compute(MOBILE_CONTEXT, m.as_str())),
            ),
            None => (None, None),
        };
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, organisation_id, password_hash, mobile_cipher, mobile_index,
                                locale, active, must_change_password, failed_logins, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'zh-CN', 1, $8, 0, $9, $9)",
        )
        .bind(&id)
        .bind(&username)
        .bind(&display_name)
        .bind(&new.organisation_id)
        .bind(&password_hash)
        .bind(mobile_cipher)
        .bind(mobile_index)
        .bind(i64::from(new.must_change_password))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for grant in &new.grants {
            sqlx::query(
                "INSERT INTO user_roles (user_id, role, scope, granted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(grant.role.code())
            .bind(grant.scope.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_id_by_username(&self, username: &str) -> Result<Option<String>, AccessError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                .bind(username.trim().to_lowercase())
                .fetch_optional(self.db.pool())
                .await?,
        )
    }

    /// Finds users by exact mobile number through the blind index (no decryption needed).
    pub async fn user_ids_by_mobile(
        &self,
        mobile: &MobileNumber,
    ) -> Result<Vec<String>, AccessError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE mobile_index = $1 ORDER BY username")
                .bind(
                    self.keys
                        .blind_index
                        .compute(MOBILE_CONTEXT, mobile.as_str()),
                )
                .fetch_all(self.db.pool())
                .await?,
        )
    }

    /// Every user with organisation and roles, ordered by user name. Mobiles come masked.
    pub async fn users(&self) -> Result<Vec<UserSummary>, AccessError> {
        self.user_summaries(None).await
    }

    /// A user's name and organisation's names, for labelling what they did (one indexed read;
    /// no grants, no decryption).
    pub async fn user_label(&self, id: &str) -> Result<Option<UserLabel>, AccessError> {
        let row = sqlx::query(
            "SELECT u.display_name, o.name_zh, o.name_en FROM users u \
             JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(UserLabel {
                display_name: r.try_get(0)?,
                organisation_name_zh: r.try_get(1)?,
                organisation_name_en: r.try_get(2)?,
            })
        })
        .transpose()
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserSummary>, AccessError> {
        Ok(self.user_summaries(Some(id)).await?.into_iter().next())
    }

    async fn user_summaries(&self, only: Option<&str>) -> Result<Vec<UserSummary>, AccessError> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.organisation_id, o.name_zh, o.name_en,
                    u.mobile_cipher, u.active, u.locked_until
             FROM users u JOIN organisations o ON o.id = u.organisation_id
             WHERE ($1 IS NULL OR u.id = $1)
             ORDER BY u.username",
        )
        .bind(only)
        .fetch_all(self.db.pool())
        .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            let mobile_cipher: Option<String> = row.try_get(6)?;
            let mobile_masked = match mobile_cipher {
                Some(c) => {
                    let plain = self.keys.cipher.decrypt(&c, MOBILE_CONTEXT)?;
                    MobileNumber::parse(&plain).ok().map(|m| m.masked())
                }
                None => None,
            };
            users.push(UserSummary {
                grants: self.grants_of(&id).await?,
                id,
                username: row.try_get(1)?,
                display_name: row.try_get(2)?,
                organisation_id: row.try_get(3)?,
                organisation_name_zh: row.try_get(4)?,
                organisation_name_en: row.try_get(5)?,
                mobile_masked,
                active: row.try_get::<i64, _>(7)? != 0,
                locked_until: row.try_get(8)?,
            });
        }
        Ok(users)
    }

    pub async fn grants_of(&self, user_id: &str) -> Result<Vec<Grant>, AccessError> {
        let rows = sqlx::query(
            "SELECT role, scope FROM user_roles WHERE user_id = $1 ORDER BY role, scope",
        )
        .bind(user_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Grant {
                    role: r.try_get::<String, _>(0)?.parse()?,
                    scope: r.try_get::<String, _>(1)?.parse()?,
                })
            })
            .collect()
    }

    /// Adds a role grant after checking it fits the user's organisation.
    pub async fn grant(&self, user_id: &str, grant: Grant) -> Result<(), AccessError> {
        let user = self
            .user(user_id)
            .await?
            .ok_or(AccessError::NotFound { what: "user" })?;
        let org = self
            .organisation(&user.organisation_id)
            .await?
            .ok_or(AccessError::NotFound {
                what: "organisation",
            })?;
        check_grant(&grant, &org).map_err(|e| AccessError::Invalid(vec![e]))?;
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, role, scope) DO NOTHING",
        )
        .bind(user_id)
        .bind(grant.role.code())
        .bind(grant.scope.to_string())
        .bind(now_ms())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn revoke_grant(&self, user_id: &str, grant: &Grant) -> Result<bool, AccessError> {
        let done =
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2 AND scope = $3")
                .bind(user_id)
                .bind(grant.role.code())
                .bind(grant.scope.to_string())
                .execute(self.db.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Activates or deactivates an account; deactivation ends its sessions and tokens at once.
    pub async fn set_active(&self, user_id: &str, active: bool) -> Result<(), AccessError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query("UPDATE users SET active = $1, locked_until = NULL, failed_logins = 0, updated_at = $2 WHERE id = $3")
            .bind(i64::from(active))
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(AccessError::NotFound { what: "user" });
        }
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes the user's own password; the current one must be given.
    pub async fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
    ) -> Result<(), AccessError> {
        let row = sqlx::query("SELECT username, password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AccessError::NotFound { what: "user" })?;
        let username: String = row.try_get(0)?;
        let stored: String = row.try_get(1)?;
        if !verify_password(current, &stored) {
            return Err(AccessError::invalid(
                "current_password",
                "当前密码不正确",
                "The current password is wrong",
            ));
        }
        if current == new {
            return Err(AccessError::invalid(
                "new_password",
                "新密码不能与当前密码相同",
                "The new password must differ from the current one",
            ));
        }
        check_password_rules(new, &username)
            .map_err(|e| AccessError::Invalid(vec![FieldError::explained("new_password", &e)]))?;
        self.store_password(user_id, new, false).await
    }

    /// Sets a password chosen by an administrator; the user must change it at next sign-in.
    pub async fn reset_password(&self, user_id: &str, new: &str) -> Result<(), AccessError> {
        let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AccessError::NotFound { what: "user" })?;
        check_password_rules(new, &username)
            .map_err(|e| AccessError::Invalid(vec![FieldError::explained("password", &e)]))?;
        self.store_password(user_id, new, true).await
    }

    async fn store_password(
        &self,
        user_id: &str,
        password: &str,
        must_change: bool,
    ) -> Result<(), AccessError> {
        let hash = hash_password(password).map_err(|e| AccessError::Hashing(e.to_string()))?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $4")
            .bind(hash)
            .bind(i64::from(must_change))
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // A new password ends every other session: whoever knew the old one is signed out.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_locale(&self, user_id: &str, lang: Lang) -> Result<(), AccessError> {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(lang.code())
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    // ----- sign-in and sessions -----

    /// Checks the credentials, applies the lockout rule and opens a session.
    /// Returns the session cookie value and the principal.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Result<(String, Principal), LoginError>, AccessError> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT id, password_hash, active, failed_logins, locked_until FROM users WHERE username = $1",
        )
        .bind(username.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            verify_password(password, decoy_hash());
            return Ok(Err(LoginError::InvalidCredentials));
        };
        let user_id: String = row.try_get(0)?;
        let stored: String = row.try_get(1)?;
        let active = row.try_get::<i64, _>(2)? != 0;
        let failed: i64 = row.try_get(3)?;
        let locked_until: Option<i64> = row.try_get(4)?;
        if let Some(until) = locked_until.filter(|u| *u > now) {
            return Ok(Err(LoginError::Locked { until_ms: until }));
        }
        if !verify_password(password, &stored) || !active {
            let failed = failed + 1;
            let lock =
                (failed >= self.policy.lockout_threshold).then_some(now + self.policy.lockout_ms);
            sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(if lock.is_some() { 0 } else { failed })
                .bind(lock)
                .bind(&user_id)
                .execute(self.db.pool())
                .await?;
            return Ok(match lock {
                Some(until_ms) => Err(LoginError::Locked { until_ms }),
                None => Err(LoginError::InvalidCredentials),
            });
        }
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(&user_id)
            .execute(self.db.pool())
            .await?;
        let token = random_secret();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(sha256_hex(&token))
        .bind(&user_id)
        .bind(now)
        .bind(now + self.policy.session_absolute_ms)
        .execute(self.db.pool())
        .await?;
        let principal = self
            .principal(&user_id, AuthMethod::Session)
            .await?
            .ok_or(AccessError::NotFound { what: "user" })?;
        Ok(Ok((token, principal)))
    }

    /// The principal behind a session cookie, if the session is alive; touches its idle timer.
    pub async fn session_principal(&self, token: &str) -> Result<Option<Principal>, AccessError> {
        let now = now_ms();
        let hash = sha256_hex(token);
        let row = sqlx::query(
            "SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: String = row.try_get(0)?;
        let last_seen: i64 = row.try_get(1)?;
        let expires: i64 = row.try_get(2)?;
        if expires <= now || last_seen + self.policy.session_idle_ms <= now {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(self.db.pool())
                .await?;
            return Ok(None);
        }
        // Write the idle timer at most once a minute: most requests then only read.
        if now - last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(self.db.pool())
                .await?;
        }
        self.principal(&user_id, AuthMethod::Session).await
    }

    pub async fn logout(&self, token: &str) -> Result<(), AccessError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The CSRF token for forms of the visitor holding `cookie_value` (session or pre-session
    /// cookie): an HMAC under the session key, so it needs no storage and dies with the cookie.
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.keys.session_secret()) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(b"csrf\0");
        mac.update(cookie_value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a submitted CSRF token.
    pub fn csrf_valid(&self, cookie_value: &str, submitted: &str) -> bool {
        let expected = self.csrf_token(cookie_value);
        !cookie_value.is_empty()
            && expected.len() == submitted.len()
            && expected
                .bytes()
                .zip(submitted.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// A fresh random value for a pre-session cookie.
    pub fn new_visitor_secret() -> String {
        random_secret()
    }

    async fn principal(
        &self,
        user_id: &str,
        method: AuthMethod,
    ) -> Result<Option<Principal>, AccessError> {
        // The user and their organisation in one read: every request asks this.
        let org_columns = ORG_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "SELECT {org_columns}, u.username, u.display_name, u.locale, u.active, \
             u.must_change_password FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE u.id = $1"
        ))
        .bind(user_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        // The user's columns follow the organisation's.
        let at = ORG_COLUMNS.split(", ").count();
        if row.try_get::<i64, _>(at + 3)? == 0 {
            return Ok(None);
        }
        let organisation = organisation_from_row(&row)?;
        Ok(Some(Principal {
            user_id: user_id.to_owned(),
            username: row.try_get(at)?,
            display_name: row.try_get(at + 1)?,
            organisation,
            grants: self.grants_of(user_id).await?,
            locale: Lang::parse(&row.try_get::<String, _>(at + 2)?).unwrap_or_default(),
            must_change_password: row.try_get::<i64, _>(at + 4)? != 0,
            method,
        }))
    }

    // ----- machine tokens -----

    /// Creates a bearer token for `user_id` valid for `days`; returns the secret (shown once).
    pub async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        days: i64,
    ) -> Result<(String, TokenInfo), AccessError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(AccessError::invalid(
                "name",
                "请为令牌命名（1至60个字）",
                "Name the token (1 to 60 characters)",
            ));
        }
        if !(1..=self.policy.max_token_days).contains(&days) {
            return Err(AccessError::invalid(
                "expires_days",
                format!("有效期为1至{}天", self.policy.max_token_days),
                format!("A token lives 1 to {} days", self.policy.max_token_days),
            ));
        }
        if self.user(user_id).await?.is_none() {
            return Err(AccessError::NotFound { what: "user" });
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_secret());
        let now = now_ms();
        let info = TokenInfo {
            id: kernel::Id::new().to_string(),
            name: name.to_owned(),
            created_at: now,
            expires_at: now + days * 86_400_000,
            revoked_at: None,
            last_used_at: None,
        };
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&info.id)
            .bind(user_id)
            .bind(&info.name)
            .bind(sha256_hex(&secret))
            .bind(info.created_at)
            .bind(info.expires_at)
            .execute(self.db.pool())
            .await?;
        Ok((secret, info))
    }

    /// The principal behind a bearer token, with the user's roles as they are now.
    pub async fn token_principal(&self, secret: &str) -> Result<Option<Principal>, AccessError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let now = now_ms();
        let row = sqlx::query("SELECT id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1")
            .bind(sha256_hex(secret))
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get(0)?;
        let user_id: String = row.try_get(1)?;
        let expires: i64 = row.try_get(2)?;
        let revoked: Option<i64> = row.try_get(3)?;
        let last_used: Option<i64> = row.try_get(4)?;
        if revoked.is_some() || expires <= now {
            return Ok(None);
        }
        if last_used.is_none_or(|t| now - t > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&id)
                .execute(self.db.pool())
                .await?;
        }
        self.principal(&user_id, AuthMethod::Token).await
    }

    pub async fn tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>, AccessError> {
        let rows = sqlx::query("SELECT id, name, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                    expires_at: r.try_get(3)?,
                    revoked_at: r.try_get(4)?,
                    last_used_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Revokes one of `user_id`'s tokens; false when there is no such live token.
    pub async fn revoke_token(&self, user_id: &str, token_id: &str) -> Result<bool, AccessError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(token_id)
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Counts of organisations by kind and of users, for the administrator's home page.
    pub async fn counts(&self) -> Result<(Vec<(OrganisationKind, i64)>, i64), AccessError> {
        let rows = sqlx::query(
            "SELECT kind, CAST(COUNT(*) AS BIGINT) FROM organisations GROUP BY kind ORDER BY kind",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut by_kind = Vec::new();
        for row in rows {
            by_kind.push((row.try_get::<String, _>(0)?.parse()?, row.try_get(1)?));
        }
        let users: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
            .fetch_one(self.db.pool())
            .await?;
        Ok((by_kind, users))
    }
}

const ORG_COLUMNS: &str = "id, kind, bureau, name_zh, name_en, district, parent_id, uscc, internet_hospital, active, created_at";

fn organisation_from_row(row: &AnyRow) -> Result<Organisation, AccessError> {
    Ok(Organisation {
        id: row.try_get(0)?,
        kind: row.try_get::<String, _>(1)?.parse()?,
        bureau: row
            .try_get::<Option<String>, _>(2)?
            .map(|b| b.parse())
            .transpose()?,
        name_zh: row.try_get(3)?,
        name_en: row.try_get(4)?,
        district: row.try_get(5)?,
        parent_id: row.try_get(6)?,
        uscc: row.try_get(7)?,
        internet_hospital: row.try_get::<i64, _>(8)? != 0,
        active: row.try_get::<i64, _>(9)? != 0,
        created_at: row.try_get(10)?,
    })
}

fn valid_username(name: &str) -> bool {
    let len = name.len();
    (3..=32).contains(&len)
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// A grant must fit the organisation: the role must be held in that kind of organisation and
/// the scope must be the organisation itself, its district, the city, or the user's own data.
fn check_grant(grant: &Grant, org: &Organisation) -> Result<(), FieldError> {
    if !grant.role.allowed_in().contains(&org.kind) {
        return Err(FieldError::new(
            "roles",
            format!("角色“{}”不适用于该类机构", grant.role.code()),
            format!(
                "The role {} cannot be held in an organisation of kind {}",
                grant.role, org.kind
            ),
        ));
    }
    let fits = match (&grant.role, &grant.scope) {
        (Role::Resident, Scope::Own) => true,
        (Role::Resident, _) | (_, Scope::Own) => false,
        (Role::PlatformAdmin | Role::ExpertReviewer | Role::DataSteward, Scope::City) => true,
        (Role::BureauOfficial, Scope::City) => org.kind == OrganisationKind::MunicipalBureau,
        (Role::BureauOfficial, Scope::District(d)) => {
            org.kind == OrganisationKind::DistrictGovernment && org.district.as_deref() == Some(d)
        }
        (_, Scope::Organisation(id)) => *id == org.id,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(FieldError::new(
            "roles",
            format!(
                "角色“{}”的数据范围“{}”与所属机构不符",
                grant.role.code(),
                grant.scope
            ),
            format!(
                "The scope {} does not fit the role {} in this organisation",
                grant.scope, grant.role
            ),
        ))
    }
}
