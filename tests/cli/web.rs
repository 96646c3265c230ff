//! The console's pages over real HTTP, on both backends: `/` and `/cases` (the snapshot's
//! figures against `status --json`), the error pages.

use crate::console::Console;
use crate::helpers::{Backend, Setup, clock_today};

on_both_backends! {
    the_overview_answers_with_the_matrix => |backend| {
        let s = Setup::with_store(backend);
        let today = clock_today().to_string();
        s.duewatch_on_the_clock(&["case", "add", "--ref", "T-1", "--received", &today])
            .assert()
            .success();
        let console = Console::start(&s);
        let page = console.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
        assert!(page.body.contains(r#"id="matrix""#), "{}", page.body);
        let list = console.get("/cases?party=office");
        assert!(list.body.contains(r#"data-reference="T-1""#), "{}", list.body);
        let bad = console.get("/cases?page=0");
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("page"), "{}", bad.body);
    };
}
