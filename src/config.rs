//! Configuration from the environment, following the ecosystem's conventions:
//! the endpoint (`HF_ENDPOINT`), the token (`HF_TOKEN`, `HF_TOKEN_PATH`, `HF_HOME`),
//! the user agent (`HF_HUB_USER_AGENT_ORIGIN`), the download cache (`HF_HUB_CACHE`) and
//! offline mode (`HF_HUB_OFFLINE`).
//!
//! Every function reads variables through an `env` lookup so that tests never touch
//! the process environment; `process_env` is the real one.

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::error::{Error, Result};

/// The Hub's default endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// A Hub access token (`hf_...`).
///
/// Its `Debug` output is redacted and it has no `Display`, so it cannot end up in
/// logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token as given.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The secret itself, for the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<&str> for Token {
    fn from(token: &str) -> Self {
        Self::new(token)
    }
}

impl From<String> for Token {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

/// Reads a variable of the process environment (`None` when unset or not UTF-8).
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A variable's value, trimmed; `None` when unset, empty or blank.
fn non_blank(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let value = env(name)?;
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Whether a variable is set to a true value: `1`, `true`, `yes` or `on`, in any case.
pub(crate) fn is_truthy(env: &dyn Fn(&str) -> Option<String>, name: &str) -> bool {
    non_blank(env, name)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

/// Expands a leading `~` to `$HOME`, as the Python client does.
fn expand_home(env: &dyn Fn(&str) -> Option<String>, path: &str) -> Option<PathBuf> {
    if path == "~" {
        return non_blank(env, "HOME").map(PathBuf::from);
    }
    match path.strip_prefix("~/") {
        Some(rest) => non_blank(env, "HOME").map(|home| PathBuf::from(home).join(rest)),
        None => Some(PathBuf::from(path)),
    }
}

/// The Hub's local folder: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else
/// `$HOME/.cache/huggingface`. `None` when none of them is set.
pub(crate) fn hf_home(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(home) = non_blank(env, "HF_HOME") {
        return expand_home(env, &home);
    }
    if let Some(cache) = non_blank(env, "XDG_CACHE_HOME") {
        return expand_home(env, &cache).map(|p| p.join("huggingface"));
    }
    non_blank(env, "HOME").map(|home| PathBuf::from(home).join(".cache").join("huggingface"))
}

/// The file the token is stored in: `$HF_TOKEN_PATH`, else `$HF_HOME/token`.
///
/// As in the Python client, `HF_TOKEN_PATH` replaces the default location rather than
/// coming before it.
pub(crate) fn token_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match non_blank(env, "HF_TOKEN_PATH") {
        Some(path) => expand_home(env, &path),
        None => hf_home(env).map(|home| home.join("token")),
    }
}

/// Finds the token the environment provides, in the ecosystem's order: `HF_TOKEN`,
/// then the file at `HF_TOKEN_PATH` (default `$HF_HOME/token`).
///
/// `None` when `HF_HUB_DISABLE_IMPLICIT_TOKEN` is true or nothing is found. Blank
/// values and files are ignored; file contents are trimmed.
pub(crate) fn discover_token(env: &dyn Fn(&str) -> Option<String>) -> Option<Token> {
    if is_truthy(env, "HF_HUB_DISABLE_IMPLICIT_TOKEN") {
        tracing::debug!("implicit token discovery is disabled");
        return None;
    }
    if let Some(token) = non_blank(env, "HF_TOKEN") {
        tracing::debug!("using the token from HF_TOKEN");
        return Some(Token(token));
    }
    let path = token_path(env)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = text.trim();
            if text.is_empty() {
                tracing::debug!(path = %path.display(), "the token file is empty");
                None
            } else {
                tracing::debug!(path = %path.display(), "using the token file");
                Some(Token(text.to_owned()))
            }
        }
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "no token file");
            None
        }
    }
}

