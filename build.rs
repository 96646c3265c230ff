//! Rebuilds when a migration is added or changed: `sqlx::migrate!` embeds the migrations at
//! compile time, and cargo does not know to look at the folder otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
