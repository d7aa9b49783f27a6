//! One team's directory, loaded in one go and cached: its channels (by name
//! and id), its users (by username) and the members of its private and
//! direct channels. Ingress answers `channel_not_found`, `user_not_found` and
//! `action_prohibited` from it without a database round trip; the formatter
//! hands it to the dialects as their read-only [`DirectoryView`].

use inlet_dialects::DirectoryView;
use inlet_store::repo::teams::TeamRows;
use inlet_store::{Channel, ChannelKind, User};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct TeamDirectory {
    pub team_id: Uuid,
    channels_by_name: HashMap<String, Arc<Channel>>,
    channels_by_id: HashMap<Uuid, Arc<Channel>>,
    users_by_name: HashMap<String, Arc<User>>,
    usernames_by_id: HashMap<Uuid, String>,
    /// (channel, user) for private and direct channels.
    members: HashSet<(Uuid, Uuid)>,
}

impl TeamDirectory {
    /// The directory of `team_id` from its rows.
    pub fn from_rows(team_id: Uuid, rows: TeamRows) -> Self {
        let mut directory = Self {
            team_id,
            ..Self::default()
        };
        for channel in rows.channels {
            let channel = Arc::new(channel);
            if channel.kind != ChannelKind::Direct {
                directory
                    .channels_by_name
                    .insert(channel.name.clone(), channel.clone());
            }
            directory.channels_by_id.insert(channel.id, channel);
        }
        for user in rows.users {
            let user = Arc::new(user);
            directory
                .usernames_by_id
                .insert(user.id, user.username.clone());
            directory.users_by_name.insert(user.username.clone(), user);
        }
        directory.members = rows.members.into_iter().collect();
        directory
    }

    /// A channel of this team by its URL name (direct channels have none).
    pub fn channel_by_name(&self, name: &str) -> Option<Arc<Channel>> {
        self.channels_by_name.get(name).cloned()
    }

    /// A channel of this team by id.
    pub fn channel(&self, id: Uuid) -> Option<Arc<Channel>> {
        self.channels_by_id.get(&id).cloned()
    }

    pub fn user_by_name(&self, username: &str) -> Option<Arc<User>> {
        self.users_by_name.get(username).cloned()
    }

    /// Whether `user` belongs to a private or direct channel (open channels
    /// are open to every user of the team).
    pub fn is_member(&self, channel: Uuid, user: Uuid) -> bool {
        self.members.contains(&(channel, user))
    }
}

impl DirectoryView for TeamDirectory {
    fn user_exists(&self, username: &str) -> bool {
        self.users_by_name.contains_key(&username.to_lowercase())
    }

    fn channel_name(&self, channel_id: &str) -> Option<String> {
        let id = Uuid::parse_str(channel_id).ok()?;
        self.channels_by_id
            .get(&id)
            .filter(|c| c.kind != ChannelKind::Direct)
            .map(|c| c.name.clone())
    }

    fn username_of(&self, user_id: &str) -> Option<String> {
        let id = Uuid::parse_str(user_id).ok()?;
        self.usernames_by_id.get(&id).cloned()
    }
}
