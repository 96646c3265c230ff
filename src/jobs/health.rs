//! Is duewatch doing its job? The verdict `duewatch health` and `/healthz` give: the last
//! successful poll must be recent (by default within three poll intervals), no dead letter may
//! be waiting, and the latest poll must have watched every open case (none unreadable or
//! impossible to count). Both read the database, so they tell the truth about the daemon (or daemons)
//! whatever process asks.

use std::time::Duration;

use crate::config::Config;
use crate::store::Health;

/// The time between two polls as `schedule.poll` sets it (the shortest gap over the next few
/// ticks; 5 minutes if the expression cannot be read).
pub fn poll_interval(config: &Config) -> Duration {
    let fallback = Duration::from_secs(300);
    let Some(cron) = config.schedule.cron(crate::config::Job::Poll) else {
        return fallback;
    };
    let now = chrono::Utc::now().with_timezone(&config.timezone.tz());
    let ticks = cron.ticks_after(now, 6);
    ticks
        .windows(2)
        .filter_map(|w| (w[1] - w[0]).to_std().ok())
        .min()
        .unwrap_or(fallback)
}

/// What is wrong, if anything: an empty list is healthy.
pub fn problems(health: &Health, max_age: Duration) -> Vec<String> {
    let mut problems = Vec::new();
    match health.last_ok_poll_age_secs {
        None => problems.push(
            "no poll has succeeded yet: is `duewatch run` running? (`systemctl status duewatch`, \
             `journalctl -u duewatch`)"
                .to_owned(),
        ),
        Some(age) if age > max_age.as_secs_f64() => problems.push(format!(
            "the last successful poll was {age:.0} s ago, more than {} s{}; check that \
             `duewatch run` is running and its log (`journalctl -u duewatch`)",
            max_age.as_secs(),
            health
                .last_error
                .as_deref()
                .map(|e| format!("; the latest failure: {e}"))
                .unwrap_or_default()
        )),
        Some(_) => {}
    }
    if health.bad_cases > 0 {
        problems.push(format!(
            "{} open case(s) could not be read or evaluated at the last poll, so they are not \
             watched: `duewatch status` names them (mail.admins is told once per problem); \
             correct their dates or rows",
            health.bad_cases
        ));
    }
    if health.dead_letters > 0 {
        problems.push(format!(
            "{} dead letter(s) waiting: `duewatch outbox list --failed`",
            health.dead_letters
        ));
    }
    problems
}
