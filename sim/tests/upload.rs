//! Repositories, preupload, LFS and the ndjson commit.

mod common;

use common::*;
use hf_hub_sim::{RepoType, SimConfig, routes};
use serde_json::{Value, json};

fn cfg() -> SimConfig {
    SimConfig::default()
        .lfs_threshold(1024)
        .multipart_threshold(2048)
        .multipart_chunk_size(1000)
}

#[tokio::test]
async fn create_repo_whoami_and_auth() {
    let sim = start(cfg());
    let c = client();
    let created = create_repo(&sim, &c, "first").await;
    assert_eq!(created["name"], "sim-user/first");
    assert_eq!(
        created["url"].as_str(),
        Some(url(&sim, "sim-user/first").as_str())
    );
    assert_eq!(created["id"].as_str().map(str::len), Some(24));

    // Again: 409.
    let r = c
        .post(url(&sim, "api/repos/create"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "first"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.headers().contains_key("x-request-id"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "You already created this model repo");

    // No token: 401; foreign namespace: 403; organization: fine.
    let r = c
        .post(url(&sim, "api/repos/create"))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(url(&sim, "api/repos/create"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "x", "organization": "someone-else"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(url(&sim, "api/repos/create"))
        .bearer_auth(TOKEN)
        .json(
            &json!({"name": "data", "organization": "sim-org", "type": "dataset", "private": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(sim.repo_exists(RepoType::Dataset, "sim-org/data"));
    // A bad name: 400.
    let r = c
        .post(url(&sim, "api/repos/create"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "bad--name"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // whoami.
    let r = c
        .get(url(&sim, "api/whoami-v2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["type"], "user");
    assert_eq!(me["name"], "sim-user");
    assert_eq!(me["orgs"][0]["name"], "sim-org");
    let r = c.get(url(&sim, "api/whoami-v2")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // An unknown token is refused even on public reads.
    let r = c
        .get(url(&sim, "api/models/sim-user/first"))
        .bearer_auth("hf_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Private dataset: anonymous 401 RepoNotFound; missing repo with token: 404.
    let r = c
        .get(url(&sim, "api/datasets/sim-org/data"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    let r = c
        .get(url(&sim, "api/datasets/sim-org/data"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(url(&sim, "api/models/sim-user/missing"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    assert!(r.headers().contains_key("x-error-message"));

    // Delete.
    let r = c
        .delete(url(&sim, "api/repos/delete"))
        .bearer_auth(TOKEN)
        .json(&json!({"type": "dataset", "name": "data", "organization": "sim-org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!sim.repo_exists(RepoType::Dataset, "sim-org/data"));
    assert_eq!(sim.requests(routes::CREATE_REPO), 6);
}

#[tokio::test]
async fn preupload_modes_oids_and_limits() {
    let sim = start(cfg());
    let c = client();
    create_repo(&sim, &c, "pre").await;
    let small = b"hello\n";
    let big = vec![7u8; 4096];
    sim.commit_files(
        RepoType::Model,
        "sim-user/pre",
        "main",
        "seed",
        &[("a.txt", small), ("w.bin", &big)],
    )
    .unwrap();
    let files = json!({"files": [
        {"path": "a.txt", "size": 6, "sample": b64(small)},
        {"path": "w.bin", "size": 4096, "sample": b64(&big[..512])},
        {"path": "new.bin", "size": 1024, "sample": ""},
        {"path": "empty", "size": 0, "sample": ""},
    ]});
    let r = c
        .post(url(&sim, "api/models/sim-user/pre/preupload/main"))
        .bearer_auth(TOKEN)
        .json(&files)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let f = &v["files"];
    assert_eq!(f[0]["uploadMode"], "regular");
    assert_eq!(f[0]["oid"], "ce013625030ba8dba906f756967f9e9ca394464a");
    assert_eq!(f[1]["uploadMode"], "lfs");
    assert_eq!(f[1]["oid"], sha256(&big));
    assert_eq!(f[2]["uploadMode"], "lfs");
    assert_eq!(f[2]["oid"], Value::Null);
    assert_eq!(f[3]["uploadMode"], "regular");
    assert_eq!(f[0]["shouldIgnore"], false);
    assert_eq!(
        v["commitOid"].as_str(),
        sim.head(RepoType::Model, "sim-user/pre", "main").as_deref()
    );

    // 257 files: 413. No token: 401. Missing revision: 404 RevisionNotFound.
    let many: Vec<Value> = (0..257)
        .map(|i| json!({"path": format!("f{i}"), "size": 1, "sample": ""}))
        .collect();
    let r = c
        .post(url(&sim, "api/models/sim-user/pre/preupload/main"))
        .bearer_auth(TOKEN)
        .json(&json!({"files": many}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = c
        .post(url(&sim, "api/models/sim-user/pre/preupload/main"))
        .json(&files)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(url(
            &sim,
            "api/models/sim-user/pre/preupload/nope?create_pr=1",
        ))
        .bearer_auth(TOKEN)
        .json(&files)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RevisionNotFound");
    assert_eq!(sim.requests(routes::PREUPLOAD), 4);
}

#[tokio::test]
async fn lfs_basic_and_multipart_uploads_then_commit_all_line_kinds() {
    let sim = start(cfg());
    let c = client();
    create_repo(&sim, &c, "up").await;
    let basic: Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
    let multi: Vec<u8> = (0..2500u32).map(|i| (i % 241) as u8).collect();
    lfs_upload(&sim, &c, "sim-user/up", &[&basic, &multi]).await;
    assert_eq!(sim.lfs_object(&sha256(&basic)).as_deref(), Some(&basic[..]));
    assert_eq!(sim.lfs_object(&sha256(&multi)).as_deref(), Some(&multi[..]));
    assert_eq!(sim.requests(routes::LFS_BATCH), 1);
    assert_eq!(sim.requests(routes::STORAGE_PUT), 1);
    assert_eq!(sim.requests(routes::STORAGE_PART), 3);
    assert_eq!(sim.requests(routes::STORAGE_COMPLETE), 1);
    assert_eq!(sim.requests(routes::LFS_VERIFY), 2);
    let storage = sim.storage_requests();
    assert_eq!(storage.len(), 5);
    assert!(
        storage.iter().all(|r| !r.has_authorization()),
        "{storage:?}"
    );

    // A second batch: both already stored, no actions.
    let r = c
        .post(url(&sim, "sim-user/up.git/info/lfs/objects/batch"))
        .bearer_auth(TOKEN)
        .json(&json!({"operation":"upload","transfers":["basic"],"objects":[{"oid":sha256(&basic),"size":basic.len()}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/vnd.git-lfs+json");
    let v: Value = r.json().await.unwrap();
    assert!(v["objects"][0].get("actions").is_none());

    // First commit: files in folders, two LFS files.
    let body = ndjson(&[
        header("first", None),
        file_line("README.md", b"# up\n"),
        file_line("docs/a.txt", b"a"),
        file_line("docs/b.txt", b"b"),
        file_line("keep/c.txt", b"c"),
        lfs_line("weights/basic.bin", &basic),
        lfs_line("multi.bin", &multi),
    ]);
    let r = commit(&sim, &c, "sim-user/up", "main", body).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], true);
    let first = v["commitOid"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 40);
    assert!(
        v["commitUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("sim-user/up/commit/{first}"))
    );
    assert!(v.get("pullRequestUrl").is_none());

    // Second: deletedFile, deletedFolder, moves of a regular and an LFS file.
    let body = ndjson(&[
        header("second", Some(&first)),
        json!({"key":"deletedFile","value":{"path":"README.md"}}),
        json!({"key":"deletedFolder","value":{"path":"docs/"}}),
        json!({"key":"file","value":{"content":b64(b"c2"),"path":"moved/c.txt","encoding":"base64","oldPath":"keep/c.txt"}}),
        json!({"key":"lfsFile","value":{"path":"weights/renamed.bin","algo":"sha256","oid":sha256(&basic),"size":basic.len(),"oldPath":"weights/basic.bin"}}),
    ]);
    let r = commit(&sim, &c, "sim-user/up", "main", body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let files = sim.files(RepoType::Model, "sim-user/up", "main").unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".gitattributes",
            "moved/c.txt",
            "multi.bin",
            "weights/renamed.bin"
        ]
    );
    let renamed = sim
        .file(
            RepoType::Model,
            "sim-user/up",
            "main",
            "weights/renamed.bin",
        )
        .unwrap();
    assert_eq!(renamed.lfs.as_ref().unwrap().oid, sha256(&basic));
    assert_eq!(renamed.content, basic);
    assert_eq!(
        sim.file(RepoType::Model, "sim-user/up", "main", "moved/c.txt")
            .unwrap()
            .content,
        "c2"
    );
    let commits = sim.commits(RepoType::Model, "sim-user/up", "main").unwrap();
    assert_eq!(commits.len(), 3);
    assert_eq!(commits[0].title, "second");
    assert_eq!(commits[0].parent.as_deref(), Some(first.as_str()));
    assert_eq!(commits[0].author, "sim-user");

    // The old revision still has the old files; resolve serves both kinds.
    let r = c
        .get(url(
            &sim,
            &format!("sim-user/up/resolve/{first}/docs/a.txt"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), "a");
    // An LFS file: a redirect to the storage origin carrying the metadata, then the bytes.
    let no_redirect = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .head(url(&sim, "sim-user/up/resolve/main/multi.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["x-linked-etag"].to_str().unwrap(),
        format!("\"{}\"", sha256(&multi))
    );
    assert_eq!(
        r.headers()["x-linked-size"],
        multi.len().to_string().as_str()
    );
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(sim.storage_endpoint().as_str()),
        "{location}"
    );
    let r = c
        .get(url(&sim, "sim-user/up/resolve/main/multi.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap(), multi);
    // A range of it.
    let r = c
        .get(&location)
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), multi[10..]);
    let r = c
        .get(url(&sim, "sim-user/up/resolve/main/docs/a.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "EntryNotFound");

    // Info with blobs.
    let r = c
        .get(url(&sim, "api/models/sim-user/up?blobs=true"))
        .send()
        .await
        .unwrap();
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["id"], "sim-user/up");
    assert_eq!(
        info["sha"].as_str(),
        sim.head(RepoType::Model, "sim-user/up", "main").as_deref()
    );
    let sib = info["siblings"].as_array().unwrap();
    assert_eq!(sib.len(), 4);
    assert_eq!(sib[2]["lfs"]["sha256"], sha256(&multi));
    assert_eq!(sib[2]["size"], 2500);
    let r = c
        .get(url(
            &sim,
            &format!("api/models/sim-user/up/revision/{first}"),
        ))
        .send()
        .await
        .unwrap();
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["sha"], first.as_str());
    assert_eq!(info["siblings"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn storage_refuses_bad_uploads() {
    let sim = start(cfg());
    let c = client();
    create_repo(&sim, &c, "bad").await;
    let data = vec![1u8; 3000];
    let oid = sha256(&data);
    // Unannounced upload: 403.
    let r = c
        .put(format!("{}upload/{oid}", sim.storage_endpoint()))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Announce as basic, then send wrong bytes of the right size: sha mismatch.
    let r = c
        .post(url(&sim, "sim-user/bad.git/info/lfs/objects/batch"))
        .bearer_auth(TOKEN)
        .json(&json!({"operation":"upload","transfers":["basic"],"objects":[{"oid":oid,"size":3000},{"oid":"nothex","size":1}]}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["transfer"], "basic");
    assert!(v["objects"][1]["error"]["code"].is_number());
    let href = v["objects"][0]["actions"]["upload"]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(href.starts_with(sim.storage_endpoint().as_str()));
    let r = c.put(&href).body(vec![2u8; 3000]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Verify before the upload: 404; batch without token: 401.
    let r = c
        .post(url(&sim, "sim-user/bad.git/info/lfs/objects/verify"))
        .bearer_auth(TOKEN)
        .json(&json!({"oid": oid, "size": 3000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .post(url(&sim, "sim-user/bad.git/info/lfs/objects/batch"))
        .json(&json!({"operation":"upload","objects":[]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Multipart with a wrong etag at completion: 400, nothing stored.
    let r = c
        .post(url(&sim, "sim-user/bad.git/info/lfs/objects/batch"))
        .bearer_auth(TOKEN)
        .json(&json!({"operation":"upload","transfers":["basic","multipart"],"objects":[{"oid":oid,"size":3000}]}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["transfer"], "multipart");
    let upload = &v["objects"][0]["actions"]["upload"];
    assert_eq!(upload["header"]["chunk_size"], "1000");
    let mut parts = Vec::new();
    for (i, chunk) in data.chunks(1000).enumerate() {
        let u = upload["header"][format!("{:05}", i + 1)].as_str().unwrap();
        let r = c.put(u).body(chunk.to_vec()).send().await.unwrap();
        assert_eq!(r.status(), 200);
        parts.push(json!({"partNumber": i + 1, "etag": "\"wrong\""}));
    }
    let r = c
        .post(upload["href"].as_str().unwrap())
        .json(&json!({"oid": oid, "parts": parts}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(sim.lfs_object(&oid).is_none());
    // 257 objects: 413.
    let objs: Vec<Value> = (0..257)
        .map(|_| json!({"oid": oid, "size": 3000}))
        .collect();
    let r = c
        .post(url(&sim, "sim-user/bad.git/info/lfs/objects/batch"))
        .bearer_auth(TOKEN)
        .json(&json!({"operation":"upload","objects":objs}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(
        sim.storage_requests()
            .iter()
            .all(|r| !r.has_authorization())
    );
}

#[tokio::test]
async fn commit_rejections_leave_the_tree_untouched() {
    let sim = start(cfg());
    let c = client();
    create_repo(&sim, &c, "atomic").await;
    let r = commit(
        &sim,
        &c,
        "sim-user/atomic",
        "main",
        ndjson(&[header("one", None), file_line("a.txt", b"1")]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let before = sim
        .files(RepoType::Model, "sim-user/atomic", "main")
        .unwrap();
    let head = sim
        .head(RepoType::Model, "sim-user/atomic", "main")
        .unwrap();

    let good = file_line("b.txt", b"2").to_string();
    let cases: Vec<(String, u16)> = vec![
        // A malformed line after a good one.
        (format!("{}\n{good}\n{{not json\n", header("x", None)), 400),
        // An unknown key.
        (
            format!(
                "{}\n{good}\n{}\n",
                header("x", None),
                json!({"key":"copyFile","value":{"path":"z"}})
            ),
            400,
        ),
        // An unknown field.
        (
            format!(
                "{}\n{}\n",
                header("x", None),
                json!({"key":"file","value":{"content":"","path":"c","encoding":"base64","mode":"x"}})
            ),
            400,
        ),
        // No header first.
        (format!("{good}\n"), 400),
        // Bad base64.
        (
            format!(
                "{}\n{}\n",
                header("x", None),
                json!({"key":"file","value":{"content":"!!!","path":"c","encoding":"base64"}})
            ),
            400,
        ),
        // Deleting a missing file (after a good line).
        (
            format!(
                "{}\n{good}\n{}\n",
                header("x", None),
                json!({"key":"deletedFile","value":{"path":"nope"}})
            ),
            404,
        ),
        // An LFS object that was never uploaded.
        (
            ndjson(&[
                header("x", None),
                file_line("b.txt", b"2"),
                lfs_line("w.bin", &[9u8; 5000]),
            ]),
            400,
        ),
        // A stale parent.
        (
            ndjson(&[header("x", Some(&"0".repeat(40))), file_line("b.txt", b"2")]),
            412,
        ),
        // A path escaping the repo.
        (
            ndjson(&[header("x", None), file_line("../b.txt", b"2")]),
            400,
        ),
    ];
    for (i, (body, status)) in cases.into_iter().enumerate() {
        let r = commit(&sim, &c, "sim-user/atomic", "main", body).await;
        let got = r.status().as_u16();
        let msg = r.text().await.unwrap();
        assert_eq!(got, status, "case {i}: {msg}");
        if i == 6 {
            assert!(msg.contains("w.bin"), "the error names the file: {msg}");
        }
        if i == 7 {
            assert!(msg.contains("A commit has happened since"), "{msg}");
        }
    }
    assert_eq!(
        sim.files(RepoType::Model, "sim-user/atomic", "main")
            .unwrap(),
        before
    );
    assert_eq!(
        sim.head(RepoType::Model, "sim-user/atomic", "main")
            .unwrap(),
        head
    );

    // Wrong content type, no token, missing revision.
    let r = c
        .post(url(&sim, "api/models/sim-user/atomic/commit/main"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = c
        .post(url(&sim, "api/models/sim-user/atomic/commit/main"))
        .header("content-type", "application/x-ndjson")
        .body(ndjson(&[header("x", None)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = commit(
        &sim,
        &c,
        "sim-user/atomic",
        "dev",
        ndjson(&[header("x", None)]),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RevisionNotFound");

    // The right parent works.
    let r = commit(
        &sim,
        &c,
        "sim-user/atomic",
        "main",
        ndjson(&[header("two", Some(&head)), file_line("b.txt", b"2")]),
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn create_pr_opens_a_pull_request_ref() {
    let sim = start(cfg());
    let c = client();
    create_repo(&sim, &c, "prs").await;
    let main_before = sim.head(RepoType::Model, "sim-user/prs", "main").unwrap();
    let r = c
        .post(url(&sim, "api/models/sim-user/prs/commit/main?create_pr=1"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(ndjson(&[header("pr", None), file_line("pr.txt", b"pr")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["pullRequestUrl"]
            .as_str()
            .unwrap()
            .ends_with("sim-user/prs/discussions/1")
    );
    assert_eq!(
        sim.head(RepoType::Model, "sim-user/prs", "main").unwrap(),
        main_before
    );
    assert_eq!(
        sim.head(RepoType::Model, "sim-user/prs", "refs/pr/1")
            .as_deref(),
        v["commitOid"].as_str()
    );
    assert_eq!(sim.pull_requests(RepoType::Model, "sim-user/prs").len(), 1);

    // Commit onto the PR ref, percent-encoded.
    let r = commit(
        &sim,
        &c,
        "sim-user/prs",
        "refs%2Fpr%2F1",
        ndjson(&[header("more", None), file_line("pr2.txt", b"2")]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = c
        .get(url(&sim, "api/models/sim-user/prs/tree/refs%2Fpr%2F1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tree: Vec<Value> = r.json().await.unwrap();
    assert_eq!(tree.len(), 3);

    let r = c
        .get(url(&sim, "api/models/sim-user/prs/refs?include_prs=true"))
        .send()
        .await
        .unwrap();
    let refs: Value = r.json().await.unwrap();
    assert_eq!(refs["branches"][0]["name"], "main");
    assert_eq!(refs["branches"][0]["ref"], "refs/heads/main");
    assert_eq!(refs["branches"][0]["targetCommit"], main_before.as_str());
    assert_eq!(refs["pullRequests"][0]["ref"], "refs/pr/1");
    assert_eq!(refs["converts"], json!([]));
    let r = c
        .get(url(&sim, "api/models/sim-user/prs/refs"))
        .send()
        .await
        .unwrap();
    let refs: Value = r.json().await.unwrap();
    assert!(refs.get("pullRequests").is_none());
}
