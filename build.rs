//! Rebuilds when a migration is added or changed (`sqlx::migrate!` embeds the migrations at
//! compile time, and cargo does not know to look at the folder otherwise), and names the commit
//! the binary is built from for `duewatch --version` (`DUEWATCH_COMMIT`).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=DUEWATCH_COMMIT");
    // A build from a tarball has no .git: the commit may be given (DUEWATCH_COMMIT=abc1234),
    // else it is "unknown". Never a failed build for want of git.
    let commit = std::env::var("DUEWATCH_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=DUEWATCH_COMMIT={}", commit.trim());
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it names (a commit). In a
    // worktree .git is a file, so git says where they are. A path that does not exist is not
    // named: cargo would run this script on every build.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", branch.trim()]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        let path = PathBuf::from(path.trim());
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// What `git ARGS` prints, if git is there and succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()
        .filter(|s| !s.trim().is_empty())
}
