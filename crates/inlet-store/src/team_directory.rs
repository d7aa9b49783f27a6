//! One team's directory, loaded in one go and cached: its channels (by name
//! and id), its users (by username) and the members of its private and
//! direct channels. Ingress answers `channel_not_found`, `user_not_found` and
//! `action_prohibited` from it without a database round trip; the formatter
//! hands it to the dialects as their read-only [`DirectoryView`].

use crate::error::StoreError;
use crate::model::{Channel, ChannelKind, User};
use inlet_dialects::DirectoryView;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio_postgres::GenericClient;
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
    pub async fn load(client: &impl GenericClient, team_id: Uuid) -> Result<Self, StoreError> {
        let channel_sql = format!(
            "SELECT {} FROM channels WHERE team_id = $1",
            Channel::COLUMNS
        );
        let user_sql = format!("SELECT {} FROM users WHERE team_id = $1", User::COLUMNS);
        let channels = client.query(&channel_sql, &[&team_id]).await?;
        let users = client.query(&user_sql, &[&team_id]).await?;
        let members = client
            .query(
                "SELECT m.channel_id, m.user_id FROM channel_members m JOIN channels c ON c.id = m.channel_id
                 WHERE c.team_id = $1 AND c.kind <> 'open'",
                &[&team_id],
            )
            .await?;
        let mut directory = Self {
            team_id,
            ..Self::default()
        };
        for row in &channels {
            let channel = Arc::new(Channel::from_row(row));
            if channel.kind != ChannelKind::Direct {
                directory
                    .channels_by_name
                    .insert(channel.name.clone(), channel.clone());
            }
            directory.channels_by_id.insert(channel.id, channel);
        }
        for row in &users {
            let user = Arc::new(User::from_row(row));
            directory
                .usernames_by_id
                .insert(user.id, user.username.clone());
            directory.users_by_name.insert(user.username.clone(), user);
        }
        directory.members = members.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(directory)
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
