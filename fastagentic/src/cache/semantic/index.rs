//! [`VectorIndex`]: the nearest stored prompts to a vector, within one
//! scope, with the same answer as a dot product with every stored vector.
//!
//! Small scopes are scanned in `f32`. Past [`VectorIndex::quantised_above`]
//! entries the scan runs in two stages: first over an `i8` copy of every
//! vector (a quarter of the bytes, integer products the CPU does 32 at a
//! time), which bounds each entry's true similarity; then the exact `f32`
//! dot product of the few entries whose bound reaches the threshold. The
//! bound is computed from each vector's own rounding error, so no entry at
//! or above the threshold is ever passed over: the result is the exact
//! scan's. An insert or a removal is one copy: nothing is ever rebuilt.

use std::collections::HashMap;

use pulp::{Arch, Simd, WithSimd};

use crate::cache::CacheKey;

/// Above how many entries the two-stage (quantised, then exact) scan takes
/// over, by default. Below it the plain `f32` scan costs microseconds.
pub const DEFAULT_QUANTISED_ABOVE: usize = 1_000;

/// Slack added to the quantisation bound for the rounding of the `f32`
/// arithmetic itself: a sum of `d` products of unit vectors' components errs
/// by at most about `d` times `f32::EPSILON` (about 5e-5 for 384), far
/// less in practice; this much plus [`ROUNDING_SLACK_PER_DIMENSION`] each.
const ROUNDING_SLACK: f32 = 1e-4;

/// The part of the slack that grows with the vectors' length.
const ROUNDING_SLACK_PER_DIMENSION: f32 = 2.0 * f32::EPSILON;

/// A stored prompt near a query: its key and cosine similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// The exact cache key of the stored request (where its answer is).
    pub key: CacheKey,
    /// Cosine similarity with the query, in `[-1, 1]`.
    pub similarity: f32,
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

/// The integer dot product of two `i8` codes. Inlined into the scan, which
/// [`Arch::dispatch`] compiles for the CPU's widest vector instructions
/// (AVX2 where present): 32 lanes of products summed in `i32` (exact:
/// 384 products of at most 127 x 127 stay far below `i32::MAX`).
#[inline(always)]
fn dot_codes(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 32];
    let (a_chunks, b_chunks) = (a.chunks_exact(32), b.chunks_exact(32));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..32 {
            lanes[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    lanes.iter().sum::<i32>() + tail
}

/// A vector rounded to `i8`: `vector ~ scale * codes`, with what the
/// rounding bounds.
struct Quantised {
    codes: Vec<i8>,
    /// The step between two codes.
    scale: f32,
    /// The length of `scale * codes`.
    norm: f32,
    /// The length of `vector - scale * codes` (the rounding error).
    error: f32,
}

impl Quantised {
    fn new(vector: &[f32]) -> Self {
        let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if largest > 0.0 && largest.is_finite() {
            largest / 127.0
        } else {
            0.0
        };
        let (mut norm, mut error) = (0.0f64, 0.0f64);
        let codes = vector
            .iter()
            .map(|&x| {
                let code = if scale > 0.0 {
                    (x / scale).round().clamp(-127.0, 127.0)
                } else {
                    0.0
                };
                let rounded = f64::from(scale) * f64::from(code);
                norm += rounded * rounded;
                error += (f64::from(x) - rounded).powi(2);
                code as i8
            })
            .collect();
        Self {
            codes,
            scale,
            norm: norm.sqrt() as f32,
            error: error.sqrt() as f32,
        }
    }
}

/// The first stage of the scan: the slots a query's `i8` codes cannot rule
/// out. A [`WithSimd`] operation so that [`Arch::dispatch`] compiles it
/// (with [`dot_codes`] inlined) for the CPU's vector instructions.
struct CodeScan<'a> {
    index: &'a VectorIndex,
    query: Quantised,
    min_similarity: f32,
}

impl WithSimd for CodeScan<'_> {
    type Output = Vec<usize>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> Vec<usize> {
        let (index, q) = (self.index, &self.query);
        let slack = ROUNDING_SLACK + index.dimensions as f32 * ROUNDING_SLACK_PER_DIMENSION;
        let mut slots = Vec::new();
        for (slot, (codes, &[scale, norm, error])) in index
            .codes
            .chunks_exact(index.dimensions)
            .zip(&index.bounds)
            .enumerate()
        {
            let rounded = dot_codes(codes, &q.codes) as f32 * scale * q.scale;
            let bound = norm * q.error + error * q.norm + error * q.error + slack;
            if rounded + bound >= self.min_similarity {
                slots.push(slot);
            }
        }
        slots
    }
}

