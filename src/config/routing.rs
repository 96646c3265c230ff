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
    let mut levels: Vec<(String, &Vec<Role>)> = vec![
        ("reminder".to_owned(), &policy.recipients.reminder),
        ("due_today".to_owned(), &policy.recipients.due_today),
        ("overdue".to_owned(), &policy.recipients.overdue),
        (
            "notice_missing".to_owned(),
            &policy.recipients.notice_missing,
        ),
        (
            "long_suspension".to_owned(),
            &policy.recipients.long_suspension,
        ),
    ];
    // Issue 17: each overdue grade is a level of its own, named by its key.
    for (i, g) in policy.grades.iter().enumerate() {
        levels.push((
            format!("escalation.grades[{i}] ({})", g.name),
            &g.recipients,
        ));
    }
    // (who, what to add) -> [(as which role, at which levels)], in the order first met.
    type Found = ((String, String), Vec<(&'static str, Vec<String>)>);
    let mut found: Vec<Found> = Vec::new();
    let mut note = |who: String, add: String, level: &str, via: &'static str| {
        let at = match found.iter().position(|(k, _)| k.0 == who) {
            Some(at) => at,
            None => {
                found.push(((who, add), Vec::new()));
                found.len() - 1
            }
        };
        let vias = &mut found[at].1;
        match vias.iter_mut().find(|(v, _)| *v == via) {
            Some((_, levels)) if !levels.iter().any(|l| l == level) => {
                levels.push(level.to_owned());
            }
            Some(_) => {}
            None => vias.push((via, vec![level.to_owned()])),
        }
    };
    let office = || {
        (
            "the office".to_owned(),
            "office.emails = [\"office@bureau.example\"]".to_owned(),
        )
    };
    for (level, roles) in &levels {
        let level = level.as_str();
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
                Role::Supervision
                    if (config.supervision.emails.is_empty()
                        && config.supervision.channels.is_empty()) =>
                {
                    note(
                        "the supervision office ([supervision])".to_owned(),
                        "supervision.emails = [\"jijian@bureau.example\"] (the discipline \
                         inspection office's addresses), or take \"supervision\" out of the list"
                            .to_owned(),
                        level,
                        "\"supervision\"",
                    )
                }
                Role::Office | Role::Leadership | Role::Supervision => {}
            }
        }
    }
    found
        .into_iter()
        .map(|((who, add), vias)| {
            let how: Vec<String> = vias
                .iter()
                .map(|(via, levels)| {
                    format!(
                        "the {} mail as {via}",
                        listed(&levels.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                })
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
    fn a_grade_naming_supervision_needs_a_supervision_address() {
        let grades = r#"
[[escalation.grades]]
name = "红牌"
code = "red"
at = 5
recipients = ["responsible", "supervision"]
"#;
        let config = crate::config::from_toml(&format!(
            "{}{grades}",
            &SECTIONS[..SECTIONS.find("[[sections]]").unwrap_or(0)]
        ));
        assert_eq!(
            unaddressed_roles(&config),
            [
                "the supervision office ([supervision]) has no address, but escalation.recipients \
              sends it the escalation.grades[0] (红牌) mail as \"supervision\"; add \
              supervision.emails = [\"jijian@bureau.example\"] (the discipline inspection office's \
              addresses), or take \"supervision\" out of the list"
            ]
        );
        let addressed = crate::config::from_toml(&format!(
            "{}[supervision]\nemails = [\"jijian@bureau.example\"]\n{grades}",
            &SECTIONS[..SECTIONS.find("[[sections]]").unwrap_or(0)]
        ));
        assert!(unaddressed_roles(&addressed).is_empty());
    }

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
            "[escalation.recipients]\nreminder = []\ndue_today = []\noverdue = []\nnotice_missing = []\n\
             long_suspension = []\n",
        );
        assert!(unaddressed_roles(&config).is_empty());
    }
}
