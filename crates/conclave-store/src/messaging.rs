//! Storage for teams, channels, posts and the per-user state around them.
//!
//! Methods that change several tables at once (a team with its default channels, a post with
//! its counters) are single methods so that each backend makes them one transaction.

use async_trait::async_trait;
use conclave_model::file::FileInfo;
use conclave_model::{
    Channel, ChannelMember, Post, Preference, Reaction, SidebarCategory, Status, Team, TeamMember,
};

use crate::StoreResult;

#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Creates a team with its first member and its default channels (with their members),
    /// atomically. `Conflict("name")` when the team name is taken.
    async fn create(
        &self,
        team: &Team,
        member: &TeamMember,
        channels: &[Channel],
        channel_members: &[ChannelMember],
    ) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Team>;
    async fn get_by_name(&self, name: &str) -> StoreResult<Team>;
    async fn get_by_invite_id(&self, invite_id: &str) -> StoreResult<Team>;
    /// Live teams ordered by display name; `open_only` keeps teams that allow open invites.
    async fn list(&self, open_only: bool, offset: i64, limit: i64) -> StoreResult<Vec<Team>>;
    /// Live teams the user is an active member of.
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Team>>;
    async fn update(&self, team: &Team) -> StoreResult<()>;
    /// Adds (or re-activates) a member and joins them to the given channels, atomically.
    async fn add_member(
        &self,
        member: &TeamMember,
        channel_members: &[ChannelMember],
    ) -> StoreResult<()>;
    /// Rewrites a membership's roles and flags.
    async fn update_member(&self, member: &TeamMember) -> StoreResult<()>;
    /// The membership, including a left one (`delete_at > 0`).
    async fn get_member(&self, team_id: &str, user_id: &str) -> StoreResult<TeamMember>;
    /// Active members ordered by user id.
    async fn list_members(
        &self,
        team_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<TeamMember>>;
    async fn members_by_ids(
        &self,
        team_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<TeamMember>>;
    /// The user's active memberships in live teams.
    async fn list_members_for_user(&self, user_id: &str) -> StoreResult<Vec<TeamMember>>;
    /// Soft-deletes the membership and removes the user from every channel of the team.
    async fn remove_member(&self, team_id: &str, user_id: &str, at: i64) -> StoreResult<()>;
    /// `(total, active)` member counts; active excludes deactivated users.
    async fn member_counts(&self, team_id: &str) -> StoreResult<(i64, i64)>;
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Creates a channel with its initial members. `Conflict("name")` when the name is taken
    /// in the team (or, for direct/group channels, globally).
    async fn create(&self, channel: &Channel, members: &[ChannelMember]) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Channel>;
    /// By name within a team; `team_id` is empty for direct and group channels.
    async fn get_by_name(&self, team_id: &str, name: &str) -> StoreResult<Channel>;
    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Channel>>;
    /// Public channels of a team ordered by display name; `archived` picks archived ones.
    async fn list_public(
        &self,
        team_id: &str,
        archived: bool,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Channel>>;
    /// Live public channels whose name or display name contains `term`.
    async fn search_public(
        &self,
        team_id: &str,
        term: &str,
        limit: i64,
    ) -> StoreResult<Vec<Channel>>;
    /// The user's channels in a team plus all their direct and group channels.
    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        include_archived: bool,
    ) -> StoreResult<Vec<Channel>>;
    /// Writes the channel's own fields (not its message counters).
    async fn update(&self, channel: &Channel) -> StoreResult<()>;
    /// Adds a member; `Conflict("member")` if already one.
    async fn add_member(&self, member: &ChannelMember) -> StoreResult<()>;
    /// Rewrites a member's roles and notify props.
    async fn update_member(&self, member: &ChannelMember) -> StoreResult<()>;
    async fn get_member(&self, channel_id: &str, user_id: &str) -> StoreResult<ChannelMember>;
    /// Ordered by user id.
    async fn list_members(
        &self,
        channel_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChannelMember>>;
    async fn members_by_ids(
        &self,
        channel_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<ChannelMember>>;
    /// The user's memberships in a team's channels plus their direct and group channels.
    async fn list_members_for_user(
        &self,
        user_id: &str,
        team_id: &str,
    ) -> StoreResult<Vec<ChannelMember>>;
    async fn remove_member(&self, channel_id: &str, user_id: &str) -> StoreResult<()>;
    async fn member_count(&self, channel_id: &str) -> StoreResult<i64>;
    /// Every channel the user belongs to, in any team (for the real-time membership index).
    async fn channel_ids_for_user(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// Active members who set custom mention keys or asked to be mentioned by first name
    /// (`User::has_mention_keys`, indexed): `(user_id, first_name, notify_props)`. Everyone
    /// else is mentioned by username only.
    async fn members_with_mention_keys(
        &self,
        channel_id: &str,
    ) -> StoreResult<Vec<(String, String, std::collections::BTreeMap<String, String>)>>;
    /// Marks channels read for the user: counts caught up to the channel's totals, mentions
    /// cleared, `last_viewed_at` raised to the channel's last post. Returns
    /// `(channel_id, last_post_at)` for each channel the user is a member of.
    async fn mark_viewed(
        &self,
        user_id: &str,
        channel_ids: &[String],
        now: i64,
    ) -> StoreResult<Vec<(String, i64)>>;
    /// Sets the member's read position back to just before `post_create_at`, recounting
    /// unread messages and mentions from the posts after it.
    async fn mark_unread(
        &self,
        user_id: &str,
        channel_id: &str,
        post_create_at: i64,
        mentions: i64,
        mentions_root: i64,
    ) -> StoreResult<ChannelMember>;
}

/// A post and the counters its creation moves, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct NewPost {
    pub post: Post,
    /// Members whose mention counters rise.
    pub mentioned: Vec<String>,
    /// For replies: users who follow the thread from now on (author, mentioned users).
    pub thread_followers: Vec<String>,
}

/// Which slice of a channel's posts to read. Newest first.
#[derive(Debug, Clone, Default)]
pub struct PostPage {
    /// Only posts strictly older than this post's `(create_at, id)`.
    pub before: Option<(i64, String)>,
    /// Only posts strictly newer than this post's `(create_at, id)` (read oldest first, then
    /// reversed by the caller).
    pub after: Option<(i64, String)>,
    /// Posts changed after this time, deleted ones included.
    pub since: Option<i64>,
    pub offset: i64,
    pub limit: i64,
    pub roots_only: bool,
}

#[async_trait]
pub trait PostStore: Send + Sync {
    async fn create(&self, new: &NewPost) -> StoreResult<()>;
    /// With `reply_count` and `last_reply_at` filled from its thread.
    async fn get(&self, id: &str) -> StoreResult<Post>;
    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Post>>;
    /// Writes message, props, file ids, pin state, reactions flag and the times.
    async fn update(&self, post: &Post) -> StoreResult<()>;
    /// Soft-deletes a post (and, for a root, its replies), fixing thread counters.
    async fn delete(&self, id: &str, at: i64) -> StoreResult<()>;
    async fn channel_page(&self, channel_id: &str, page: &PostPage) -> StoreResult<Vec<Post>>;
    /// Root and live replies, oldest first.
    async fn thread(&self, root_id: &str) -> StoreResult<Vec<Post>>;
    /// Live pinned posts, newest first.
    async fn pinned(&self, channel_id: &str) -> StoreResult<Vec<Post>>;
    async fn pinned_count(&self, channel_id: &str) -> StoreResult<i64>;
    /// Live posts the user saved (preference `flagged_post`), newest first, limited to
    /// channels in `channel_ids` when given.
    async fn flagged(
        &self,
        user_id: &str,
        channel_ids: Option<&[String]>,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Post>>;
    /// Live posts of the channel created after `after` (exclusive):
    /// `(messages, root messages)`.
    async fn count_after(&self, channel_id: &str, after: i64) -> StoreResult<(i64, i64)>;
    /// Posts matching a search, newest first. Text matching is case-insensitive substring
    /// matching on both backends (trigram indexes), so partial words, URLs, dotted names and
    /// CJK text are found; system messages and deleted posts never match.
    async fn search(&self, q: &PostSearch) -> StoreResult<Vec<Post>>;
}

/// A post search as the store runs it: the service has already parsed what the user typed and
/// resolved names to ids. Every value here is bound as a parameter or quoted as a literal;
/// none is ever interpreted as query syntax.
#[derive(Debug, Clone, Default)]
pub struct PostSearch {
    /// Only channels this user is a member of are searched.
    pub user_id: String,
    /// Only this team's channels (plus direct and group channels); `None`: every team.
    pub team_id: Option<String>,
    pub include_deleted_channels: bool,
    /// Text that must appear (all of it, or any of it with `any`).
    pub terms: Vec<String>,
    /// Hashtags (with `#`) the post must carry.
    pub hashtags: Vec<String>,
    pub any: bool,
    /// Text that must not appear.
    pub excluded: Vec<String>,
    /// Authors, when restricted.
    pub user_ids: Vec<String>,
    /// Channels, when restricted.
    pub channel_ids: Vec<String>,
    /// `create_at >= since` and `create_at < until`, in ms.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

#[async_trait]
pub trait FileStore: Send + Sync {
    async fn create(&self, info: &FileInfo) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<FileInfo>;
    /// Live files attached to these posts, oldest first.
    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<FileInfo>>;
    /// Files that can go: unattached uploads created at or before `before`, and files of
    /// deleted posts deleted at or before `before`.
    async fn expired(&self, before: i64, limit: i64) -> StoreResult<Vec<FileInfo>>;
    /// Forgets these files' rows (their bytes are already gone).
    async fn purge(&self, ids: &[String]) -> StoreResult<()>;
    /// Attached, live files whose names contain every term (case-insensitive), in channels
    /// `user_id` is a member of (of `team_id` plus direct and group channels, when given);
    /// newest first.
    async fn search(
        &self,
        user_id: &str,
        team_id: Option<&str>,
        terms: &[String],
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<FileInfo>>;
}

/// Substring terms shorter than this are matched without the trigram index.
pub const TRIGRAM_MIN_CHARS: usize = 3;

#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Adds a reaction (idempotent) and flags the post as having reactions.
    async fn add(&self, reaction: &Reaction) -> StoreResult<()>;
    /// Removes one; clears the post's flag when it was the last. `NotFound` if absent.
    async fn remove(
        &self,
        user_id: &str,
        post_id: &str,
        emoji_name: &str,
        at: i64,
    ) -> StoreResult<()>;
    /// Oldest first.
    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<Reaction>>;
    /// Distinct emoji on a post.
    async fn distinct_emoji_count(&self, post_id: &str) -> StoreResult<i64>;
}

#[async_trait]
pub trait PreferenceStore: Send + Sync {
    /// Upserts, atomically.
    async fn save(&self, prefs: &[Preference]) -> StoreResult<()>;
    async fn list(&self, user_id: &str) -> StoreResult<Vec<Preference>>;
    async fn list_category(&self, user_id: &str, category: &str) -> StoreResult<Vec<Preference>>;
    async fn get(&self, user_id: &str, category: &str, name: &str) -> StoreResult<Preference>;
    async fn delete(&self, prefs: &[Preference]) -> StoreResult<()>;
}

/// A followed thread as one user sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadView {
    pub post_id: String,
    pub channel_id: String,
    pub reply_count: i64,
    pub last_reply_at: i64,
    /// User ids, earliest participant first.
    pub participants: Vec<String>,
    pub following: bool,
    pub last_viewed: i64,
    pub unread_mentions: i64,
    /// Live replies newer than `last_viewed`.
    pub unread_replies: i64,
}

#[async_trait]
pub trait ThreadStore: Send + Sync {
    /// Threads the user follows in the team's channels (and their direct/group channels),
    /// most recently active first; `unread_only` keeps those with unread replies.
    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        unread_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<ThreadView>>;
    /// The user's view of one thread (`NotFound` when the thread has no replies yet).
    async fn get_for_user(&self, user_id: &str, post_id: &str) -> StoreResult<ThreadView>;
    /// Starts or stops following a thread (creating the membership if needed).
    async fn set_following(
        &self,
        user_id: &str,
        post_id: &str,
        following: bool,
        at: i64,
    ) -> StoreResult<()>;
    /// Sets the read position and clears unread mentions.
    async fn mark_read(&self, user_id: &str, post_id: &str, viewed_at: i64) -> StoreResult<()>;
    /// Marks every followed thread in the team read.
    async fn mark_all_read(&self, user_id: &str, team_id: &str, at: i64) -> StoreResult<()>;
    /// Users following the thread.
    async fn followers(&self, post_id: &str) -> StoreResult<Vec<String>>;
}

#[async_trait]
pub trait SidebarStore: Send + Sync {
    /// The user's categories in a team, by `sort_order`, each with its channels in order.
    async fn list(&self, user_id: &str, team_id: &str) -> StoreResult<Vec<SidebarCategory>>;
    /// Writes categories (insert or update) with their channel lists, atomically. A channel
    /// placed in a category leaves every other category of that user and team.
    async fn save(&self, categories: &[SidebarCategory]) -> StoreResult<()>;
    /// Deletes a category and its channel placements.
    async fn delete(&self, user_id: &str, category_id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait StatusStore: Send + Sync {
    async fn get(&self, user_id: &str) -> StoreResult<Status>;
    /// Known statuses only; callers default the rest to offline.
    async fn get_many(&self, user_ids: &[String]) -> StoreResult<Vec<Status>>;
    async fn save(&self, status: &Status) -> StoreResult<()>;
}