/// The vectors of one scope, each under the exact key of its request.
pub struct VectorIndex {
    dimensions: usize,
    /// Vectors, one after another, `dimensions` each, slot by slot.
    data: Vec<f32>,
    /// The same vectors rounded to `i8`, slot by slot.
    codes: Vec<i8>,
    /// Per slot: the code step, the rounded vector's length and the
    /// rounding error's length (see [`Quantised`]).
    bounds: Vec<[f32; 3]>,
    keys: Vec<CacheKey>,
    slots: HashMap<CacheKey, usize>,
    quantised_above: usize,
    arch: Arch,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dimensions", &self.dimensions)
            .field("entries", &self.keys.len())
            .field("quantised_above", &self.quantised_above)
            .finish_non_exhaustive()
    }
}

impl VectorIndex {
    /// An empty index of `dimensions`-long vectors.
    pub fn new(dimensions: usize) -> Self {
        Self {
            dimensions,
            data: Vec::new(),
            codes: Vec::new(),
            bounds: Vec::new(),
            keys: Vec::new(),
            slots: HashMap::new(),
            quantised_above: DEFAULT_QUANTISED_ABOVE,
            arch: Arch::new(),
        }
    }

    /// Use the two-stage scan above `entries` entries (default
    /// [`DEFAULT_QUANTISED_ABOVE`]); `usize::MAX` keeps the plain `f32`
    /// scan. Either finds the same neighbours.
    pub fn quantised_above(mut self, entries: usize) -> Self {
        self.quantised_above = entries;
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
        let dims = self.dimensions;
        let quantised = Quantised::new(vector);
        let bounds = [quantised.scale, quantised.norm, quantised.error];
        let slot = match self.slots.get(&key) {
            Some(&slot) => slot,
            None => {
                let slot = self.keys.len();
                self.keys.push(key);
                self.bounds.push(bounds);
                self.data.resize(self.data.len() + dims, 0.0);
                self.codes.resize(self.codes.len() + dims, 0);
                self.slots.insert(key, slot);
                slot
            }
        };
        self.bounds[slot] = bounds;
        self.data[slot * dims..(slot + 1) * dims].copy_from_slice(vector);
        self.codes[slot * dims..(slot + 1) * dims].copy_from_slice(&quantised.codes);
    }

    /// Removes `key`'s vector; whether it had one.
    pub fn remove(&mut self, key: &CacheKey) -> bool {
        let Some(slot) = self.slots.remove(key) else {
            return false;
        };
        let (dims, last) = (self.dimensions, self.keys.len() - 1);
        if slot != last {
            let moved = self.keys[last];
            self.data
                .copy_within(last * dims..(last + 1) * dims, slot * dims);
            self.codes
                .copy_within(last * dims..(last + 1) * dims, slot * dims);
            self.keys[slot] = moved;
            self.bounds[slot] = self.bounds[last];
            self.slots.insert(moved, slot);
        }
        self.keys.pop();
        self.bounds.pop();
        self.data.truncate(last * dims);
        self.codes.truncate(last * dims);
        true
    }

    /// Up to `limit` stored vectors with a cosine similarity of at least
    /// `min_similarity` to `query`, nearest first.
    pub fn nearest(&self, query: &[f32], min_similarity: f32, limit: usize) -> Vec<Neighbour> {
        if query.len() != self.dimensions || limit == 0 {
            return Vec::new();
        }
        let mut found: Vec<Neighbour> = Vec::new();
        let mut consider = |slot: usize| {
            let similarity = dot(self.vector(slot), query);
            if similarity >= min_similarity {
                found.push(Neighbour {
                    key: self.keys[slot],
                    similarity,
                });
            }
        };
        if self.keys.len() > self.quantised_above && self.dimensions > 0 {
            self.candidates(query, min_similarity)
                .into_iter()
                .for_each(&mut consider);
        } else {
            (0..self.keys.len()).for_each(&mut consider);
        }
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        found.truncate(limit);
        found
    }