/// The token to use: `explicit` when given, else [`discover_token`].
pub(crate) fn resolve_token(
    explicit: Option<Token>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Token> {
    explicit.or_else(|| discover_token(env))
}

/// The Hub's base URL: `HF_ENDPOINT` (trimmed) or [`DEFAULT_ENDPOINT`].
///
/// The returned URL's path ends with `/`, so relative joins keep a mirror's path
/// prefix (`https://mirror.example/hf/` + `api/models`). An `HF_ENDPOINT` that is not
/// an http(s) URL, or carries a query or fragment, is an [`Error::InvalidInput`].
pub(crate) fn endpoint_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Url> {
    let raw = non_blank(env, "HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    parse_endpoint(&raw)
}

/// Checks and normalizes an endpoint URL; see [`endpoint_from_env`].
pub(crate) fn parse_endpoint(raw: &str) -> Result<Url> {
    let invalid = |reason: &str| Error::invalid("endpoint", raw, reason);
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("expected an http or https URL"));
    }
    if url.host().is_none() {
        return Err(invalid("the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the URL must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the URL must not carry credentials"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The shared download cache: `$HF_HUB_CACHE` (or its older name `HUGGINGFACE_HUB_CACHE`),
/// else `{hf_home}/hub` (see [`hf_home`]), as the Python client decides it. `None` when no
/// variable says where, not even `HOME`.
pub(crate) fn hub_cache(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    for name in ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"] {
        if let Some(dir) = non_blank(env, name) {
            return expand_home(env, &dir);
        }
    }
    hf_home(env).map(|home| home.join("hub"))
}

/// Whether `HF_HUB_OFFLINE` asks for the cache only (no request at all).
pub(crate) fn offline(env: &dyn Fn(&str) -> Option<String>) -> bool {
    is_truthy(env, "HF_HUB_OFFLINE")
}

/// Whether `HF_HUB_DISABLE_XET` turns Xet storage off (as for the official Python client).
pub(crate) fn xet_disabled(env: &dyn Fn(&str) -> Option<String>) -> bool {
    is_truthy(env, "HF_HUB_DISABLE_XET")
}

/// The `User-Agent`: `hf-hub-api/<version>`, plus `; origin/<HF_HUB_USER_AGENT_ORIGIN>`
/// when that is set (characters not allowed in a header are dropped).
pub(crate) fn user_agent(env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut ua = format!("hf-hub-api/{}", env!("CARGO_PKG_VERSION"));
    if let Some(origin) = non_blank(env, "HF_HUB_USER_AGENT_ORIGIN") {
        let origin: String = origin
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect();
        if !origin.trim().is_empty() {
            ua.push_str("; origin/");
            ua.push_str(origin.trim());
        }
    }
    ua
}

/// Whether `HF_HUB_DISABLE_PROGRESS_BARS` asks for no progress reporting.
#[cfg(any(test, feature = "indicatif"))]
pub(crate) fn progress_bars_disabled(env: &dyn Fn(&str) -> Option<String>) -> bool {
    is_truthy(env, "HF_HUB_DISABLE_PROGRESS_BARS")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    /// An environment made of the given pairs.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    fn found(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        discover_token(env).map(|t| t.expose().to_owned())
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::new("hf_secret");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert_eq!(format!("{:?}", Some(t.clone())), "Some(Token(<redacted>))");
        assert_eq!(t.expose(), "hf_secret");
        assert_eq!(Token::from("a"), Token::from(String::from("a")));
    }

    #[test]
    fn order_explicit_then_env_then_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let hf_home = format!("{root}/hf-home");
        let token_path = format!("{root}/elsewhere/my-token");
        write(Path::new(&format!("{hf_home}/token")), "hf_from_home\n");
        write(Path::new(&token_path), "  hf_from_path  \n");

        let all = env_of(&[
            ("HF_TOKEN", "hf_from_env"),
            ("HF_TOKEN_PATH", &token_path),
            ("HF_HOME", &hf_home),
        ]);
        // Explicit wins over everything.
        let t = resolve_token(Some(Token::new("hf_explicit")), &all);
        assert_eq!(t.unwrap().expose(), "hf_explicit");
        // Then HF_TOKEN.
        assert_eq!(found(&all).as_deref(), Some("hf_from_env"));
        assert_eq!(
            resolve_token(None, &all)
                .map(|t| t.expose().to_owned())
                .as_deref(),
            Some("hf_from_env")
        );
        // Then HF_TOKEN_PATH (trimmed).
        let env = env_of(&[("HF_TOKEN_PATH", &token_path), ("HF_HOME", &hf_home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_from_path"));
        // Then $HF_HOME/token.
        let env = env_of(&[("HF_HOME", &hf_home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_from_home"));
        // A blank HF_TOKEN is ignored.
        let env = env_of(&[("HF_TOKEN", "  \t"), ("HF_HOME", &hf_home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_from_home"));
        // A blank HF_TOKEN_PATH means the default.
        let env = env_of(&[("HF_TOKEN_PATH", " "), ("HF_HOME", &hf_home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_from_home"));
    }

    #[test]
    fn token_path_replaces_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let hf_home = format!("{root}/hf-home");
        write(Path::new(&format!("{hf_home}/token")), "hf_from_home");
        let env = env_of(&[
            ("HF_TOKEN_PATH", &format!("{root}/missing")),
            ("HF_HOME", &hf_home),
        ]);
        assert_eq!(found(&env), None);
    }

    #[test]
    fn hub_cache_follows_the_python_client() {
        let env = env_of(&[
            ("HF_HUB_CACHE", "~/c"),
            ("HF_HOME", "/h"),
            ("HOME", "/home/u"),
        ]);
        assert_eq!(hub_cache(&env), Some(PathBuf::from("/home/u/c")));
        let env = env_of(&[("HUGGINGFACE_HUB_CACHE", "/old"), ("HF_HOME", "/h")]);
        assert_eq!(hub_cache(&env), Some(PathBuf::from("/old")));
        let env = env_of(&[("HF_HUB_CACHE", " "), ("HF_HOME", "/h")]);
        assert_eq!(hub_cache(&env), Some(PathBuf::from("/h/hub")));
        let env = env_of(&[("XDG_CACHE_HOME", "/x")]);
        assert_eq!(hub_cache(&env), Some(PathBuf::from("/x/huggingface/hub")));
        let env = env_of(&[("HOME", "/home/u")]);
        assert_eq!(
            hub_cache(&env),
            Some(PathBuf::from("/home/u/.cache/huggingface/hub"))
        );
        assert_eq!(hub_cache(&env_of(&[])), None);
        assert!(offline(&env_of(&[("HF_HUB_OFFLINE", "1")])));
        assert!(offline(&env_of(&[("HF_HUB_OFFLINE", "TRUE")])));
        assert!(!offline(&env_of(&[("HF_HUB_OFFLINE", "0")])));
        assert!(!offline(&env_of(&[])));
        assert!(xet_disabled(&env_of(&[("HF_HUB_DISABLE_XET", "1")])));
        assert!(!xet_disabled(&env_of(&[("HF_HUB_DISABLE_XET", "0")])));
        assert!(!xet_disabled(&env_of(&[])));
    }

    #[test]
    fn hf_home_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        // XDG_CACHE_HOME/huggingface.
        let xdg = format!("{root}/xdg");
        write(Path::new(&format!("{xdg}/huggingface/token")), "hf_xdg");
        let env = env_of(&[("XDG_CACHE_HOME", &xdg), ("HOME", &format!("{root}/home"))]);
        assert_eq!(found(&env).as_deref(), Some("hf_xdg"));
        // HOME/.cache/huggingface.
        let home = format!("{root}/home");
        write(
            Path::new(&format!("{home}/.cache/huggingface/token")),
            "hf_home_cache",
        );
        let env = env_of(&[("HOME", &home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_home_cache"));
        // A blank XDG_CACHE_HOME is ignored.
        let env = env_of(&[("XDG_CACHE_HOME", ""), ("HOME", &home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_home_cache"));
        // `~` in HF_HOME and HF_TOKEN_PATH expands to HOME.
        write(Path::new(&format!("{home}/custom/token")), "hf_tilde");
        let env = env_of(&[("HF_HOME", "~/custom"), ("HOME", &home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_tilde"));
        let env = env_of(&[("HF_TOKEN_PATH", "~/custom/token"), ("HOME", &home)]);
        assert_eq!(found(&env).as_deref(), Some("hf_tilde"));
        // Nothing at all.
        assert_eq!(found(&env_of(&[])), None);
        assert_eq!(hf_home(&env_of(&[])), None);
        assert_eq!(
            hf_home(&env_of(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/huggingface"))
        );
    }

    #[test]
    fn blank_or_missing_file_gives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        let path = format!("{root}/token");
        write(Path::new(&path), " \n\t\n");
        assert_eq!(found(&env_of(&[("HF_TOKEN_PATH", &path)])), None);
        assert_eq!(
            found(&env_of(&[("HF_HOME", &format!("{root}/none"))])),
            None
        );
        // A directory where the file should be.
        assert_eq!(found(&env_of(&[("HF_TOKEN_PATH", root)])), None);
    }

    #[test]
    fn implicit_discovery_can_be_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        write(Path::new(&format!("{root}/token")), "hf_file");
        for on in ["1", "true", "TRUE", "Yes", "on", " 1 "] {
            let env = env_of(&[
                ("HF_HUB_DISABLE_IMPLICIT_TOKEN", on),
                ("HF_TOKEN", "hf_env"),
                ("HF_HOME", root),
            ]);
            assert_eq!(found(&env), None, "{on}");
            // Explicit still works.
            let t = resolve_token(Some(Token::new("hf_x")), &env);
            assert_eq!(t.unwrap().expose(), "hf_x");
        }
        for off in ["0", "false", "no", "off", "", "maybe"] {
            let env = env_of(&[("HF_HUB_DISABLE_IMPLICIT_TOKEN", off), ("HF_HOME", root)]);
            assert_eq!(found(&env).as_deref(), Some("hf_file"), "{off}");
        }
    }

    #[test]
    fn endpoints() {
        let url = endpoint_from_env(&env_of(&[])).unwrap();
        assert_eq!(url.as_str(), "https://huggingface.co/");
        let url = endpoint_from_env(&env_of(&[("HF_ENDPOINT", "  ")])).unwrap();
        assert_eq!(url.as_str(), "https://huggingface.co/");
        let url = endpoint_from_env(&env_of(&[("HF_ENDPOINT", "https://hf-mirror.com/")])).unwrap();
        assert_eq!(url.as_str(), "https://hf-mirror.com/");
        let url =
            endpoint_from_env(&env_of(&[("HF_ENDPOINT", "http://127.0.0.1:8080/hub")])).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/hub/");
        assert_eq!(
            url.join("api/models").unwrap().as_str(),
            "http://127.0.0.1:8080/hub/api/models"
        );
        for bad in [
            "huggingface.co",
            "ftp://huggingface.co",
            "https://huggingface.co/?x=1",
            "https://huggingface.co/#f",
            "https://user:pw@huggingface.co",
            "file:///tmp",
        ] {
            match endpoint_from_env(&env_of(&[("HF_ENDPOINT", bad)])) {
                Err(Error::InvalidInput { what, value, .. }) => {
                    assert_eq!(what, "endpoint");
                    assert_eq!(value, bad);
                }
                other => panic!("{bad}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn user_agents() {
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(user_agent(&env_of(&[])), format!("hf-hub-api/{version}"));
        assert_eq!(
            user_agent(&env_of(&[("HF_HUB_USER_AGENT_ORIGIN", " my-app ")])),
            format!("hf-hub-api/{version}; origin/my-app")
        );
        assert_eq!(
            user_agent(&env_of(&[("HF_HUB_USER_AGENT_ORIGIN", "")])),
            format!("hf-hub-api/{version}")
        );
        assert_eq!(
            user_agent(&env_of(&[("HF_HUB_USER_AGENT_ORIGIN", "a\nb\u{e9}c")])),
            format!("hf-hub-api/{version}; origin/abc")
        );
        let ua = user_agent(&env_of(&[("HF_HUB_USER_AGENT_ORIGIN", "x y")]));
        assert!(reqwest::header::HeaderValue::from_str(&ua).is_ok());
    }

    #[test]
    fn progress_bars_switch() {
        assert!(progress_bars_disabled(&env_of(&[(
            "HF_HUB_DISABLE_PROGRESS_BARS",
            "1"
        )])));
        assert!(!progress_bars_disabled(&env_of(&[])));
    }

    #[test]
    fn process_env_reads_the_process() {
        // PATH is set in any test run; a made-up name is not.
        assert!(process_env("PATH").is_some());
        assert!(process_env("HF_HUB_API_TEST_SURELY_UNSET_VARIABLE").is_none());
    }
}
