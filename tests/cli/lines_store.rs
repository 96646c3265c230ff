//! Recording a batch's lines (`Store::record_lines`) on both backends, called as the reconcile
//! calls it: each line that is in no mail comes back by its place in the batch, with the id of
//! the row that holds its key, whether the batch's keys are all new (recorded by one plain
//! insert, the ids read off it), or some are recorded already, mailed or not, or listed twice
//! (recorded key by key against what is there).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use duewatch::domain::escalation::{Item, sample_items};
use duewatch::mail::render::Rendered;
use duewatch::store::Store;

use crate::accounts_store::on_store;
use crate::helpers::{Backend, Setup};

/// A line of case `reference` for `recipient`: a reminder of its reply, due 2026-12-`day`.
fn line(reference: &str, recipient: &str, day: u32) -> Item {
    let mut item = sample_items().swap_remove(2);
    item.reference = reference.to_owned();
    item.stage = "reply".to_owned();
    item.level_key = Arc::from("reminder");
    item.deadline = NaiveDate::from_ymd_opt(2026, 12, day).expect("a date");
    item.recipient = Arc::from(recipient);
    item
}

/// A line's key as the table holds it.
fn key(item: &Item) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        item.reference, item.stage, item.level_key, item.deadline, item.recipient
    )
}

const A: &str = "a@bureau.example";
const B: &str = "b@bureau.example";

/// Records `batch` (lines by recipient); returns, by recipient, the ids that came back by the
/// index of their line.
fn record(s: &Setup, batch: &[(&str, Vec<Item>)]) -> Vec<BTreeMap<usize, i64>> {
    on_store(s, async |store: &Store| {
        let by_recipient: Vec<(&str, Vec<&Item>)> = batch
            .iter()
            .map(|(recipient, items)| (*recipient, items.iter().collect()))
            .collect();
        let unmailed = store.record_lines(&by_recipient).await.expect("recorded");
        unmailed
            .into_iter()
            .map(|lines| {
                let mut by_index = BTreeMap::new();
                for (id, index) in lines {
                    assert!(
                        by_index.insert(index, id).is_none(),
                        "line {index} came back twice"
                    );
                }
                by_index
            })
            .collect()
    })
}

/// The key each row holds, by id.
fn rows(s: &Setup) -> BTreeMap<i64, String> {
    s.column(
        "SELECT CAST(id AS TEXT) || ' ' || case_reference || '|' || stage || '|' || level || '|' \
         || CAST(deadline AS TEXT) || '|' || recipient FROM notifications",
    )
    .into_iter()
    .map(|row| {
        let row = row.expect("a row");
        let (id, key) = row.split_once(' ').expect("id and key");
        (id.parse().expect("an id"), key.to_owned())
    })
    .collect()
}

/// Checks that each id that came back is the row of its line's key.
fn each_id_holds_its_line(
    rows: &BTreeMap<i64, String>,
    batch: &[(&str, Vec<Item>)],
    back: &[BTreeMap<usize, i64>],
) {
    for ((recipient, items), back) in batch.iter().zip(back) {
        for (index, id) in back {
            assert_eq!(
                rows.get(id),
                Some(&key(&items[*index])),
                "{recipient}'s line {index} came back as row {id}"
            );
        }
    }
}

on_both_backends! {
    each_line_in_no_mail_comes_back_by_its_place_with_its_row => |backend| {
        let s = Setup::with_store(backend);

        // A batch of new keys only (the first poll after many cases fall due at once).
        let first: Vec<(&str, Vec<Item>)> = vec![
            (A, (0..700).map(|n| line(&format!("2026-{n:04}"), A, 10)).collect()),
            (B, (0..300).map(|n| line(&format!("2026-{n:04}"), B, 10)).collect()),
        ];
        let back = record(&s, &first);
        assert_eq!(back[0].len(), 700, "every new line of A comes back");
        assert_eq!(back[1].len(), 300, "every new line of B comes back");
        let recorded = rows(&s);
        assert_eq!(recorded.len(), 1000);
        each_id_holds_its_line(&recorded, &first, &back);

        // A's first 100 lines are mailed; the rest of the first batch stays in no mail (as a
        // pass that died before its digests leaves it).
        let mailed: Vec<i64> = (0..100).map(|n| back[0][&n]).collect();
        let made = on_store(&s, async |store: &Store| {
            store
                .mail_lines(A, &mailed, None, "duewatch@bureau.example", |still: &HashSet<i64>, _| {
                    assert_eq!(still.len(), 100, "all 100 were in no mail");
                    Ok(Rendered {
                        subject: "digest".to_owned(),
                        text: "lines".to_owned(),
                        html: None,
                        attachments: Vec::new(),
                    })
                })
                .await
                .expect("mailed")
        });
        assert!(made.is_some(), "a mail was made");

        // Keys recorded already, mailed (A 0..100) or not (A 100..200, B 0..50), among new
        // ones (A 700..750), and one new key listed twice.
        let mut again: Vec<Item> = (0..200).map(|n| line(&format!("2026-{n:04}"), A, 10)).collect();
        again.extend((700..750).map(|n| line(&format!("2026-{n:04}"), A, 10)));
        again.push(line("2026-0700", A, 10));
        let second: Vec<(&str, Vec<Item>)> = vec![
            (A, again),
            (B, (0..50).map(|n| line(&format!("2026-{n:04}"), B, 10)).collect()),
        ];
        let back_again = record(&s, &second);
        let a: HashSet<usize> = back_again[0].keys().copied().collect();
        let expected: HashSet<usize> = (100..200).chain(201..251).collect();
        assert_eq!(a, expected, "A: the unmailed and the new lines, the twice-listed key once (its last listing)");
        assert_eq!(back_again[1].len(), 50, "B's unmailed lines");
        for n in 100..200 {
            assert_eq!(back_again[0][&n], back[0][&n], "a line recorded before keeps its row");
        }
        let recorded = rows(&s);
        assert_eq!(recorded.len(), 1050, "each key one row: only the 50 new keys were added");
        each_id_holds_its_line(&recorded, &second, &back_again);

        // New keys only again, after a batch that was not: read off their insert as at first.
        let third: Vec<(&str, Vec<Item>)> =
            vec![(B, (0..40).map(|n| line(&format!("2026-{n:04}"), B, 11)).collect())];
        let back_third = record(&s, &third);
        assert_eq!(back_third[0].len(), 40);
        let recorded = rows(&s);
        assert_eq!(recorded.len(), 1090);
        each_id_holds_its_line(&recorded, &third, &back_third);
    };
}
