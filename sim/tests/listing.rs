//! Listings: models, tree, commits.

mod common;

use common::*;
use hf_hub_sim::{RepoType, SimConfig, routes};
use serde_json::Value;

#[tokio::test]
async fn list_models_pages_with_link_and_filters() {
    let sim = start(SimConfig::default().seed_models(2500));
    let c = client();
    let (items, pages) = all_pages(&c, &url(&sim, "api/models?limit=1000"), None).await;
    assert_eq!(pages, 3);
    assert_eq!(items.len(), 2500);
    assert_eq!(items[0]["id"], "org0/model-000000");
    assert!(items[0].get("_id").is_some());
    assert!(items[0].get("downloads").is_some());
    assert!(items[0].get("siblings").is_none());
    assert_eq!(sim.requests(routes::LIST_MODELS), 3);

    // The next URL keeps every original parameter and adds a cursor.
    let r = c
        .get(url(
            &sim,
            "api/models?author=org7&limit=10&full=true&filter=region:us",
        ))
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("<{}api/models?", sim.endpoint())),
        "{link}"
    );
    for p in [
        "author=org7",
        "limit=10",
        "full=true",
        "filter=region%3Aus",
        "cursor=",
    ] {
        assert!(link.contains(p), "{p} missing from {link}");
    }
    assert!(link.ends_with("; rel=\"next\""));
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 10);
    assert!(
        page.iter()
            .all(|m| m["id"].as_str().unwrap().starts_with("org7/"))
    );
    assert!(page[0].get("siblings").is_some());
    let (all, _) = all_pages(&c, &url(&sim, "api/models?author=org7&limit=10"), None).await;
    assert_eq!(all.len(), 25);

    // search, sort, direction, expand[].
    let r = c
        .get(url(&sim, "api/models?search=MODEL-00012&limit=5"))
        .send()
        .await
        .unwrap();
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 5);
    let r = c
        .get(url(&sim, "api/models?sort=downloads&direction=-1&limit=50"))
        .send()
        .await
        .unwrap();
    let page: Vec<Value> = r.json().await.unwrap();
    let d: Vec<u64> = page
        .iter()
        .map(|m| m["downloads"].as_u64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] >= w[1]));
    let r = c
        .get(url(
            &sim,
            "api/models?sort=likes&direction=1&limit=50&expand[]=likes",
        ))
        .send()
        .await
        .unwrap();
    let page: Vec<Value> = r.json().await.unwrap();
    let l: Vec<u64> = page.iter().map(|m| m["likes"].as_u64().unwrap()).collect();
    assert!(l.windows(2).all(|w| w[0] <= w[1]));
    let keys: Vec<&String> = page[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["_id", "id", "likes"]);
    let r = c
        .get(url(
            &sim,
            "api/models?filter=text-generation&filter=license:mit",
        ))
        .send()
        .await
        .unwrap();
    let page: Vec<Value> = r.json().await.unwrap();
    assert!(!page.is_empty());
    assert!(page.iter().all(|m| {
        let tags = m["tags"].as_array().unwrap();
        tags.contains(&"text-generation".into()) && tags.contains(&"license:mit".into())
    }));
    // A bad cursor or sort: 400; limit above the cap is capped.
    assert_eq!(
        c.get(url(&sim, "api/models?cursor=zzz"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        c.get(url(&sim, "api/models?sort=nope"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let r = c
        .get(url(&sim, "api/models?limit=5000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 1000);
    // Other kinds are empty.
    let r = c.get(url(&sim, "api/datasets")).send().await.unwrap();
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 0);
}

#[tokio::test]
async fn hundred_thousand_models_are_listed_quickly() {
    let t0 = std::time::Instant::now();
    let sim = start(SimConfig::default().seed_models(100_000));
    let c = client();
    let started = t0.elapsed();
    let t1 = std::time::Instant::now();
    let (items, pages) = all_pages(&c, &url(&sim, "api/models?limit=1000"), None).await;
    let listed = t1.elapsed();
    assert_eq!(items.len(), 100_000);
    assert_eq!(pages, 100);
    // A sorted listing: the first request sorts 100,000 items, the next ones reuse it.
    let t2 = std::time::Instant::now();
    let mut next = Some(url(
        &sim,
        "api/models?sort=downloads&direction=-1&limit=1000",
    ));
    let mut last = u64::MAX;
    for _ in 0..3 {
        let Some(u) = next.take() else { break };
        let r = c.get(&u).send().await.unwrap();
        next = r.headers().get("link").map(|l| {
            let l = l.to_str().unwrap();
            l[l.find('<').unwrap() + 1..l.find('>').unwrap()].to_owned()
        });
        let page: Vec<serde_json::Value> = r.json().await.unwrap();
        assert_eq!(page.len(), 1000);
        for m in &page {
            let d = m["downloads"].as_u64().unwrap();
            assert!(d <= last);
            last = d;
        }
    }
    assert!(next.is_some());
    let listed_sorted = t2.elapsed();
    // Generous bounds (debug builds on a shared 2-core machine).
    assert!(started.as_secs() < 20, "seeding took {started:?}");
    assert!(listed.as_secs() < 60, "listing took {listed:?}");
    assert!(
        listed_sorted.as_secs() < 60,
        "sorted listing took {listed_sorted:?}"
    );
}

#[tokio::test]
async fn tree_listing_pages_and_errors() {
    let sim = start(
        SimConfig::default()
            .tree_page_sizes(4, 2)
            .lfs_threshold(100),
    );
    let c = client();
    create_repo(&sim, &c, "tree").await;
    let big = vec![5u8; 300];
    let files: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| (format!("data/part-{i}.txt"), format!("{i}").into_bytes()))
        .chain([
            ("data/sub/deep.txt".to_owned(), b"deep".to_vec()),
            ("model.bin".to_owned(), big.clone()),
            ("README.md".to_owned(), b"# t".to_vec()),
        ])
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    sim.commit_files(RepoType::Model, "sim-user/tree", "main", "add", &refs)
        .unwrap();

    // Root, not recursive: .gitattributes, README.md, data/, model.bin in one page of 4.
    let (root, pages) = all_pages(&c, &url(&sim, "api/models/sim-user/tree/tree/main"), None).await;
    assert_eq!(pages, 1);
    let paths: Vec<&str> = root.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [".gitattributes", "README.md", "data", "model.bin"]);
    let data = root.iter().find(|e| e["path"] == "data").unwrap();
    assert_eq!(data["type"], "directory");
    let bin = root.iter().find(|e| e["path"] == "model.bin").unwrap();
    assert_eq!(bin["type"], "file");
    assert_eq!(bin["size"], 300);
    assert_eq!(bin["lfs"]["oid"], sha256(&big));
    assert!(bin["lfs"]["pointerSize"].as_u64().unwrap() > 100);
    assert_eq!(bin["oid"].as_str().unwrap().len(), 40);

    // Recursive: 9 files + 2 directories, over 3 pages of 4.
    let (all, pages) = all_pages(
        &c,
        &url(&sim, "api/models/sim-user/tree/tree/main/?recursive=true"),
        None,
    )
    .await;
    assert_eq!(all.len(), 12);
    assert_eq!(pages, 3);
    assert_eq!(all.iter().filter(|e| e["type"] == "directory").count(), 2);
    // A sub-folder, with expand (pages of 2), keeps recursive and expand in the next link.
    let r = c
        .get(url(
            &sim,
            "api/models/sim-user/tree/tree/main/data?expand=true&recursive=true",
        ))
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("expand=true")
            && link.contains("recursive=true")
            && link.contains("/tree/main/data?"),
        "{link}"
    );
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(page[0]["lastCommit"]["id"].is_string());
    let (sub, _) = all_pages(
        &c,
        &url(
            &sim,
            "api/models/sim-user/tree/tree/main/data?expand=true&recursive=true",
        ),
        None,
    )
    .await;
    assert_eq!(sub.len(), 8);
    assert!(
        sub.iter()
            .all(|e| e["path"].as_str().unwrap().starts_with("data/"))
    );

    // Errors.
    let r = c
        .get(url(&sim, "api/models/sim-user/tree/tree/main/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "EntryNotFound");
    let r = c
        .get(url(&sim, "api/models/sim-user/tree/tree/v9"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RevisionNotFound");
    let r = c
        .get(url(&sim, "api/models/sim-user/nope/tree/main"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    let r = c
        .get(url(&sim, "api/models/sim-user/nope/tree/main"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    assert!(sim.requests(routes::TREE) >= 10);
}

#[tokio::test]
async fn commits_listing_pages_by_p() {
    let sim = start(SimConfig::default());
    let c = client();
    create_repo(&sim, &c, "hist").await;
    for i in 0..6 {
        let name = format!("f{i}.txt");
        sim.commit_files(
            RepoType::Model,
            "sim-user/hist",
            "main",
            &format!("commit {i}"),
            &[(name.as_str(), b"x")],
        )
        .unwrap();
    }
    let r = c
        .get(url(&sim, "api/models/sim-user/hist/commits/main?limit=3"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-total-count"], "7");
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("p=1") && link.contains("limit=3"), "{link}");
    let first: Vec<Value> = r.json().await.unwrap();
    assert_eq!(first[0]["title"], "commit 5");
    assert_eq!(first[0]["authors"][0]["user"], "sim-user");
    assert!(first[0]["date"].as_str().unwrap().ends_with('Z'));
    let (all, pages) = all_pages(
        &c,
        &url(&sim, "api/models/sim-user/hist/commits/main?limit=3"),
        None,
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 7);
    assert_eq!(all[6]["title"], "initial commit");
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = sim
        .commits(RepoType::Model, "sim-user/hist", "main")
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, expected);
    // From an older commit.
    let r = c
        .get(url(
            &sim,
            &format!("api/models/sim-user/hist/commits/{}", expected[4]),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-total-count"], "3");
    assert!(r.headers().get("link").is_none());
}
