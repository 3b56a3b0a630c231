//! [`SemanticCache`]: a piece of a gateway tree that answers a request from
//! the cache when it was seen before, exactly or in other words.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::prompt::{DEFAULT_MAX_MESSAGES, SemanticPrompt};
use super::vectors::{MemoryVectorStore, StoredPrompt, VectorStore};
use super::{DEFAULT_SIMILARITY_THRESHOLD, Embedder, Guards};
use crate::cache::exact::served;
use crate::cache::keeper::Keeper;
use crate::cache::shared_slot::SharedSlot;
use crate::cache::{CacheKey, CacheScope, CacheStats, CacheStore, DEFAULT_MAX_AGE, MemoryStore};
use crate::gateway::{
    BoxFuture, CacheFacts, CacheStatus, CallContext, GatewayError, GatewayReply, GatewayRequest,
    LlmGateway, Node, NodeKind, Strategy,
};
use crate::store::{SharedPiece, SharedStore};

/// The default limit on the embedded user turn, in characters (the
/// embedder refuses what it cannot read whole, too).
pub const DEFAULT_MAX_PROMPT_CHARS: usize = 4_000;

/// Near matches looked at per request, nearest first, until one passes the
/// guards.
const CANDIDATES: usize = 8;

/// A gateway that answers a request from the cache when it has seen it
/// before, exactly or in other words, and stores every complete answer.
///
/// 1. **Exact first**: the same request (by [`CacheKey`]) within `max_age`
///    is a `HIT`, as with [`ExactCache`](crate::cache::ExactCache).
/// 2. **Then by meaning**: for a chat of at most 4 messages whose last
///    message is a user's text, that text is embedded and compared with the
///    stored prompts of the same scope (the same request in every other
///    part: model, parameters, system prompt, tools, earlier turns,
///    namespace, user when per-user). The nearest at or above the threshold
///    ([`DEFAULT_SIMILARITY_THRESHOLD`]) whose prompt the [`Guards`] admit is
///    a `SEMANTIC HIT`; otherwise `SEMANTIC MISS`.
/// 3. Errors, broken streams and non-2xx answers are never stored; a
///    streaming request served from the cache gets the answer as chunks;
///    [`CacheControl::force_refresh`](crate::cache::CacheControl) skips the
///    lookup (`REFRESH`) and stores the new answer.
///
/// The route's facts (`metadata["fastagentic"]`) carry `cache_status`,
/// `cache_age_ms` and `cache_similarity` on a semantic hit; the LLM client
/// adds `saved_cost`.
///
/// The embedder never fails a request: when it cannot embed (a text too
/// long, a failing endpoint), the request is cached exactly only.
///
/// ```
/// # #[cfg(feature = "local-embeddings")]
/// # fn build() -> Result<(), fastagentic::cache::semantic::EmbedError> {
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::cache::semantic::{MiniLmEmbedder, SemanticCache};
/// let cached = SemanticCache::new(DemoGateway::new(), MiniLmEmbedder::from_env()?)
///     .max_age(Duration::from_secs(3600));
/// # let _ = cached; Ok(()) }
/// ```
pub struct SemanticCache<G> {
    inner: G,
    embedder: Arc<dyn Embedder>,
    answers: Arc<dyn CacheStore>,
    vectors: Arc<dyn VectorStore>,
    /// The app's shared stores, for what the cache was given none of its own.
    shared: SharedStores,
    scope: CacheScope,
    max_age: Duration,
    threshold: f32,
    guards: Guards,
    max_messages: usize,
    max_prompt_chars: usize,
    stats: Arc<CacheStats>,
}

