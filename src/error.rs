//! How an error reads to an operator: its chain of causes, each said once.
//!
//! `{:#}` on an `anyhow::Error` joins every cause with ": ". sqlx's database errors say their
//! cause in their own text and return it again as their source, so every database failure read
//! twice ("…: (code: 8) attempt to write a readonly database: (code: 8) attempt to write a
//! readonly database"). [`chain`] leaves out a cause the text before it already says.

/// The error and its causes, joined by ": ", each cause left out that the one before it
/// already contains.
pub(crate) fn chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let said = cause.to_string();
        if !previous.is_empty() && previous.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
        previous = said;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[test]
    fn a_database_error_says_its_cause_once() {
        let e = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(async {
                use sqlx::Connection as _;
                let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
                    .await
                    .expect("an in-memory database");
                sqlx::query("SELECT * FROM nowhere")
                    .execute(&mut conn)
                    .await
                    .expect_err("no such table")
            });
        let e = anyhow::Error::from(e).context("reading the cases");
        assert_eq!(format!("{e:#}").matches("no such table").count(), 2);
        assert_eq!(
            chain(&e),
            "reading the cases: error returned from database: (code: 1) no such table: nowhere"
        );
    }

    #[test]
    fn distinct_causes_are_all_said() {
        let e = anyhow::Error::from(std::io::Error::other("disk is full"))
            .context("writing the outbox");
        assert_eq!(chain(&e), "writing the outbox: disk is full");
    }
}
