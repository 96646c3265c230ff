//! The case page's own conversions.

use super::{actor_name, local_time};

#[test]
fn a_history_time_is_shown_in_local_time_to_the_minute_from_either_backend() {
    let tz = chrono_tz::Asia::Shanghai;
    for (name, stored, shown) in [
        (
            "SQLite's RFC 3339",
            "2026-11-03T08:12:34.567Z",
            "2026-11-03 16:12",
        ),
        (
            "PostgreSQL's text",
            "2026-11-03 08:12:34.567891+00",
            "2026-11-03 16:12",
        ),
        (
            "PostgreSQL without a fraction",
            "2026-11-03 20:00:00+00",
            "2026-11-04 04:00",
        ),
        (
            "another offset",
            "2026-11-03 16:12:00+08:00",
            "2026-11-03 16:12",
        ),
        ("a case system's own text", "yesterday", "yesterday"),
    ] {
        assert_eq!(local_time(stored, tz), shown, "{name}");
    }
}

#[test]
fn the_command_line_is_named_as_such_and_a_console_user_by_name() {
    assert_eq!(actor_name("cli:wang"), "命令行（wang）");
    assert_eq!(actor_name("cli:1000"), "命令行（1000）");
    assert_eq!(actor_name("李科长"), "李科长");
    assert_eq!(actor_name("client:x"), "client:x");
}
