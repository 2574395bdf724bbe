//! Wire and domain types shared by every layer. No I/O lives here.

pub mod id;
pub mod session;
pub mod time;
pub mod user;
pub mod validate;

pub use id::{is_valid_id, new_id, new_random_id};
pub use session::{Session, UserAccessToken};
pub use time::now_ms;
pub use user::{Timezone, User, UserPatch};
