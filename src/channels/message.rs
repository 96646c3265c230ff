//! What a channel message says, before a platform's shape: one party's lines of one pass, most
//! urgent first, with the date (platforms drop identical content sent twice a day, and a daily
//! repeat must not look like yesterday's), and the lines that do not fit counted ("另有 N 件")
//! with a link to the console. No applicant data and no subject either (arts. 6, 17): a chat
//! group is read by more people than a mailbox; the reference, the stage and the dates are
//! enough to act, and the console shows the rest to whoever may see it.

use chrono::NaiveDate;

use crate::config::BaseUrl;
use crate::domain::channel::{ChannelName, Mobile, PartyKey};
use crate::domain::escalation::{Item, ItemLevel};

/// One party's message of one pass on one channel.
#[derive(Debug)]
pub struct Message<'a> {
    /// The outbox row's stable key: DingTalk's `msgUuid`, the webhook's delivery id.
    pub key: &'a str,
    /// The channel.
    pub channel: &'a ChannelName,
    /// Whose message it is.
    pub party: &'a PartyKey,
    /// The party's name.
    pub party_name: &'a str,
    /// The office's name (who sends it).
    pub office_name: &'a str,
    /// The pass's day.
    pub day: NaiveDate,
    /// The lines, most urgent first (at most `mail.digest_max_lines`).
    pub items: Vec<&'a Item>,
    /// How many cases the message is about, shown or not.
    pub cases: usize,
    /// Whom to @.
    pub mobiles: &'a [Mobile],
    /// The console, for links.
    pub base: Option<&'a BaseUrl>,
    /// The console's list for this party.
    pub list: Option<String>,
}

/// How a line's level reads.
pub(crate) fn level_words(item: &Item) -> String {
    let line = &item.line;
    match item.level {
        ItemLevel::Graded(_) => format!(
            "{}：逾期 {} 个工作日",
            line.grade.as_deref().unwrap_or("逾期"),
            line.overdue_by.unwrap_or(0)
        ),
        ItemLevel::Overdue => format!("逾期 {} 个工作日", line.overdue_by.unwrap_or(0)),
        ItemLevel::DueToday => "今日到期".to_owned(),
        ItemLevel::Reminder => format!("剩 {} 个工作日", line.remaining.unwrap_or(0)),
        // As the mail says it (issue 17, "also fix"): how late, once the notice is late.
        // Regulations' clock (issue 18): the explanation says what is wrong.
        ItemLevel::NoticeMissing if item.stage.starts_with("law:") => "条例期限提示".to_owned(),
        ItemLevel::NoticeMissing => match line.overdue_by {
            Some(by) if by > 0 => format!("书面告知未登记，已逾期 {by} 个工作日"),
            _ => "书面告知未登记".to_owned(),
        },
        ItemLevel::LongSuspension => {
            format!("已中止 {} 个工作日", line.suspended_days.unwrap_or(0))
        }
    }
}

