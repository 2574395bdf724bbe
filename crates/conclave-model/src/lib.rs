//! Wire and domain types shared by every layer. No I/O lives here.

pub mod channel;
pub mod file;
pub mod id;
pub mod post;
pub mod search;
pub mod session;
pub mod social;
pub mod team;
pub mod time;
pub mod user;
pub mod validate;

pub use channel::{Channel, ChannelMember, ChannelPatch, ChannelUnread};
pub use id::{is_valid_id, new_id, new_random_id};
pub use post::{Post, PostList, PostPatch, Reaction};
pub use session::{Session, UserAccessToken};
pub use social::{Preference, SidebarCategories, SidebarCategory, Status, UserThread, UserThreads};
pub use team::{Team, TeamMember, TeamPatch, TeamUnread};
pub use time::now_ms;
pub use user::{Timezone, User, UserPatch};
