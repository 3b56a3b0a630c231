//! [`Keeper`]: stores one complete answer under its exact key and, for the
//! semantic cache, its prompt's vector; a stream is stored when it ends
//! without an error (errors and broken streams never are).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::replay::gather;
use super::semantic::{StoredPrompt, VectorStore};
use super::{CacheEntry, CacheKey, CacheStats, CacheStore, CachedAnswer};
use crate::gateway::Answer;

/// What storing one answer needs.
pub(crate) struct Keeper {
    pub(crate) answers: Arc<dyn CacheStore>,
    pub(crate) stats: Arc<CacheStats>,
    pub(crate) key: CacheKey,
    pub(crate) max_age: Duration,
    /// The prompt's vector and where it goes (the semantic cache).
    pub(crate) prompt: Option<(Arc<dyn VectorStore>, StoredPrompt)>,
}

impl Keeper {
    /// Stores `answer` now, or, for a stream, once it has ended (the
    /// stream is passed on unchanged).
    pub(crate) async fn keep_reply(self, answer: &mut Answer) {
        match answer {
            Answer::Chat(response) => self.keep(CachedAnswer::Chat(response.clone())).await,
            Answer::Embed(response) => self.keep(CachedAnswer::Embed(response.clone())).await,
            Answer::Stream(stream) => {
                let upstream = std::mem::replace(stream, crate::ChatStream::empty());
                *stream = gather(upstream, move |response| {
                    // The stream has ended: store off its task.
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        runtime.spawn(self.keep(CachedAnswer::Chat(response)));
                    }
                });
            }
        }
    }

    async fn keep(self, answer: CachedAnswer) {
        self.stats.count_store();
        let entry = Arc::new(CacheEntry::new(answer, self.max_age));
        self.answers.put(self.key, entry).await;
        if let Some((vectors, mut prompt)) = self.prompt {
            prompt.stored_at = SystemTime::now();
            vectors.insert(prompt).await;
        }
    }
}
