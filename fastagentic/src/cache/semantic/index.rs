//! [`VectorIndex`]: the nearest stored prompts to a vector, within one
//! scope. Exact (a dot product with every vector) while the index is
//! small; beyond [`VectorIndex::approximate_above`] entries, an HNSW graph
//! (`instant-distance`) over a snapshot of the entries, plus the exact scan
//! of the entries added since. Every candidate is scored again against the
//! vector stored now, so the graph never serves a stale or removed entry.

use std::collections::HashMap;
use std::sync::Arc;

use instant_distance::{Builder, HnswMap, Point, Search};

use crate::cache::CacheKey;

/// Where the exact scan stops and the HNSW graph takes over, by default:
/// measured on a 2-core machine, the scan of 20,000 384-dimension vectors
/// takes about 2 ms (see `bench/`).
pub const DEFAULT_APPROXIMATE_ABOVE: usize = 20_000;

/// A stored prompt near a query: its key and cosine similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// The exact cache key of the stored request (where its answer is).
    pub key: CacheKey,
    /// Cosine similarity with the query, in `[-1, 1]`.
    pub similarity: f32,
}

/// A unit vector as an HNSW point: distance is `1 - cosine`.
#[derive(Clone)]
struct UnitVector(Arc<[f32]>);

impl Point for UnitVector {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot(&self.0, &other.0)
    }
}

/// The dot product (the cosine of two unit vectors).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight lanes the compiler can keep in vector registers.
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// An HNSW graph over the entries as they were when it was built.
pub(crate) struct Snapshot {
    map: HnswMap<UnitVector, CacheKey>,
    /// Entries with a sequence number up to this one are in the graph.
    upto: u64,
}

/// The vectors of one scope, each under the exact key of its request.
pub struct VectorIndex {
    dimensions: usize,
    /// Vectors, one after another, `dimensions` each, slot by slot.
    data: Vec<f32>,
    keys: Vec<CacheKey>,
    /// When each slot was written (later is larger).
    written: Vec<u64>,
    slots: HashMap<CacheKey, usize>,
    next: u64,
    approximate_above: usize,
    snapshot: Option<Arc<Snapshot>>,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dimensions", &self.dimensions)
            .field("entries", &self.keys.len())
            .field("approximate", &self.snapshot.is_some())
            .finish_non_exhaustive()
    }
}

impl VectorIndex {
    /// An empty index of `dimensions`-long vectors.
    pub fn new(dimensions: usize) -> Self {
        Self {
            dimensions,
            data: Vec::new(),
            keys: Vec::new(),
            written: Vec::new(),
            slots: HashMap::new(),
            next: 0,
            approximate_above: DEFAULT_APPROXIMATE_ABOVE,
            snapshot: None,
        }
    }

    /// Use the HNSW graph above `entries` entries (default
    /// [`DEFAULT_APPROXIMATE_ABOVE`]); `usize::MAX` keeps it exact.
    pub fn approximate_above(mut self, entries: usize) -> Self {
        self.approximate_above = entries;
        self
    }

    /// How many vectors it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The length of its vectors.
    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Stores `vector` (unit length, [`dimensions`](Self::dimensions) long)
    /// under `key`, replacing what `key` had. A vector of another length is
    /// ignored.
    pub fn insert(&mut self, key: CacheKey, vector: &[f32]) {
        if vector.len() != self.dimensions {
            return;
        }
        self.next += 1;
        let slot = match self.slots.get(&key) {
            Some(&slot) => slot,
            None => {
                let slot = self.keys.len();
                self.keys.push(key);
                self.written.push(0);
                self.data.resize(self.data.len() + self.dimensions, 0.0);
                self.slots.insert(key, slot);
                slot
            }
        };
        self.written[slot] = self.next;
        self.vector_mut(slot).copy_from_slice(vector);
    }

