//! [`SimConfig`]: what the simulator knows when it starts.

/// The token [`SimConfig::default`] accepts, for user [`DEFAULT_USER`].
pub const DEFAULT_TOKEN: &str = "hf_simulator_default_token";
/// The user [`DEFAULT_TOKEN`] belongs to.
pub const DEFAULT_USER: &str = "sim-user";
/// An organization [`DEFAULT_USER`] is a member of.
pub const DEFAULT_ORG: &str = "sim-org";

/// A user the simulator knows, with the token that authenticates them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SimUser {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) orgs: Vec<String>,
}

/// Configuration of a [`Simulator`](crate::Simulator). Built with chained methods from
/// [`SimConfig::default`] (which knows [`DEFAULT_TOKEN`]) or [`SimConfig::empty`] (no users).
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub(crate) users: Vec<SimUser>,
    pub(crate) lfs_threshold: u64,
    pub(crate) multipart_threshold: u64,
    pub(crate) multipart_chunk_size: u64,
    pub(crate) seed_models: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) list_page_cap: usize,
    pub(crate) tree_page_size: usize,
    pub(crate) tree_expand_page_size: usize,
    pub(crate) max_preupload_files: usize,
    pub(crate) max_lfs_batch_objects: usize,
    pub(crate) max_recorded_requests: usize,
    pub(crate) xet: bool,
    pub(crate) xet_first_token_ttl: i64,
}

impl Default for SimConfig {
    /// One user, [`DEFAULT_USER`] (member of [`DEFAULT_ORG`]) with token [`DEFAULT_TOKEN`];
    /// LFS from 10 MiB; multipart from 20 MiB in 10 MiB parts; no seeded repositories.
    fn default() -> SimConfig {
        SimConfig::empty().with_user(DEFAULT_TOKEN, DEFAULT_USER, &[DEFAULT_ORG])
    }
}

impl SimConfig {
    /// A configuration with no users (every write is refused) and the default limits.
    pub fn empty() -> SimConfig {
        SimConfig {
            users: Vec::new(),
            lfs_threshold: 10 * 1024 * 1024,
            multipart_threshold: 20 * 1024 * 1024,
            multipart_chunk_size: 10 * 1024 * 1024,
            seed_models: 0,
            max_body_bytes: 1024 * 1024 * 1024,
            list_page_cap: 1000,
            tree_page_size: 1000,
            tree_expand_page_size: 50,
            max_preupload_files: 256,
            max_lfs_batch_objects: 256,
            max_recorded_requests: 10_000,
            xet: false,
            xet_first_token_ttl: 3600,
        }
    }

    /// Adds a user `name` authenticated by `token` (as `Authorization: Bearer <token>`, or as
    /// the password of `Basic` auth on the LFS endpoints), member of `orgs`. A user may write
    /// to repositories in its own namespace and in its organizations'.
    pub fn with_user(mut self, token: &str, name: &str, orgs: &[&str]) -> SimConfig {
        self.users.push(SimUser {
            token: token.to_owned(),
            name: name.to_owned(),
            orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
        });
        self
    }

    /// Files of at least this many bytes are uploaded through LFS (preupload answers
    /// `"lfs"`). Default 10 MiB; tests typically set 1 KiB. Empty files are always regular.
    pub fn lfs_threshold(mut self, bytes: u64) -> SimConfig {
        self.lfs_threshold = bytes;
        self
    }

    /// LFS objects of at least this many bytes get a multipart upload action when the client
    /// offers the `multipart` transfer. Default 20 MiB.
    pub fn multipart_threshold(mut self, bytes: u64) -> SimConfig {
        self.multipart_threshold = bytes;
        self
    }

    /// The `chunk_size` of multipart uploads (at least 1). Default 10 MiB.
    pub fn multipart_chunk_size(mut self, bytes: u64) -> SimConfig {
        self.multipart_chunk_size = bytes.max(1);
        self
    }

    /// Seeds `n` synthetic public model repositories (`org{k}/model-{i}`, deterministic
    /// downloads, likes, tags and dates), for listing benchmarks.
    pub fn seed_models(mut self, n: usize) -> SimConfig {
        self.seed_models = n;
        self
    }

    /// Largest request body accepted (413 beyond). Default 1 GiB.
    pub fn max_body_bytes(mut self, bytes: usize) -> SimConfig {
        self.max_body_bytes = bytes;
        self
    }

    /// Largest page of `/api/models` and the other listings (the `limit` cap and the default
    /// page size). Default 1000.
    pub fn list_page_cap(mut self, n: usize) -> SimConfig {
        self.list_page_cap = n.max(1);
        self
    }

    /// Tree listing page size without `expand` (default 1000) and with it (default 50).
    pub fn tree_page_sizes(mut self, plain: usize, expanded: usize) -> SimConfig {
        self.tree_page_size = plain.max(1);
        self.tree_expand_page_size = expanded.max(1);
        self
    }

    /// Most files per preupload call (413 beyond). Default 256.
    pub fn max_preupload_files(mut self, n: usize) -> SimConfig {
        self.max_preupload_files = n;
        self
    }

    /// Most objects per LFS batch call (413 beyond). Default 256.
    pub fn max_lfs_batch_objects(mut self, n: usize) -> SimConfig {
        self.max_lfs_batch_objects = n;
        self
    }

    /// How many requests of each origin are kept for [`SimHandle::hub_requests`] and
    /// [`SimHandle::storage_requests`] (the oldest are forgotten). Default 10,000.
    ///
    /// [`SimHandle::hub_requests`]: crate::SimHandle::hub_requests
    /// [`SimHandle::storage_requests`]: crate::SimHandle::storage_requests
    pub fn max_recorded_requests(mut self, n: usize) -> SimConfig {
        self.max_recorded_requests = n;
        self
    }

    /// Serves Xet storage (needs the crate's `xet` feature; default off): the LFS batch
    /// answers `"transfer": "xet"` to a client that offers it, a CAS origin stores the
    /// uploads (`SimHandle::xet_cas_endpoint`, with the feature),
    /// `resolve` answers `X-Xet-Hash` for what was uploaded through Xet, and the
    /// `xet-write-token` / `xet-read-token` routes issue CAS tokens.
    pub fn xet(mut self, enabled: bool) -> SimConfig {
        self.xet = enabled;
        self
    }

    /// How long the Xet token in an LFS batch answer lives, in seconds (default 3600; zero or
    /// negative: already expired, so the client must refresh it from the token route, whose
    /// tokens live an hour).
    pub fn xet_first_token_ttl(mut self, seconds: i64) -> SimConfig {
        self.xet_first_token_ttl = seconds;
        self
    }

    pub(crate) fn user_by_token(&self, token: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| u.token == token)
    }
}
