//! Shared domain types of lifehealth: identifiers that validate on construction (resident ID
//! numbers, unified social credit codes, mobile numbers), money in integer fen, times stored
//! in UTC and shown in the city's zone, row identifiers, languages and bilingual advice for
//! validation errors, and the citation every figure in data carries. No I/O lives here.

mod cited;
pub mod form;
mod id;
mod lang;
mod mask;
mod mobile;
mod money;
mod resident_id;
mod sex;
mod time;
mod uscc;

pub use cited::{Citation, Source, Sourced};
pub use id::{Id, IdError};
pub use lang::{Explain, Lang};
pub use mask::mask_name;
pub use mobile::{MobileError, MobileNumber};
pub use money::{Money, MoneyError};
pub use resident_id::{ResidentIdError, ResidentIdNumber, check_digit};
pub use sex::Sex;
pub use time::{CITY_TIME_ZONE, UtcMillis};
pub use uscc::{UnifiedSocialCreditCode, UsccError, check_character};

/// Re-exports for [`typed_id!`], so crates using it need no serde dependency of their own.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
