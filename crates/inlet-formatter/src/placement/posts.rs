//! The posts of a placed message: one per (target, draft), with ids derived
//! from the message id and part number, threaded as the targets say.

use super::{Placed, Target};
use inlet_core::{MessageId, post_id};
use inlet_dialects::Draft;
use inlet_proto::v1::{FormattedPost, RawWebhook};
use inlet_store::Channel;
use serde_json::Value;
use uuid::Uuid;

impl Placed {
    /// Appends one post per (target, draft), numbered on from `posts`; a target without a
    /// root gets its first part as root and the later parts as its replies.
    pub fn into_posts(
        self,
        raw: &RawWebhook,
        message: MessageId,
        channel: &Channel,
        drafts: Vec<Draft>,
        posts: &mut Vec<FormattedPost>,
    ) {
        for target in &self.targets {
            let first = post_id(message, posts.len() as u32);
            for (index, draft) in drafts.iter().enumerate() {
                let part = posts.len() as u32;
                let root = target.root.or_else(|| (index > 0).then_some(first));
                posts.push(self.post(raw, message, part, channel, root, target, draft.clone()));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn post(
        &self,
        raw: &RawWebhook,
        message: MessageId,
        part: u32,
        channel: &Channel,
        root: Option<Uuid>,
        target: &Target,
        draft: Draft,
    ) -> FormattedPost {
        let mut props = draft.props;
        for (key, value) in &self.props {
            props.insert((*key).to_string(), value.clone());
        }
        FormattedPost {
            post_id: post_id(message, part).to_string(),
            message_id: raw.message_id.clone(),
            part,
            channel_id: channel.id.to_string(),
            team_id: channel.team_id.to_string(),
            root_id: root.map(|r| r.to_string()).unwrap_or_default(),
            thread_key: target.thread_key.clone().unwrap_or_default(),
            case_id: target.case_id.clone().unwrap_or_default(),
            message: draft.message,
            props_json: Value::Object(props).to_string(),
            username: draft.author.username,
            icon_url: draft.author.icon_url.unwrap_or_default(),
            webhook_id: raw.webhook_id.clone(),
            dialect: raw.dialect.clone(),
            received_at_micros: raw.received_at_micros,
        }
    }
}
