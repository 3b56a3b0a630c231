//! The in-process embedder with the real all-MiniLM-L6-v2 (fetched by test
//! support): unit vectors, paraphrases close, unrelated prompts far, and
//! start-up errors that name the fix.

use fastagentic::cache::semantic::{EmbedError, Embedder, MiniLmEmbedder};
use fastagentic_tests::embedding_model::model_dir;
use fastagentic_tests::reference_bert::ReferenceBert;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn embedder() -> MiniLmEmbedder {
    let dir = model_dir().expect("the embedding model (test support fetches it with pip)");
    MiniLmEmbedder::from_dir(dir).expect("all-MiniLM-L6-v2 loads")
}

#[tokio::test]
async fn paraphrases_are_close_and_unrelated_prompts_are_not() {
    let embedder = embedder();
    assert_eq!(embedder.dimensions(), 384);
    let started = std::time::Instant::now();
    let vectors = embedder
        .embed(vec![
            "How do I reset my password?".to_owned(),
            "How can I reset my password?".to_owned(),
            "What is the capital of France?".to_owned(),
        ])
        .await
        .expect("embeds");
    eprintln!("3 texts embedded in {:?}", started.elapsed());
    assert_eq!(vectors.len(), 3);
    for vector in &vectors {
        assert_eq!(vector.len(), 384);
        let norm = cosine(vector, vector).sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    let paraphrase = cosine(&vectors[0], &vectors[1]);
    let unrelated = cosine(&vectors[0], &vectors[2]);
    assert!(paraphrase > 0.9, "paraphrase {paraphrase}");
    assert!(unrelated < 0.3, "unrelated {unrelated}");
    // One text alone embeds the same as in a padded batch.
    let alone = embedder
        .embed_blocking(&["How can I reset my password?"])
        .expect("embeds");
    assert!(cosine(&alone[0], &vectors[1]) > 0.9999);
}

#[test]
fn a_text_longer_than_the_model_reads_is_refused_not_cut() {
    let long = "word ".repeat(400);
    match embedder().embed_blocking(&[long]) {
        Err(EmbedError::TooLong { limit: 256, tokens }) => assert!(tokens > 256),
        other => panic!("expected TooLong, got {other:?}"),
    }
}

#[test]
fn a_missing_or_wrong_model_names_the_fix() {
    let empty = std::env::temp_dir().join(format!("fa-no-model-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("temp dir");
    let message = MiniLmEmbedder::from_dir(&empty)
        .expect_err("no model")
        .to_string();
    assert!(message.contains("model.safetensors"), "{message}");
    assert!(
        message.contains("FASTAGENTIC_EMBEDDING_MODEL_DIR"),
        "{message}"
    );

    for file in ["tokenizer.json", "config.json"] {
        std::fs::copy(model_dir().expect("model").join(file), empty.join(file)).expect("copy");
    }
    std::fs::write(empty.join("model.safetensors"), b"not the weights").expect("write");
    let message = MiniLmEmbedder::from_dir(&empty)
        .expect_err("wrong weights")
        .to_string();
    assert!(message.contains("is not all-MiniLM-L6-v2"), "{message}");
    assert!(
        message.contains("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn the_encoder_computes_what_candles_bert_model_computes() {
    // Lengths that differ, so the batch pads two of them.
    let texts = [
        "How do I reset the password of my account?",
        "hi",
        "Convert 5 kilograms to pounds, and explain each step for a beginner.",
    ];
    let dir = model_dir().expect("the embedding model (test support fetches it with pip)");
    let expected = ReferenceBert::load(&dir)
        .and_then(|reference| reference.embed(&texts))
        .expect("candle's BertModel embeds");
    let embedder = embedder();
    let batched = embedder.embed_blocking(&texts).expect("embeds");
    let alone: Vec<Vec<f32>> = texts
        .iter()
        .map(|text| embedder.embed_blocking(&[text]).expect("embeds").remove(0))
        .collect();
    for (which, vectors) in [("batched", &batched), ("one at a time", &alone)] {
        for ((text, ours), reference) in texts.iter().zip(vectors).zip(&expected) {
            let largest = ours
                .iter()
                .zip(reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                largest < 1e-5,
                "{which}: {text:?} differs from candle's BertModel by {largest}"
            );
        }
    }
}
