//! The `hub` example (`examples/hub.rs`) run as a program against loopback servers: an
//! `httpmock` server for the read-only commands (pagination, limits, errors, token hygiene) and
//! the Hub simulator for `upload`, `delete`, `download` and `snapshot`.
//!
//! `cargo test` builds the examples before it runs the tests; with a narrower selection
//! (`cargo test --test cli`) build the example first: `cargo build --example hub`.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hf_hub_sim::{DEFAULT_TOKEN, RepoType, SimConfig, Simulator};
use httpmock::prelude::*;
use serde_json::Value;

const WHOAMI: &str = include_str!("fixtures/whoami.json");
const SECRET: &str = "hf_secret_cli_token_0123456789";

/// How long one run of the program may take before the test gives up on it.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The example binary, next to this test's own (`target/<profile>/deps/cli-…`).
fn hub_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("hub{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "the `hub` example is not built at {}: run `cargo build --example hub` \
         (or a plain `cargo test`, which builds the examples) before these tests",
        bin.display()
    );
    // `cargo test --test cli` alone does not rebuild examples: refuse a binary older than its
    // source rather than test yesterday's program.
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/hub.rs");
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(src), Some(built)) = (modified(&source), modified(&bin)) {
        assert!(
            built >= src,
            "{} is older than examples/hub.rs: run `cargo build --example hub` first",
            bin.display()
        );
    }
    bin
}

/// What one run of the program did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The stdout lines, each parsed as JSON.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
            .collect()
    }

    /// Asserts a failure reported as exactly one `error: …` line on stderr; returns that line.
    fn failure_line(&self) -> &str {
        assert!(!self.success(), "expected a failure: {self:#?}");
        assert!(self.code.is_some(), "killed by a signal: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr is not one line: {:?}", self.stderr);
        assert!(lines[0].starts_with("error: "), "{:?}", lines[0]);
        lines[0]
    }
}

/// How the program authenticates.
enum Auth<'a> {
    /// No token at all (implicit discovery disabled).
    None,
    /// `HF_TOKEN`.
    Token(&'a str),
}

/// Runs `hub args…` against `endpoint` with a clean environment: no inherited variables, an
/// empty `HF_HOME`, so a developer's token file is never read.
fn hub(endpoint: &str, auth: Auth<'_>, args: &[&str]) -> Run {
    hub_with(endpoint, auth, args, &[])
}

/// [`hub`] with more variables set.
fn hub_with(endpoint: &str, auth: Auth<'_>, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(hub_binary());
    cmd.args(args)
        .env_clear()
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HOME", home.path())
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match auth {
        Auth::None => {
            cmd.env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1");
        }
        Auth::Token(t) => {
            cmd.env("HF_TOKEN", t);
        }
    }
    let mut child = cmd.spawn().expect("the hub example starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`hub {}` did not finish within {RUN_TIMEOUT:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: out_reader.join().unwrap().expect("stdout is UTF-8"),
        stderr: err_reader.join().unwrap().expect("stderr is UTF-8"),
    }
}

fn models(ids: &[&str]) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"_id":"0{id}","id":"{id}","likes":1,"downloads":7}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

/// Three pages of `me`'s models, two per page: a,b | c,d | e, linked by absolute `Link` URLs.
fn three_pages(server: &MockServer) -> [httpmock::Mock<'_>; 3] {
    let p1 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("author", "me")
            .query_param("limit", "2")
            .query_param_missing("cursor");
        then.status(200)
            .header("content-type", "application/json")
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/models?author=me&limit=2&cursor=p2")
                ),
            )
            .body(models(&["me/a", "me/b"]));
    });
    let p2 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "p2");
        then.status(200)
            .header("content-type", "application/json")
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/models?author=me&limit=2&cursor=p3")
                ),
            )
            .body(models(&["me/c", "me/d"]));
    });
    let p3 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "p3");
        then.status(200)
            .header("content-type", "application/json")
            .body(models(&["me/e"]));
    });
    [p1, p2, p3]
}

