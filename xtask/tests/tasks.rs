//! The xtask binary's own command line: an unknown task or option is named, with what exists.

use std::process::Command;

fn xtask(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn an_unknown_task_is_named_with_the_list_of_tasks() {
    let (code, err) = xtask(&["frob"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("unknown task `frob` (tasks: reproduce, new, bench, ci)"),
        "{err}"
    );
    let (code, err) = xtask(&[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no task given (tasks: reproduce, new, bench, ci)"),
        "{err}"
    );
}

#[test]
fn unknown_options_and_experiments_are_named() {
    let (code, err) = xtask(&["reproduce", "--chek"]);
    assert_ne!(code, 0);
    assert!(err.contains("`reproduce` has no option `--chek`"), "{err}");
    let (code, err) = xtask(&["reproduce", "no-such-experiment"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no experiment `no-such-experiment` (there are: "),
        "{err}"
    );
    let (code, err) = xtask(&["bench", "--slow"]);
    assert_ne!(code, 0);
    assert!(err.contains("`bench` takes only --quick"), "{err}");
}