    /// Removes `key`'s vector; whether it had one.
    pub fn remove(&mut self, key: &CacheKey) -> bool {
        let Some(slot) = self.slots.remove(key) else {
            return false;
        };
        let last = self.keys.len() - 1;
        if slot != last {
            let (dims, moved) = (self.dimensions, self.keys[last]);
            self.data
                .copy_within(last * dims..(last + 1) * dims, slot * dims);
            self.keys[slot] = moved;
            self.written[slot] = self.written[last];
            self.slots.insert(moved, slot);
        }
        self.keys.pop();
        self.written.pop();
        self.data.truncate(last * self.dimensions);
        if self.keys.is_empty() {
            self.snapshot = None;
        }
        true
    }

    /// Up to `limit` stored vectors with a cosine similarity of at least
    /// `min_similarity` to `query`, nearest first.
    pub fn nearest(&self, query: &[f32], min_similarity: f32, limit: usize) -> Vec<Neighbour> {
        if query.len() != self.dimensions || limit == 0 {
            return Vec::new();
        }
        let mut found: Vec<Neighbour> = Vec::new();
        let consider = |slot: usize, found: &mut Vec<Neighbour>| {
            let similarity = dot(self.vector(slot), query);
            if similarity >= min_similarity {
                found.push(Neighbour {
                    key: self.keys[slot],
                    similarity,
                });
            }
        };
        match self.usable_snapshot() {
            Some(snapshot) => {
                let mut search = Search::default();
                let point = UnitVector(Arc::from(query));
                // The graph's candidates, scored against the vectors now.
                for item in snapshot.map.search(&point, &mut search).take(limit * 4) {
                    if 1.0 - item.distance < min_similarity - 0.05 {
                        break;
                    }
                    if let Some(&slot) = self.slots.get(item.value)
                        && self.written[slot] <= snapshot.upto
                    {
                        consider(slot, &mut found);
                    }
                }
                // What the graph does not have yet.
                for slot in 0..self.keys.len() {
                    if self.written[slot] > snapshot.upto {
                        consider(slot, &mut found);
                    }
                }
            }
            None => {
                for slot in 0..self.keys.len() {
                    consider(slot, &mut found);
                }
            }
        }
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        found.truncate(limit);
        found
    }

    /// Whether the graph should be (re)built: the index is past
    /// [`approximate_above`](Self::approximate_above) and the entries not in
    /// the graph are more than an eighth of it.
    pub fn wants_graph(&self) -> bool {
        if self.keys.len() <= self.approximate_above {
            return false;
        }
        let upto = self.snapshot.as_ref().map_or(0, |s| s.upto);
        let unindexed = self.written.iter().filter(|&&w| w > upto).count();
        unindexed > self.keys.len() / 8
    }

    /// What building the graph needs, copied out so it can be built without
    /// holding the index.
    pub(crate) fn graph_input(&self) -> GraphInput {
        GraphInput {
            points: (0..self.keys.len())
                .map(|slot| UnitVector(Arc::from(self.vector(slot))))
                .collect(),
            keys: self.keys.clone(),
            upto: self.next,
        }
    }

    /// Installs a graph built from [`graph_input`](Self::graph_input).
    pub(crate) fn install_graph(&mut self, snapshot: Snapshot) {
        if self
            .snapshot
            .as_ref()
            .is_none_or(|current| current.upto < snapshot.upto)
        {
            self.snapshot = Some(Arc::new(snapshot));
        }
    }

    /// Builds the graph now, on this thread (seconds for 100,000 entries).
    pub fn build_graph(&mut self) {
        let snapshot = self.graph_input().build();
        self.install_graph(snapshot);
    }

    fn usable_snapshot(&self) -> Option<&Snapshot> {
        if self.keys.len() <= self.approximate_above {
            return None;
        }
        self.snapshot.as_deref()
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.data[slot * self.dimensions..(slot + 1) * self.dimensions]
    }

    fn vector_mut(&mut self, slot: usize) -> &mut [f32] {
        &mut self.data[slot * self.dimensions..(slot + 1) * self.dimensions]
    }

