//! What the CLI leaves behind besides its output: the log file.

mod cli_common;
use cli_common as common;

use common::Env;
use std::os::unix::fs::PermissionsExt;

#[test]
fn the_log_is_private_and_names_the_database() {
    let env = Env::new();
    env.create_code("LOGGED", &[]);
    let log = env.path().join("home/.local/share/refcodes/refcodes.log");
    let mode = std::fs::metadata(&log).expect("a log file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the log holds emails and codes");
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().find(|l| l.contains("created code") && l.contains("LOGGED")).expect("the create is logged");
    assert!(line.ends_with(&format!(" database={}", env.url())), "{line}");
}
