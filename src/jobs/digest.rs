//! One recipient's digest of a reconcile: the lines still in no mail (and today's repeat),
//! rendered and queued in one transaction with their assignment, as a mail or, for a party's
//! chat channel, as a message; the sections' calendars attached when `mail.attach_ics` is on.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use super::Context;
use super::pending::Pending;
use crate::calendar::Calendar;
use crate::domain::case::SectionCode;

/// The sections whose addresses include `recipient`.
fn sections_of(config: &crate::config::Config, recipient: &str) -> Vec<SectionCode> {
    config
        .sections
        .iter()
        .filter(|s| s.emails.iter().any(|e| e == recipient))
        .map(|s| s.code.clone())
        .collect()
}

/// The console's list for `recipient`'s digest: a section's address (of one section only) its
/// section's cases, the office's its forwards (`party=office`), the leadership's and any other
/// every open case.
fn list_link(
    config: &crate::config::Config,
    base: &crate::config::BaseUrl,
    recipient: &str,
) -> String {
    let sections = sections_of(config, recipient);
    let of =
        |emails: &[crate::domain::address::EmailAddress]| emails.iter().any(|e| e == recipient);
    let office = of(&config.office.emails);
    let leadership = of(&config.leadership.emails);
    let party = match (sections.as_slice(), office, leadership) {
        ([one], false, false) => Some(one.as_str()),
        ([], true, false) => Some("office"),
        _ => None,
    };
    base.list(party)
}

/// `mail.attach_ics`: each section's open deadlines go with the digests to its addresses; all
/// the sections that get a digest now, in one more read of the open cases. Empty when off.
///
/// # Errors
/// A database failure.
pub(super) async fn attached_feeds(
    ctx: &Context,
    calendar: &Calendar,
    recipients: impl Iterator<Item = &Arc<str>>,
    now: NaiveDateTime,
) -> anyhow::Result<BTreeMap<SectionCode, (String, usize)>> {
    if !ctx.config.mail.attach_ics {
        return Ok(BTreeMap::new());
    }
    let mut wanted: Vec<_> = recipients
        .flat_map(|r| sections_of(&ctx.config, r))
        .collect();
    wanted.sort();
    wanted.dedup();
    let stamp = crate::output::feeds::utc(&ctx.config, now);
    crate::output::feeds::sections_ics(
        &ctx.source,
        &ctx.config,
        calendar,
        &wanted,
        now.date(),
        stamp,
    )
    .await
}

/// One recipient's digest of this pass.
pub(super) struct Digest<'a> {
    pub(super) recipient: &'a Arc<str>,
    pub(super) pending: &'a Pending,
    pub(super) day: NaiveDate,
    /// The sections' calendars to attach ([`attached_feeds`]).
    pub(super) feeds: &'a BTreeMap<SectionCode, (String, usize)>,
}

impl Digest<'_> {
    /// Queues the digest of the lines still in no mail (and today's repeat, when `repeated`
    /// does not hold it yet), in one transaction with their assignment; `None` when another
    /// instance mailed them all meanwhile.
    ///
    /// # Errors
    /// A database failure, or a template that fails.
    pub(super) async fn queue(
        &self,
        ctx: &Context,
        repeated: &HashSet<String>,
    ) -> anyhow::Result<Option<i64>> {
        let p = self.pending;
        let mut candidates = Vec::with_capacity(p.lines.len());
        candidates.extend(p.lines.iter().map(|l| l.id));
        let repeats = p.lines.iter().filter(|l| l.repeat).count() + p.repeat_only.len();
        let repeat =
            (repeats > 0 && !repeated.contains(&**self.recipient)).then_some((self.day, repeats));
        // A party's chat channel (issue 17): the same lines, posted instead of mailed.
        if let Some(to) = crate::domain::channel::ChannelRecipient::parse(self.recipient) {
            return super::channels::queue(
                ctx,
                &to,
                self.recipient,
                p,
                self.day,
                &candidates,
                repeat,
            )
            .await;
        }
        ctx.store
            .mail_lines(
                self.recipient,
                &candidates,
                repeat,
                &ctx.config.mail.from,
                |still, repeating| self.render(ctx, still, repeating),
            )
            .await
    }

    /// The digest's mail: the lines `still` in no mail, and the repeated ones when
    /// `repeating`, most urgent first, counted by case and level; with the sections'
    /// calendars attached.
    ///
    /// # Errors
    /// A template that fails.
    fn render(
        &self,
        ctx: &Context,
        still: &HashSet<i64>,
        repeating: bool,
    ) -> anyhow::Result<crate::mail::render::Rendered> {
        let p = self.pending;
        let max_lines = ctx.config.mail.digest_max_lines;
        let name = p.name.clone().unwrap_or_else(|| Arc::clone(self.recipient));
        let (counts, shown) = p.shown_now(still, repeating, max_lines);
        let base = ctx.config.web.base_url.as_ref();
        let list = base.map(|b| list_link(&ctx.config, b, self.recipient));
        let grades: Vec<String> = ctx
            .config
            .escalation
            .grades
            .iter()
            .map(|g| g.name.clone())
            .collect();
        let mut rendered = ctx.templates().digest(
            self.recipient,
            &name,
            &ctx.config.office.name,
            &self.day.to_string(),
            &shown,
            &counts,
            &grades,
            base.zip(list.as_deref()),
        )?;
        // One file per section the address serves: deadlines.ics, or, for an address of
        // several sections, deadlines-CODE.ics each.
        let mine = sections_of(&ctx.config, self.recipient);
        for code in &mine {
            if let Some((ics, _)) = self.feeds.get(code) {
                rendered.attachments.push(crate::mail::Attachment {
                    filename: if mine.len() == 1 {
                        "deadlines.ics".to_owned()
                    } else {
                        format!("deadlines-{code}.ics")
                    },
                    content_type: crate::mail::ICS.to_owned(),
                    content: ics.clone().into_bytes(),
                });
            }
        }
        Ok(rendered)
    }
}