impl Message<'_> {
    /// The title, with the date: `政务公开期限提醒（社会保险股，2026-12-07）`.
    pub fn title(&self) -> String {
        format!("政务公开期限提醒（{}，{}）", self.party_name, self.day)
    }

    /// One line in markdown: level, reference (linked to the console), stage, deadline.
    fn markdown_line(&self, item: &Item) -> String {
        let reference = match self.base {
            Some(b) => format!("[{}]({})", item.reference, b.case(&item.reference)),
            None => item.reference.clone(),
        };
        let provisional = if item.line.provisional {
            "（暂定）"
        } else {
            ""
        };
        format!(
            "- **{}** {reference} {}（{}）期限 {}{provisional}",
            level_words(item),
            item.line.stage_name,
            item.line.responsible_name,
            item.deadline
        )
    }

    /// The same line in plain text (WeCom's text messages).
    fn text_line(&self, item: &Item) -> String {
        let provisional = if item.line.provisional {
            "（暂定）"
        } else {
            ""
        };
        format!(
            "· {} {} {}（{}）期限 {}{provisional}",
            level_words(item),
            item.reference,
            item.line.stage_name,
            item.line.responsible_name,
            item.deadline
        )
    }

    /// The message as markdown of at most `max_bytes` (UTF-8), ending with `tail` (a keyword,
    /// mentions): the header, as many lines as fit, most urgent first, then "另有 N 件" for the
    /// cases left out and the link to the console's list.
    pub fn markdown(&self, max_bytes: usize, tail: &str) -> String {
        let head = format!("#### {}\n\n", self.title());
        let lines: Vec<String> = self.items.iter().map(|i| self.markdown_line(i)).collect();
        let link = |more: usize| {
            let mut s = String::new();
            if more > 0 {
                s.push_str(&format!("\n另有 {more} 件未列出"));
            }
            if let Some(list) = &self.list {
                s.push_str(&format!("\n\n[在控制台查看全部]({list})"));
            }
            s
        };
        self.fit(&head, &lines, max_bytes, tail, &link, "\n")
    }

    /// The message as plain text of at most `max_bytes`, as [`Message::markdown`].
    pub fn text(&self, max_bytes: usize, tail: &str) -> String {
        let head = format!("{}\n", self.title());
        let lines: Vec<String> = self.items.iter().map(|i| self.text_line(i)).collect();
        let link = |more: usize| {
            let mut s = String::new();
            if more > 0 {
                s.push_str(&format!("\n另有 {more} 件未列出"));
            }
            if let Some(list) = &self.list {
                s.push_str(&format!("\n在控制台查看全部：{list}"));
            }
            s
        };
        self.fit(&head, &lines, max_bytes, tail, &link, "\n")
    }

    /// `head`, then as many of `lines` as fit in `max_bytes` with the footer (`link` of the
    /// cases left out) and `tail`.
    fn fit(
        &self,
        head: &str,
        lines: &[String],
        max_bytes: usize,
        tail: &str,
        link: &dyn Fn(usize) -> String,
        separator: &str,
    ) -> String {
        let mut shown = lines.len();
        loop {
            let cases_shown = {
                let mut refs: Vec<&str> = self.items[..shown]
                    .iter()
                    .map(|i| i.reference.as_str())
                    .collect();
                refs.sort_unstable();
                refs.dedup();
                refs.len()
            };
            let more = self.cases.saturating_sub(cases_shown);
            let mut text = head.to_owned();
            text.push_str(&lines[..shown].join(separator));
            text.push_str(&link(more));
            if !tail.is_empty() {
                text.push_str("\n\n");
                text.push_str(tail);
            }
            if text.len() <= max_bytes || shown == 0 {
                return text;
            }
            shown -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::escalation::sample_items;

    /// `n` cases, each one of the sample lines (overdue, due today, reminder, notice owed) in
    /// turn, under its own reference.
    fn many(n: usize) -> Vec<Item> {
        let samples = sample_items();
        (0..n)
            .map(|i| {
                let mut item = samples[i % samples.len()].clone();
                item.reference = format!("2026-{i:04}");
                item
            })
            .collect()
    }

    fn message<'a>(items: &'a [Item], name: &'a ChannelName, party: &'a PartyKey) -> Message<'a> {
        let mut listed: Vec<&Item> = items.iter().collect();
        listed.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
        Message {
            key: "duewatch-test",
            channel: name,
            party,
            party_name: "社会保险股",
            office_name: "办公室",
            day: NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"),
            items: listed,
            cases: items.len(),
            mobiles: &[],
            base: None,
            list: Some("https://duewatch.bureau.example/cases?party=ss".to_owned()),
        }
    }

    #[test]
    fn a_long_message_lists_the_most_urgent_lines_that_fit_and_counts_the_rest() {
        let items = many(200);
        let name = ChannelName::parse("wx").expect("a name");
        let party = PartyKey::Office;
        let m = message(&items, &name, &party);
        let text = m.markdown(4096, "");
        assert!(text.len() <= 4096, "{} bytes", text.len());
        let shown = text.lines().filter(|l| l.starts_with("- ")).count();
        assert!(shown > 10 && shown < 200, "{shown} lines");
        assert!(
            text.contains(&format!("另有 {} 件未列出", 200 - shown)),
            "{text}"
        );
        assert!(text.contains("在控制台查看全部"), "{text}");
        assert!(
            text.contains("2026-12-07"),
            "the date is in every message: {text}"
        );
        let first = text
            .lines()
            .find(|l| l.starts_with("- "))
            .unwrap_or_default();
        assert!(first.contains("逾期"), "the most urgent first: {first}");
        assert!(!text.contains("今日到期") || text.find("逾期") < text.find("今日到期"));
    }

    #[test]
    fn a_short_message_lists_everything_and_counts_nothing() {
        let items = many(3);
        let name = ChannelName::parse("ding").expect("a name");
        let party = PartyKey::Leadership;
        let m = message(&items, &name, &party);
        let text = m.text(2048, "@13800138000");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("· ")).count(),
            3,
            "{text}"
        );
        assert!(!text.contains("另有"), "{text}");
        assert!(text.ends_with("@13800138000"), "{text}");
    }
}