    /// Bytes its vectors and keys take (approximately).
    pub fn bytes(&self) -> usize {
        self.data.len() * 4 + self.keys.len() * (32 + 8 + 48)
    }
}

/// The entries a graph is built from.
pub(crate) struct GraphInput {
    points: Vec<UnitVector>,
    keys: Vec<CacheKey>,
    upto: u64,
}

impl GraphInput {
    /// The HNSW graph (CPU-heavy: run it off the async runtime).
    pub(crate) fn build(self) -> Snapshot {
        let map = Builder::default()
            .ef_construction(100)
            .ef_search(64)
            .seed(0x5eed)
            .build(self.points, self.keys);
        Snapshot {
            map,
            upto: self.upto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::semantic::embedder::normalise;

    fn key(i: u64) -> CacheKey {
        CacheKey::from_bytes({
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&i.to_le_bytes());
            bytes
        })
    }

    /// Deterministic pseudo-random unit vectors.
    fn vectors(count: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                let mut v: Vec<f32> = (0..dims)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
                    })
                    .collect();
                normalise(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn insert_replace_remove_and_find() {
        let mut index = VectorIndex::new(4);
        let (a, b) = ([1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]);
        index.insert(key(1), &a);
        index.insert(key(2), &b);
        index.insert(key(3), &[1.0, 2.0]); // wrong length: ignored
        assert_eq!(index.len(), 2);
        let near = index.nearest(&a, 0.5, 5);
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].key, key(1));
        index.insert(key(1), &b); // replaced
        assert_eq!(index.nearest(&b, 0.99, 5).len(), 2);
        assert!(index.remove(&key(2)));
        assert!(!index.remove(&key(2)));
        assert_eq!(index.nearest(&b, 0.99, 5)[0].key, key(1));
        assert!(index.remove(&key(1)));
        assert!(index.is_empty());
    }

    #[test]
    fn the_graph_finds_what_the_exact_scan_finds() {
        let (dims, count) = (32, 2_000);
        let stored = vectors(count, dims, 7);
        let mut exact = VectorIndex::new(dims).approximate_above(usize::MAX);
        let mut approximate = VectorIndex::new(dims).approximate_above(1_000);
        for (i, v) in stored.iter().enumerate() {
            exact.insert(key(i as u64), v);
            approximate.insert(key(i as u64), v);
        }
        assert!(approximate.wants_graph());
        approximate.build_graph();
        assert!(!approximate.wants_graph());
        // Entries added and removed after the graph was built.
        let late = vectors(50, dims, 99);
        for (i, v) in late.iter().enumerate() {
            exact.insert(key(10_000 + i as u64), v);
            approximate.insert(key(10_000 + i as u64), v);
        }
        for i in 0..100 {
            exact.remove(&key(i));
            approximate.remove(&key(i));
        }
        // Queries near stored vectors (a small perturbation of each).
        let queries: Vec<Vec<f32>> = stored[100..400]
            .iter()
            .chain(&late)
            .zip(vectors(350, dims, 3))
            .map(|(v, noise)| {
                let mut q: Vec<f32> = v.iter().zip(&noise).map(|(x, n)| x + 0.05 * n).collect();
                normalise(&mut q);
                q
            })
            .collect();
        let mut agree = 0;
        for q in &queries {
            let want = exact.nearest(q, 0.9, 1);
            let got = approximate.nearest(q, 0.9, 1);
            assert_eq!(want.len(), 1, "every query has a stored vector this near");
            if got.first().map(|n| n.key) == Some(want[0].key) {
                agree += 1;
                assert!((got[0].similarity - want[0].similarity).abs() < 1e-6);
            }
        }
        // Removed entries are never served.
        for i in 0..100 {
            let q = &stored[i as usize];
            assert!(
                approximate
                    .nearest(q, 0.999, 1)
                    .iter()
                    .all(|n| n.key != key(i))
            );
        }
        assert!(
            agree * 100 >= queries.len() * 98,
            "the graph agreed with the exact scan on {agree} of {} queries",
            queries.len()
        );
    }
}
