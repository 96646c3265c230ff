//! A line's chat channels (issue 17): besides its e-mail addresses, each party a level goes to
//! is told through each of its `channels`, one recipient per party and channel
//! (`channel:NAME/PARTY`, [`ChannelRecipient`]). A party with channels and no address is
//! reached, not unaddressed. Pure; what a channel is and how it posts is elsewhere.

use std::sync::Arc;

use super::{Addressee, Role};
use crate::domain::channel::{ChannelName, ChannelRecipient, PartyKey};
use crate::domain::deadline::Responsible;
use crate::domain::parties::Parties;

/// The party `role` names for a stage whose responsible party is `responsible`: its key, its
/// name and its channels. A section removed from the config falls to the office, as its mail
/// does.
fn party<'a>(
    role: Role,
    responsible: &Responsible,
    parties: &Parties<'a>,
) -> (PartyKey, &'a str, &'a [ChannelName]) {
    let office = (
        PartyKey::Office,
        parties.office.name.as_str(),
        parties.office.channels.as_slice(),
    );
    match (role, responsible) {
        (Role::Responsible, Responsible::Section(code)) => match parties.section(code) {
            Some(s) => (
                PartyKey::Section(s.code.clone()),
                s.name.as_str(),
                s.channels.as_slice(),
            ),
            None => office,
        },
        (Role::Responsible | Role::Office, _) => office,
        (Role::Leadership, _) => (
            PartyKey::Leadership,
            parties.leadership.name.as_str(),
            parties.leadership.channels.as_slice(),
        ),
        (Role::Supervision, _) => (
            PartyKey::Supervision,
            parties.supervision.name.as_str(),
            parties.supervision.channels.as_slice(),
        ),
    }
}

/// `addressed` (the e-mail addressees of `roles` and the roles with no address) with each
/// party's channels added, each party and channel once, and the roles whose party has a
/// channel no longer counted as unaddressed.
pub(super) fn with_channels(
    roles: &[Role],
    responsible: &Responsible,
    parties: &Parties,
    addressed: (Vec<Addressee>, Vec<Role>),
) -> (Vec<Addressee>, Vec<Role>) {
    let (mut to, mut none) = addressed;
    for role in roles {
        let (key, name, channels) = party(*role, responsible, parties);
        if !channels.is_empty() {
            none.retain(|r| r != role);
        }
        for channel in channels {
            let recipient = ChannelRecipient {
                channel: channel.clone(),
                party: key.clone(),
            }
            .to_string();
            if !to.iter().any(|(a, _, _)| **a == *recipient) {
                to.push((Arc::from(recipient), Arc::from(name), *role));
            }
        }
    }
    (to, none)
}
