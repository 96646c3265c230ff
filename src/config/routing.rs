//! Which roles a level is sent to while they have no address (`escalation.recipients`): found by
//! `config check` and the daemon's start, which refuse such a configuration, for a notification
//! sent to no one is lost without a trace. Reads the configuration only.

use super::Config;
use crate::domain::escalation::Role;

/// The parties a level would be sent to while they have no address, one sentence each: who
/// (`the office`, `the leadership`, `the section sections[N] (code "…", name)`), which levels
/// reach it and as which role, and the key to add. `config check` and the daemon's start refuse
/// a configuration with any (a notification sent to no one is lost without a trace); [`crate::domain::escalation::items_for`]
/// still reports one at run time, should a configuration reach it unchecked.
pub(crate) fn unaddressed_roles(config: &Config) -> Vec<String> {
    let policy = &config.escalation;
    let levels = [
        ("reminder", &policy.recipients.reminder),
        ("due_today", &policy.recipients.due_today),
        ("overdue", &policy.recipients.overdue),
        ("notice_missing", &policy.recipients.notice_missing),
    ];
    // (who, what to add) -> [(as which role, at which levels)], in the order first met.
    type Found<'a> = ((String, String), Vec<(&'static str, Vec<&'a str>)>);
    let mut found: Vec<Found> = Vec::new();
    let mut note = |who: String, add: String, level: &'static str, via: &'static str| {
        let at = match found.iter().position(|(k, _)| k.0 == who) {
            Some(at) => at,
            None => {
                found.push(((who, add), Vec::new()));
                found.len() - 1
            }
        };
        let vias = &mut found[at].1;
        match vias.iter_mut().find(|(v, _)| *v == via) {
            Some((_, levels)) if !levels.contains(&level) => levels.push(level),
            Some(_) => {}
            None => vias.push((via, vec![level])),
        }
    };
    let office = || {
        (
            "the office".to_owned(),
            "office.emails = [\"office@bureau.example\"]".to_owned(),
        )
    };
    for (level, roles) in levels {
        // Notices are owed by the section (arts. 20, 21), never by the office's forward stage.
        let notice = level == "notice_missing";
        if notice && !policy.notices {
            continue;
        }
        for role in roles.iter() {
            match role {
                Role::Responsible => {
                    if !notice
                        && (config.office.emails.is_empty() && config.office.channels.is_empty())
                    {
                        let (who, add) = office();
                        note(who, add, level, "\"responsible\" (of a forward stage)");
                    }
                    for (i, s) in config.sections.iter().enumerate() {
                        if s.emails.is_empty() && s.channels.is_empty() {
                            note(
                                format!(
                                    "the section sections[{i}] (code \"{}\", {})",
                                    s.code, s.name
                                ),
                                format!("emails = [\"head@bureau.example\"] to sections[{i}]"),
                                level,
                                "\"responsible\" (of a reply stage)",
                            );
                        }
                    }
                }
                Role::Office
                    if (config.office.emails.is_empty() && config.office.channels.is_empty()) =>
                {
                    let (who, add) = office();
                    note(who, add, level, "\"office\"");
                }
                Role::Leadership
                    if (config.leadership.emails.is_empty()
                        && config.leadership.channels.is_empty()) =>
                {
                    note(
                        "the leadership".to_owned(),
                        "leadership.emails = [\"leaders@bureau.example\"]".to_owned(),
                        level,
                        "\"leadership\"",
                    )
                }
                Role::Office | Role::Leadership => {}
            }
        }
    }
    found
        .into_iter()
        .map(|((who, add), vias)| {
            let how: Vec<String> = vias
                .iter()
                .map(|(via, levels)| format!("the {} mail as {via}", listed(levels)))
                .collect();
            format!(
                "{who} has no address, but escalation.recipients sends it {}; add {add}",
                how.join(" and ")
            )
        })
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
fn listed(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTIONS: &str = r#"
[office]
emails = ["office@bureau.example"]
[leadership]
emails = ["leaders@bureau.example"]
[[sections]]
code = "ss"
name = "社会保险股"
emails = ["head@bureau.example"]
[[sections]]
code = "bg"
name = "办公股"
emails = []
"#;

    #[test]
    fn a_section_without_an_address_is_named_with_each_level_that_would_reach_it() {
        let config = crate::config::from_toml(SECTIONS);
        let found = unaddressed_roles(&config);
        assert_eq!(
            found,
            [
                "the section sections[1] (code \"bg\", 办公股) has no address, but escalation.recipients \
              sends it the reminder, due_today, overdue and notice_missing mail as \"responsible\" (of \
              a reply stage); add emails = [\"head@bureau.example\"] to sections[1]"
            ]
        );
    }

    #[test]
    fn the_defaults_name_the_office_and_the_leadership_and_a_level_that_tells_no_one_is_allowed() {
        let config = crate::config::from_toml("");
        let found = unaddressed_roles(&config);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("the office has no address")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("the leadership has no address")),
            "{found:#?}"
        );
        let config = crate::config::from_toml(
            "[escalation.recipients]\nreminder = []\ndue_today = []\noverdue = []\nnotice_missing = []\n",
        );
        assert!(unaddressed_roles(&config).is_empty());
    }
}
