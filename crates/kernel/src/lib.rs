//! Shared domain types of lifehealth: identifiers that validate on construction, money in
//! integer fen, times in UTC with display in the city's zone, languages. No I/O lives here.

mod id;
mod lang;
mod mobile;
mod money;
mod resident_id;
mod time;
mod uscc;

pub use id::Id;
pub use lang::{Explain, Lang};
pub use mobile::{MobileError, MobileNumber};
pub use money::{Money, MoneyError};
pub use resident_id::{ResidentIdError, ResidentIdNumber, Sex};
pub use time::{CITY_TIME_ZONE, UtcMillis};
pub use uscc::{UnifiedSocialCreditCode, UsccError};
