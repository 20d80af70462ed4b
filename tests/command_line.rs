//! What `verdict-cli`'s entry gives before any command runs, through the binary: help and the
//! version on stdout with exit 0, a usage error on stderr with exit 2, as clap's own `exit`
//! gave them when the binary parsed its arguments itself. The Python console script runs the
//! same entry; its pytest suite compares the two.

use crate::harness::verdict;

#[test]
fn the_version_is_the_workspaces_on_stdout() {
    for flag in ["--version", "-V"] {
        let run = verdict(&[flag]);
        run.assert_code(0);
        assert_eq!(
            run.stdout,
            format!("verdict {}\n", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn help_opens_with_the_root_packages_description() {
    // The command's `about` is written out in verdict-cli; it must stay the root package's.
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let run = verdict(args);
        run.assert_code(0);
        assert!(
            run.stdout.starts_with(&format!(
                "{}\n\nUsage: verdict",
                env!("CARGO_PKG_DESCRIPTION")
            )),
            "{}",
            run.stdout
        );
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn a_usage_error_is_on_stderr_with_exit_2() {
    for args in [
        &["frobnicate"][..],
        &[],
        &["score", "--no-such-flag"],
        &["score", "--bootstrap", "many"],
    ] {
        let run = verdict(args);
        run.assert_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
        // clap's message, or with no command at all the help that lists them.
        assert!(
            run.stderr.starts_with("error: ") || run.stderr.contains("Usage: verdict <COMMAND>"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
