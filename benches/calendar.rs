//! Due-date queries on the real shipped calendar (2019–2026 plus provisional 2027).
//!
//! `cargo bench --bench calendar`; criterion reports throughput in queries per second
//! (elements/s). Each iteration answers a batch of 4,096 queries with starts spread over
//! 2019–2026 and periods of 1–30 working days, the shape of real deadlines.

use std::hint::black_box;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use duewatch::calendar::{Calendar, LocalOverlay, shipped};

const BATCH: usize = 4096;

fn queries() -> Vec<(NaiveDate, u32)> {
    let first = NaiveDate::from_ymd_opt(2019, 1, 1).expect("a date");
    // A small xorshift: the same spread of queries on every run, no extra dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..BATCH)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (first + Days::new(x % 2922), (x >> 32) as u32 % 30 + 1)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cal = Calendar::new(shipped::years().expect("shipped"), LocalOverlay::default())
        .expect("shipped calendars agree");
    let queries = queries();
    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("add_working_days", |b| {
        b.iter(|| {
            let mut provisional = 0u32;
            for &(start, n) in black_box(&queries) {
                if let Ok(due) = cal.add_working_days(start, n) {
                    provisional += u32::from(black_box(due).is_provisional());
                }
            }
            provisional
        })
    });
    group.bench_function("working_days_between", |b| {
        b.iter(|| {
            let mut total = 0u32;
            for &(start, n) in black_box(&queries) {
                let end = start + Days::new(u64::from(n) * 2);
                if let Ok(count) = cal.working_days_between(start, end) {
                    total += count.into_parts().0;
                }
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