    /// The slots whose similarity to `query` may reach `min_similarity`,
    /// from the `i8` codes: for `x = x' + e` and `q = q' + f` (rounded
    /// vectors and rounding errors), `|x.q - x'.q'| <= |x'||f| + |e||q'| +
    /// |e||f|`, so a slot whose `x'.q'` plus that bound stays below the
    /// threshold cannot reach it.
    fn candidates(&self, query: &[f32], min_similarity: f32) -> Vec<usize> {
        self.arch.dispatch(CodeScan {
            index: self,
            query: Quantised::new(query),
            min_similarity,
        })
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.data[slot * self.dimensions..(slot + 1) * self.dimensions]
    }

    /// Bytes its vectors, codes and keys take (approximately).
    pub fn bytes(&self) -> usize {
        self.data.len() * 4 + self.codes.len() + self.keys.len() * (12 + 32 + 8 + 48)
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

    /// Stored vectors in clusters of near-duplicates (as a cache of
    /// reworded prompts holds), and queries near them, some right at the
    /// threshold: the two-stage scan must return exactly what the plain
    /// scan returns, similarities included.
    #[test]
    fn the_two_stage_scan_finds_what_the_exact_scan_finds() {
        let (dims, centres) = (128, 100);
        let centre = vectors(centres, dims, 7);
        let noise = vectors(centres * 8, dims, 11);
        let mut exact = VectorIndex::new(dims).quantised_above(usize::MAX);
        let mut twostage = VectorIndex::new(dims).quantised_above(0);
        let mut stored = Vec::new();
        for (i, n) in noise.iter().enumerate() {
            // Eight vectors around each centre, from very near to far.
            let spread = 0.05 + 0.15 * (i % 8) as f32;
            let mut v: Vec<f32> = centre[i / 8]
                .iter()
                .zip(n)
                .map(|(c, e)| c + spread * e)
                .collect();
            normalise(&mut v);
            exact.insert(key(i as u64), &v);
            twostage.insert(key(i as u64), &v);
            stored.push(v);
        }
        // Replaced and removed entries.
        for i in 0..200u64 {
            if i % 2 == 0 {
                let v = &stored[(i as usize + 500) % stored.len()];
                exact.insert(key(i), v);
                twostage.insert(key(i), v);
            } else {
                assert!(exact.remove(&key(i)));
                assert!(twostage.remove(&key(i)));
            }
        }
        assert_eq!(exact.len(), twostage.len());
        let probes = vectors(centres, dims, 3);
        let (mut compared, mut found) = (0, 0);
        for (c, p) in centre.iter().zip(&probes) {
            let mut q: Vec<f32> = c.iter().zip(p).map(|(x, e)| x + 0.1 * e).collect();
            normalise(&mut q);
            let all = exact.nearest(&q, -1.0, usize::MAX);
            // Thresholds right at stored similarities, and round ones.
            let mut thresholds: Vec<f32> = all.iter().take(5).map(|n| n.similarity).collect();
            thresholds.extend([0.5, 0.8, 0.9]);
            for threshold in thresholds {
                for limit in [1, 50] {
                    let want: Vec<Neighbour> = all
                        .iter()
                        .filter(|n| n.similarity >= threshold)
                        .take(limit)
                        .copied()
                        .collect();
                    assert_eq!(twostage.nearest(&q, threshold, limit), want);
                    compared += 1;
                    found += want.len();
                }
            }
        }
        assert!(compared >= 1_000 && found > 1_000, "{compared} {found}");
        // Removed entries are never served.
        for i in (1..200u64).step_by(2) {
            let q = &stored[i as usize];
            assert!(
                twostage
                    .nearest(q, 0.0, 100)
                    .iter()
                    .all(|n| n.key != key(i))
            );
        }
    }

    #[test]
    fn odd_lengths_and_empty_vectors() {
        for dims in [0, 1, 5, 33, 100] {
            let stored = vectors(50, dims, 5);
            let mut exact = VectorIndex::new(dims).quantised_above(usize::MAX);
            let mut twostage = VectorIndex::new(dims).quantised_above(0);
            for (i, v) in stored.iter().enumerate() {
                exact.insert(key(i as u64), v);
                twostage.insert(key(i as u64), v);
            }
            twostage.insert(key(99), &vec![0.0; dims]);
            exact.insert(key(99), &vec![0.0; dims]);
            for q in &stored {
                assert_eq!(twostage.nearest(q, 0.3, 5), exact.nearest(q, 0.3, 5));
                assert_eq!(twostage.nearest(q, -1.0, 60), exact.nearest(q, -1.0, 60));
            }
        }
    }
}