fn ids(run: &Run) -> Vec<String> {
    run.json_lines()
        .iter()
        .map(|v| v["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn list_models_follows_every_page_in_order() {
    let server = MockServer::start();
    let pages = three_pages(&server);
    let run = hub(
        &server.base_url(),
        Auth::None,
        &["list", "models", "--author", "me", "--page-size", "2"],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(ids(&run), ["me/a", "me/b", "me/c", "me/d", "me/e"]);
    assert_eq!(run.stdout.lines().count(), 5);
    // The items are printed as the generated `ModelInfo`.
    assert_eq!(run.json_lines()[0]["downloads"], 7);
    assert!(run.stderr.is_empty(), "{run:#?}");
    for page in &pages {
        page.assert_calls(1);
    }
}

#[test]
fn list_limit_never_fetches_an_unneeded_page() {
    let server = MockServer::start();
    let [p1, p2, p3] = three_pages(&server);
    let run = hub(
        &server.base_url(),
        Auth::None,
        &[
            "list",
            "models",
            "--author",
            "me",
            "--page-size",
            "2",
            "--limit",
            "3",
        ],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(ids(&run), ["me/a", "me/b", "me/c"]);
    p1.assert_calls(1);
    p2.assert_calls(1);
    p3.assert_calls(0);
}

#[test]
fn list_datasets_sends_the_query() {
    let server = MockServer::start();
    let page = server.mock(|when, then| {
        when.method(GET)
            .path("/api/datasets")
            .query_param("search", "squad")
            .query_param("filter", "task_categories:question-answering")
            .query_param("sort", "downloads");
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"[{"_id":"1","id":"rajpurkar/squad"}]"#);
    });
    let run = hub(
        &server.base_url(),
        Auth::None,
        &[
            "list",
            "datasets",
            "--search",
            "squad",
            "--filter",
            "task_categories:question-answering",
            "--sort",
            "downloads",
        ],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(ids(&run), ["rajpurkar/squad"]);
    page.assert_calls(1);
}

#[test]
fn invalid_repo_id_fails_before_any_request() {
    let server = MockServer::start();
    let anything = server.mock(|_when, then| {
        then.status(200).body("[]");
    });
    for bad in ["not-a-repo-id", "me/bad..name", "a/b/c"] {
        let run = hub(&server.base_url(), Auth::None, &["tree", bad]);
        let line = run.failure_line();
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(
            line.contains(bad),
            "the error does not name {bad:?}: {line}"
        );
        assert!(line.contains("repo id"), "{line}");
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
    // Also for the commands that write.
    let run = hub(
        &server.base_url(),
        Auth::None,
        &["delete", "nope", "file.txt"],
    );
    assert!(run.failure_line().contains("nope"));
    anything.assert_calls(0);
}

#[test]
fn usage_errors_are_one_line() {
    let server = MockServer::start();
    let anything = server.mock(|_when, then| {
        then.status(200).body("[]");
    });
    for (args, named) in [
        (&["list", "things"][..], "things"),
        (&["tree"][..], "<REPO>"),
        (&["list", "models", "--page-size", "0"][..], "--page-size"),
        (&["tree", "me/repo", "--type", "bucket"][..], "bucket"),
        (&["frobnicate"][..], "frobnicate"),
    ] {
        let run = hub(&server.base_url(), Auth::None, args);
        let line = run.failure_line();
        assert!(line.contains(named), "{args:?}: {line}");
        assert_eq!(run.code, Some(2), "{args:?}: {run:#?}");
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
    // Help is not an error.
    let run = hub(&server.base_url(), Auth::None, &["--help"]);
    assert!(run.success(), "{run:#?}");
    assert!(run.stdout.contains("upload"), "{run:#?}");
    anything.assert_calls(0);
}

#[test]
fn hub_error_is_one_line_and_never_shows_the_token() {
    let server = MockServer::start();
    let denied = server.mock(|when, then| {
        when.method(GET)
            .path_matches("^/api/models/me/private/tree/main/?$")
            .header("authorization", format!("Bearer {SECRET}"));
        then.status(401)
            .header("x-error-code", "RepoNotFound")
            .header("x-error-message", "Repository not found")
            .header("x-request-id", "req-123")
            .header("content-type", "application/json")
            .body(r#"{"error":"Repository not found"}"#);
    });
    let run = hub(
        &server.base_url(),
        Auth::Token(SECRET),
        &["tree", "me/private"],
    );
    let line = run.failure_line().to_owned();
    assert_eq!(run.code, Some(1));
    assert!(line.contains("401"), "{line}");
    assert!(line.contains("RepoNotFound"), "{line}");
    assert!(run.stdout.is_empty(), "{run:#?}");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(SECRET), "the token leaked: {text}");
        assert!(
            !text.contains("hf_secret"),
            "part of the token leaked: {text}"
        );
    }
    denied.assert_calls(1);
}

#[test]
fn whoami_prints_the_user() {
    let server = MockServer::start();
    let me = server.mock(|when, then| {
        when.method(GET)
            .path("/api/whoami-v2")
            .header("authorization", format!("Bearer {SECRET}"));
        then.status(200)
            .header("content-type", "application/json")
            .body(WHOAMI);
    });
    let run = hub(&server.base_url(), Auth::Token(SECRET), &["whoami"]);
    assert!(run.success(), "{run:#?}");
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{run:#?}");
    assert_eq!(lines[0]["name"], "me");
    assert_eq!(lines[0]["orgs"][0]["name"], "my-org");
    assert!(!run.stdout.contains(SECRET));
    me.assert_calls(1);
}

#[test]
fn whoami_without_a_token_fails_cleanly() {
    let server = MockServer::start();
    let me = server.mock(|when, then| {
        when.method(GET).path("/api/whoami-v2");
        then.status(401)
            .header("content-type", "application/json")
            .body(r#"{"error":"Invalid credentials in Authorization header"}"#);
    });
    let run = hub(&server.base_url(), Auth::None, &["whoami"]);
    let line = run.failure_line();
    assert!(line.contains("401"), "{line}");
    me.assert_calls(1);
}

/// The root of `me/repo`'s tree at `main` (with or without a trailing `/`).
const TREE_ROOT: &str = "^/api/models/me/repo/tree/main/?$";

const TREE: &str = r#"[
  {"type":"file","oid":"1111111111111111111111111111111111111111","size":12,"path":"README.md"},
  {"type":"directory","oid":"2222222222222222222222222222222222222222","size":0,"path":"sub"},
  {"type":"file","oid":"3333333333333333333333333333333333333333","size":4096,"path":"sub/w.bin",
   "lfs":{"oid":"4444444444444444444444444444444444444444444444444444444444444444","size":4096,"pointerSize":130}}
]"#;

#[test]
fn tree_recursive_sends_the_flag_and_prints_entries() {
    let server = MockServer::start();
    let flat = server.mock(|when, then| {
        when.method(GET)
            .path_matches(TREE_ROOT)
            .query_param_missing("recursive");
        then.status(200)
            .header("content-type", "application/json")
            .body("[]");
    });
    let recursive = server.mock(|when, then| {
        when.method(GET)
            .path_matches(TREE_ROOT)
            .query_param("recursive", "true");
        then.status(200)
            .header("content-type", "application/json")
            .body(TREE);
    });
    let run = hub(
        &server.base_url(),
        Auth::None,
        &["tree", "me/repo", "--recursive"],
    );
    assert!(run.success(), "{run:#?}");
    let lines = run.json_lines();
    let paths: Vec<&str> = lines.iter().map(|v| v["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["README.md", "sub", "sub/w.bin"]);
    assert_eq!(lines[1]["type"], "directory");
    assert_eq!(lines[2]["lfs"]["size"], 4096);
    recursive.assert_calls(1);
    flat.assert_calls(0);
}

#[test]
fn tree_answer_that_cannot_be_decoded_is_one_line() {
    let server = MockServer::start();
    let listing = server.mock(|when, then| {
        when.method(GET).path_matches(TREE_ROOT);
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"[{"type":"file","oid":"1111111111111111111111111111111111111111"}]"#);
    });
    let run = hub(&server.base_url(), Auth::None, &["tree", "me/repo"]);
    let line = run.failure_line();
    assert!(line.contains("path"), "{line}");
    assert!(run.stdout.is_empty(), "{run:#?}");
    listing.assert_calls(1);
}

#[test]
fn tree_of_a_dataset_folder_at_a_revision() {
    let server = MockServer::start();
    let listing = server.mock(|when, then| {
        when.method(GET)
            // Path parameters are encoded whole, `/` included, like the official client does.
            .path("/api/datasets/me/data/tree/refs%2Fpr%2F2/train%2Fpart%201");
        then.status(200)
            .header("content-type", "application/json")
            .body(
                r#"[{"type":"file","oid":"5555555555555555555555555555555555555555","size":3,"path":"train/part 1/x.csv"}]"#,
            );
    });
    let run = hub(
        &server.base_url(),
        Auth::None,
        &[
            "tree",
            "me/data",
            "--type",
            "dataset",
            "--rev",
            "refs/pr/2",
            "--path",
            "train/part 1/",
        ],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(run.json_lines()[0]["path"], "train/part 1/x.csv");
    listing.assert_calls(1);

    // A path that climbs out of the repository is refused before any request.
    let run = hub(
        &server.base_url(),
        Auth::None,
        &["tree", "me/data", "--type", "dataset", "--path", "../x"],
    );
    assert!(run.failure_line().contains("../x"));
    listing.assert_calls(1);
}

#[test]
fn commits_prints_the_history() {
    let server = MockServer::start();
    let history = server.mock(|when, then| {
        when.method(GET).path("/api/spaces/me/app/commits/dev");
        then.status(200)
            .header("content-type", "application/json")
            .body(
                r#"[{"id":"abc","title":"Second","message":"","date":"2025-01-02T00:00:00.000Z","authors":[{"user":"me"}]},
                    {"id":"def","title":"First","message":"hello","date":"2025-01-01T00:00:00.000Z","authors":[]}]"#,
            );
    });
    let run = hub(
        &server.base_url(),
        Auth::None,
        &["commits", "me/app", "--type", "space", "--rev", "dev"],
    );
    assert!(run.success(), "{run:#?}");
    let lines = run.json_lines();
    let titles: Vec<&str> = lines.iter().map(|v| v["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Second", "First"]);
    assert_eq!(lines[0]["authors"][0]["user"], "me");
    history.assert_calls(1);
}

#[test]
fn upload_and_delete_against_the_simulator() {
    let sim = Simulator::start(SimConfig::default().lfs_threshold(1024)).unwrap();
    sim.create_repo(RepoType::Model, "sim-user/cli", false)
        .unwrap();
    let endpoint = sim.endpoint().to_string();

    let dir = tempfile::tempdir().unwrap();
    let small = b"hello from the cli\n".to_vec();
    let big: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.path().join("small.txt"), &small).unwrap();
    std::fs::create_dir(dir.path().join("weights")).unwrap();
    std::fs::write(dir.path().join("weights").join("big.bin"), &big).unwrap();
    std::fs::write(dir.path().join("skip.tmp"), b"scratch").unwrap();
    let local = dir.path().to_str().unwrap();

    // A folder, with an exclude pattern.
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &[
            "upload",
            "sim-user/cli",
            local,
            "-m",
            "Add files",
            "--exclude",
            "*.tmp",
        ],
    );
    assert!(run.success(), "{run:#?}");
    let info = run.json_lines();
    assert_eq!(info.len(), 1, "{run:#?}");
    assert_eq!(info[0]["no_op"], false);
    let oid = info[0]["oid"].as_str().unwrap().to_owned();
    assert!(!oid.is_empty());
    assert_eq!(
        sim.head(RepoType::Model, "sim-user/cli", "main").as_deref(),
        Some(oid.as_str())
    );
    let files = sim.files(RepoType::Model, "sim-user/cli", "main").unwrap();
    let file = |p: &str| files.iter().find(|f| f.path == p);
    let s = file("small.txt").expect("small.txt uploaded");
    assert_eq!(&s.content[..], &small[..]);
    assert!(s.lfs.is_none(), "a small file is a regular file");
    let b = file("weights/big.bin").expect("weights/big.bin uploaded");
    assert_eq!(b.size, big.len() as u64);
    assert!(b.lfs.is_some(), "a large file goes through LFS");
    assert!(file("skip.tmp").is_none(), "excluded");
    assert_eq!(
        sim.commits(RepoType::Model, "sim-user/cli", "main")
            .unwrap()[0]
            .title,
        "Add files"
    );
    // LFS storage never saw the token.
    assert!(!sim.storage_requests().is_empty());
    assert!(
        sim.storage_requests()
            .iter()
            .all(|r| !r.has_authorization())
    );

    // The simulator lists what was uploaded: the root (no path), recursively, and a folder.
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["tree", "sim-user/cli", "--recursive"],
    );
    assert!(run.success(), "{run:#?}");
    let mut paths: Vec<String> = run
        .json_lines()
        .iter()
        .map(|v| v["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    assert!(
        paths.iter().any(|p| p == "small.txt") && paths.iter().any(|p| p == "weights/big.bin"),
        "{paths:?}"
    );
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["tree", "sim-user/cli", "--path", "weights"],
    );
    assert!(run.success(), "{run:#?}");
    let listed = run.json_lines();
    assert_eq!(listed.len(), 1, "{run:#?}");
    assert_eq!(listed[0]["path"], "weights/big.bin");
    assert_eq!(listed[0]["lfs"]["size"], big.len());
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["commits", "sim-user/cli"],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(run.json_lines()[0]["id"], oid.as_str());
    assert_eq!(run.json_lines()[0]["title"], "Add files");

    // The same folder again: nothing changes, nothing is committed.
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["upload", "sim-user/cli", local, "--exclude", "*.tmp"],
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(run.json_lines()[0]["no_op"], true);
    assert_eq!(
        sim.head(RepoType::Model, "sim-user/cli", "main").as_deref(),
        Some(oid.as_str())
    );

    // One file, to a path of its own, as a pull request.
    let one = dir.path().join("small.txt");
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &[
            "upload",
            "sim-user/cli",
            one.to_str().unwrap(),
            "docs/hello.txt",
            "--create-pr",
        ],
    );
    assert!(run.success(), "{run:#?}");
    let pr = &run.json_lines()[0];
    assert!(pr["pull_request_url"].is_string(), "{pr}");
    let pr_rev = pr["pull_request_revision"].as_str().unwrap().to_owned();
    assert!(pr_rev.starts_with("refs/pr/"), "{pr_rev}");
    let on_pr = sim.files(RepoType::Model, "sim-user/cli", &pr_rev).unwrap();
    assert!(on_pr.iter().any(|f| f.path == "docs/hello.txt"));
    let on_main = sim.files(RepoType::Model, "sim-user/cli", "main").unwrap();
    assert!(on_main.iter().all(|f| f.path != "docs/hello.txt"));

    // Delete a file and a folder.
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &[
            "delete",
            "sim-user/cli",
            "small.txt",
            "weights/",
            "-m",
            "Clean up",
        ],
    );
    assert!(run.success(), "{run:#?}");
    let deleted = run.json_lines();
    assert_ne!(deleted[0]["oid"].as_str().unwrap(), oid);
    let files = sim.files(RepoType::Model, "sim-user/cli", "main").unwrap();
    assert!(
        files
            .iter()
            .all(|f| f.path != "small.txt" && !f.path.starts_with("weights/")),
        "{:?}",
        files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert_eq!(
        sim.commits(RepoType::Model, "sim-user/cli", "main")
            .unwrap()[0]
            .title,
        "Clean up"
    );
    assert!(!run.stdout.contains(DEFAULT_TOKEN) && !run.stderr.contains(DEFAULT_TOKEN));
}

#[test]
fn upload_failures_are_one_line() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let endpoint = sim.endpoint().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"a").unwrap();

    // A local path that does not exist: nothing is sent.
    let missing = dir.path().join("missing");
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["upload", "sim-user/cli", missing.to_str().unwrap()],
    );
    assert!(run.failure_line().contains("missing"));

    // A repository that does not exist: the Hub's refusal, on one line, without the token.
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["upload", "sim-user/absent", file.to_str().unwrap()],
    );
    let line = run.failure_line();
    assert!(line.contains("404") || line.contains("401"), "{line}");
    assert!(!run.stderr.contains(DEFAULT_TOKEN));

    // An invalid path in the repository: refused before any request.
    sim.reset_requests();
    let run = hub(
        &endpoint,
        Auth::Token(DEFAULT_TOKEN),
        &["delete", "sim-user/cli", "../etc/passwd"],
    );
    assert!(run.failure_line().contains("../etc/passwd"));
    assert!(
        sim.request_counts().is_empty(),
        "{:?}",
        sim.request_counts()
    );
}

#[test]
fn download_and_snapshot_print_local_paths_and_work_offline() {
    let sim = Simulator::start(SimConfig::default().lfs_threshold(1024)).unwrap();
    sim.create_repo(RepoType::Model, "sim-user/cli", false)
        .unwrap();
    let big: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 251) as u8).collect();
    let commit = sim
        .commit_files(
            RepoType::Model,
            "sim-user/cli",
            "main",
            "files",
            &[("a.json", b"{}"), ("w/big.bin", &big)],
        )
        .unwrap();
    let endpoint = sim.endpoint().to_string();
    let cache = tempfile::tempdir().unwrap();
    let cache_var = [("HF_HUB_CACHE", cache.path().to_str().unwrap())];
    let auth = || Auth::Token(DEFAULT_TOKEN);

    let run = hub_with(
        &endpoint,
        auth(),
        &["download", "sim-user/cli", "w/big.bin"],
        &cache_var,
    );
    assert!(run.success(), "{run:#?}");
    let printed = PathBuf::from(run.stdout.trim_end());
    let snapshot = cache
        .path()
        .join("models--sim-user--cli/snapshots")
        .join(&commit);
    assert_eq!(printed, snapshot.join("w/big.bin"));
    assert_eq!(std::fs::read(&printed).unwrap(), big);

    let local = tempfile::tempdir().unwrap();
    let args = [
        "snapshot",
        "sim-user/cli",
        "--revision",
        "main",
        "--include",
        "*.json",
        "--local-dir",
        local.path().to_str().unwrap(),
    ];
    let run = hub_with(&endpoint, auth(), &args, &cache_var);
    assert!(run.success(), "{run:#?}");
    assert_eq!(PathBuf::from(run.stdout.trim_end()), local.path());
    assert_eq!(std::fs::read(local.path().join("a.json")).unwrap(), b"{}");
    assert!(!local.path().join("w/big.bin").exists());

    // Offline: the cached file answers, a missing one is a one-line error.
    let offline = [cache_var[0], ("HF_HUB_OFFLINE", "1")];
    let run = hub_with(
        &endpoint,
        auth(),
        &["download", "sim-user/cli", "w/big.bin"],
        &offline,
    );
    assert!(run.success(), "{run:#?}");
    assert_eq!(PathBuf::from(run.stdout.trim_end()), printed);
    let run = hub_with(
        &endpoint,
        auth(),
        &["download", "sim-user/cli", "a.json"],
        &offline,
    );
    assert!(run.failure_line().contains("a.json"), "{run:#?}");
    let run = hub_with(&endpoint, auth(), &["snapshot", "sim-user/cli"], &cache_var);
    assert!(run.success(), "{run:#?}");
    assert_eq!(PathBuf::from(run.stdout.trim_end()), snapshot);

    // Bad input: a one-line error naming the value, nothing sent.
    let before = sim.hub_requests().len();
    let run = hub_with(
        &endpoint,
        auth(),
        &["download", "sim-user/cli", "../x"],
        &cache_var,
    );
    assert!(run.failure_line().contains("../x"), "{run:#?}");
    let run = hub_with(
        &endpoint,
        auth(),
        &["snapshot", "sim-user/cli", "--include", "["],
        &cache_var,
    );
    assert!(run.failure_line().contains('['), "{run:#?}");
    assert_eq!(sim.hub_requests().len(), before);
    let run = hub_with(
        &endpoint,
        auth(),
        &["download", "sim-user/cli", "nope.txt"],
        &cache_var,
    );
    assert!(
        run.failure_line().contains("nope.txt") || run.failure_line().contains("404"),
        "{run:#?}"
    );
}