impl<G: LlmGateway> std::fmt::Debug for SemanticCache<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticCache")
            .field("gateway", &self.inner.name())
            .field("embedder", &self.embedder.name())
            .field("threshold", &self.threshold)
            .field("guards", &self.guards)
            .field("scope", &self.scope)
            .field("max_age", &self.max_age)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<G: LlmGateway> SemanticCache<G> {
    /// Caches `inner`'s answers in memory for a day, matching prompts by
    /// `embedder`'s vectors.
    pub fn new(inner: G, embedder: impl Embedder) -> Self {
        Self::with_embedder(inner, Arc::new(embedder))
    }

    /// As [`new`](Self::new), with a shared embedder (one model for many caches).
    pub fn with_embedder(inner: G, embedder: Arc<dyn Embedder>) -> Self {
        Self {
            inner,
            embedder,
            answers: Arc::new(MemoryStore::default()),
            vectors: Arc::new(MemoryVectorStore::default()),
            shared: SharedStores::default(),
            scope: CacheScope::default(),
            max_age: DEFAULT_MAX_AGE,
            threshold: DEFAULT_SIMILARITY_THRESHOLD,
            guards: Guards::default(),
            max_messages: DEFAULT_MAX_MESSAGES,
            max_prompt_chars: DEFAULT_MAX_PROMPT_CHARS,
            stats: Arc::new(CacheStats::semantic()),
        }
    }

    /// How long an answer is served (default one day).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The cosine similarity a stored prompt needs (default
    /// [`DEFAULT_SIMILARITY_THRESHOLD`]).
    pub fn threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// The guards a near match must pass (default [`Guards::default`]).
    pub fn guards(mut self, guards: Guards) -> Self {
        self.guards = guards;
        self
    }

    /// What the cache is partitioned by.
    pub fn scope(mut self, scope: CacheScope) -> Self {
        self.scope = scope;
        self
    }

    /// Where answers are kept (default a 64 MiB [`MemoryStore`], or Redis
    /// when the app has a shared store,
    /// [`App::shared_store`](crate::App::shared_store)). A store given here
    /// is kept whatever the app shares.
    pub fn store(mut self, store: Arc<dyn CacheStore>) -> Self {
        self.answers = store;
        self.shared.answers.keep_own();
        self
    }

    /// Where prompts' vectors are kept (default a [`MemoryVectorStore`]
    /// of 100,000 prompts and 256 MiB, or, when the app has a Redis shared
    /// store, a `RedisVectorStore` that keeps this replica's index in step
    /// with the others'). A store given here is kept whatever the app shares.
    pub fn vectors(mut self, vectors: Arc<dyn VectorStore>) -> Self {
        self.vectors = vectors;
        self.shared.vectors.keep_own();
        self
    }

    fn answers_in_use(&self) -> &Arc<dyn CacheStore> {
        self.shared.answers.get().unwrap_or(&self.answers)
    }

    fn vectors_in_use(&self) -> &Arc<dyn VectorStore> {
        self.shared.vectors.get().unwrap_or(&self.vectors)
    }

    /// Conversations longer than `messages` are cached exactly only
    /// (default 4, as Portkey).
    pub fn max_messages(mut self, messages: usize) -> Self {
        self.max_messages = messages;
        self
    }

    /// User turns longer than `chars` characters are cached exactly only
    /// (default [`DEFAULT_MAX_PROMPT_CHARS`]).
    pub fn max_prompt_chars(mut self, chars: usize) -> Self {
        self.max_prompt_chars = chars;
        self
    }

    /// What the cache has done.
    pub fn stats(&self) -> &Arc<CacheStats> {
        &self.stats
    }

    /// The embedder the cache compares prompts with.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The prompt's vector, or `None` when it cannot be embedded.
    async fn embed(&self, text: &str) -> Option<Vec<f32>> {
        match self.embedder.embed(vec![text.to_owned()]).await {
            Ok(mut vectors)
                if vectors.len() == 1 && vectors[0].len() == self.embedder.dimensions() =>
            {
                vectors.pop()
            }
            Ok(_) => {
                tracing::warn!(
                    embedder = self.embedder.name(),
                    "the embedder answered the wrong shape; the request is cached exactly only"
                );
                None
            }
            Err(error) => {
                tracing::debug!(embedder = self.embedder.name(), %error, "not matched by meaning");
                None
            }
        }
    }

    /// The answer stored for a prompt that means the same, with its facts.
    async fn nearest_answer(
        &self,
        request: &GatewayRequest,
        prompt: &SemanticPrompt,
        vector: &[f32],
    ) -> Option<GatewayReply> {
        let near = self
            .vectors_in_use()
            .nearest(prompt.scope, vector, self.threshold, CANDIDATES)
            .await;
        for candidate in near {
            if let Err(refusal) = self.guards.admits(&candidate.prompt.text, &prompt.text) {
                self.stats.count_guard_refusal(refusal.guard);
                tracing::debug!(%refusal, similarity = candidate.similarity, "near match refused");
                continue;
            }
            let Some(entry) = self.answers_in_use().get(candidate.prompt.key).await else {
                // Its answer was evicted or expired: forget the vector too.
                self.vectors_in_use()
                    .remove(candidate.prompt.scope, candidate.prompt.key)
                    .await;
                continue;
            };
            let answer = served(request, &entry.answer)?;
            let mut reply = GatewayReply::new(answer);
            reply.route.cache = Some(CacheFacts {
                status: CacheStatus::SemanticHit,
                age: Some(entry.age()),
                similarity: Some(candidate.similarity),
            });
            return Some(reply);
        }
        None
    }

    async fn run(
        &self,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let key = CacheKey::of(&request, call, &self.scope);
        let refresh = call.cache_control().force_refresh;
        if !refresh
            && let Some(entry) = self.answers_in_use().get(key).await
            && let Some(answer) = served(&request, &entry.answer)
        {
            self.stats.count(CacheStatus::Hit);
            let mut reply = GatewayReply::new(answer);
            reply.route.cache = Some(CacheFacts {
                status: CacheStatus::Hit,
                age: Some(entry.age()),
                similarity: None,
            });
            return Ok(reply);
        }
        let prompt = SemanticPrompt::of(
            &request,
            call,
            &self.scope,
            self.max_messages,
            self.max_prompt_chars,
        )
        .ok();
        let mut semantic = None;
        if let Some(prompt) = prompt
            && let Some(vector) = self.embed(&prompt.text).await
        {
            if !refresh && let Some(reply) = self.nearest_answer(&request, &prompt, &vector).await {
                self.stats.count(CacheStatus::SemanticHit);
                return Ok(reply);
            }
            semantic = Some((prompt, vector));
        }
        let status = match (refresh, &semantic) {
            (true, _) => CacheStatus::Refresh,
            (false, Some(_)) => CacheStatus::SemanticMiss,
            (false, None) => CacheStatus::Miss,
        };
        self.stats.count(status);
        let mut reply = self.inner.serve(call, request).await?;
        let keeper = Keeper {
            answers: self.answers_in_use().clone(),
            stats: self.stats.clone(),
            key,
            max_age: self.max_age,
            prompt: semantic.map(|(prompt, vector)| {
                let stored = StoredPrompt {
                    key,
                    scope: prompt.scope,
                    text: prompt.text,
                    vector,
                    stored_at: SystemTime::now(),
                    max_age: self.max_age,
                };
                (self.vectors_in_use().clone(), stored)
            }),
        };
        keeper.keep_reply(&mut reply.answer).await;
        reply.route.cache = Some(CacheFacts {
            status,
            age: None,
            similarity: None,
        });
        Ok(reply)
    }
}

impl<G: LlmGateway> Strategy for SemanticCache<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.run(call, request))
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Cache(&self.stats), &self.inner).sharing(&self.shared)
    }

    fn check_options(&self) -> Result<(), String> {
        if self.max_age.is_zero() {
            return Err("cache: `max_age` must be more than 0".to_owned());
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(format!(
                "semantic cache: the similarity threshold must be in (0, 1], not {}",
                self.threshold
            ));
        }
        if self.embedder.dimensions() == 0 {
            return Err(format!(
                "semantic cache: the embedder `{}` has no dimensions",
                self.embedder.name()
            ));
        }
        Ok(())
    }
}

/// The stores an app shares with a semantic cache: its answers' and its
/// prompts', each taken unless the cache was given its own.
#[derive(Default)]
struct SharedStores {
    answers: SharedSlot<dyn CacheStore>,
    vectors: SharedSlot<dyn VectorStore>,
}

impl SharedPiece for SharedStores {
    fn share(&self, store: &SharedStore, _name: &str) {
        self.answers.offer(|| store.cache_store());
        self.vectors.offer(|| store.vector_store());
    }
}
