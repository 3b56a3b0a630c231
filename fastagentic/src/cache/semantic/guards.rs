//! [`Guards`]: checks, beyond the cosine similarity, that a stored prompt and
//! an incoming one ask the same thing before the stored answer is served.
//!
//! The cosine of two sentence embeddings cannot tell "kilograms to pounds"
//! from "pounds to kilograms": each guard compares one thing both prompts
//! must agree on, and refuses the match when they don't. They are plain
//! text checks over the prompts' normalised words (case, plurals,
//! possessives, number words and common abbreviations do not count as a
//! difference), cheap next to the embedding, and what each one buys is
//! measured on a labeled set of paraphrases and near misses (see the
//! caching guide, "How well it separates paraphrases from near misses").

mod contrast;
mod lexicon;
mod order;
mod prompt;
mod replaced;

use std::fmt;

use prompt::Prompt;

/// One check a near match must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Guard {
    /// The numbers in both prompts are the same ("3 slices" / "three
    /// slices" agree; "15% of 240" / "15% of 420" do not).
    Numbers,
    /// Both prompts negate alike: the same count of negation words ("not",
    /// "never", "without", "don't", ...), and neither uses the negated form
    /// of a word the other uses plainly ("safe" / "unsafe", "legal" /
    /// "illegal", "like" / "dislike").
    Negation,
    /// No two content words trade places around a word that stays put: a
    /// role or direction swap ("from a patient to a doctor" / "from a
    /// doctor to a patient", "kilograms to pounds" / "pounds to
    /// kilograms", "Rust faster than Go" / "Go faster than Rust").
    WordOrder,
    /// Neither prompt names a unit or currency the other lacks while
    /// lacking one the other names ("feet in a mile" / "yards in a mile",
    /// "Celsius to Kelvin" / "Celsius to Fahrenheit").
    Units,
    /// Every name in one prompt occurs in the other: words capitalised
    /// inside a sentence or written in capitals, and programming languages,
    /// tools and formats however written ("capital of Austria" / "capital
    /// of Australia", "in Kotlin" / "in Swift").
    Names,
    /// Both prompts place themselves in time alike: today, tonight,
    /// tomorrow, yesterday; this, next or last week, month, year, ...; day
    /// and month names.
    Dates,
    /// The prompts do not ask for different operations of one kind: sum /
    /// average / median / count, add / subtract / multiply / divide,
    /// encrypt / decrypt, upload / download, install / uninstall, add /
    /// remove, ascending / descending, ...
    Operations,
    /// The prompts do not ask about opposite qualities or comparisons:
    /// faster / slower, more / less, highest / lowest, cheaper / more
    /// expensive, better / worse, first / last, pros / cons, symptoms /
    /// causes, before / after, ...
    Comparisons,
    /// The prompts do not use question words that ask for different things:
    /// how / why / when / where / who, how much / how long / how many.
    Questions,
    /// The prompts are not one sentence with one or two consecutive words
    /// replaced by other words ("count the words" / "count the lines",
    /// "people who live in Tokyo" / "people who work in Tokyo"): the
    /// commonest near miss, a template with one slot changed. Misspellings
    /// and function words ("how do I" / "how can I") are not replacements;
    /// a synonym swapped for one word is, which is what this guard costs.
    ReplacedWord,
}

impl Guard {
    /// Every guard, in the order they are checked.
    pub const ALL: &'static [Guard] = &[
        Guard::Numbers,
        Guard::Negation,
        Guard::WordOrder,
        Guard::Units,
        Guard::Names,
        Guard::Dates,
        Guard::Operations,
        Guard::Comparisons,
        Guard::Questions,
        Guard::ReplacedWord,
    ];

    /// The guard's name in docs, logs and facts.
    pub fn name(self) -> &'static str {
        match self {
            Guard::Numbers => "numbers",
            Guard::Negation => "negation",
            Guard::WordOrder => "word order",
            Guard::Units => "units",
            Guard::Names => "names",
            Guard::Dates => "dates",
            Guard::Operations => "operations",
            Guard::Comparisons => "comparisons",
            Guard::Questions => "questions",
            Guard::ReplacedWord => "replaced word",
        }
    }

    /// Whether the two prompts agree on what this guard checks.
    fn agrees(self, a: &Prompt, b: &Prompt) -> bool {
        fn words(p: &Prompt) -> Vec<&str> {
            p.norms().collect()
        }
        match self {
            Guard::Numbers => numbers(a) == numbers(b),
            Guard::Negation => {
                negations(a) == negations(b) && !negated_form(a, b) && !negated_form(b, a)
            }
            Guard::WordOrder => !order::swapped(a, b),
            Guard::Units => !contrast::UNITS.contrast(&unit_words(a), &unit_words(b)),
            Guard::Names => names_occur(a, b) && names_occur(b, a),
            Guard::Dates => dates(a) == dates(b),
            Guard::Operations => !contrast::OPERATIONS.contrast(&words(a), &words(b)),
            Guard::Comparisons => !contrast::COMPARISONS.contrast(&words(a), &words(b)),
            Guard::Questions => !contrast::QUESTIONS.contrast(&words(a), &words(b)),
            Guard::ReplacedWord => !replaced::replaced(a, b),
        }
    }
}

/// Why a near match was refused: the guard that refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardRefusal {
    /// The guard that refused.
    pub guard: Guard,
}

impl fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the prompts disagree on {}", self.guard.name())
    }
}

/// The set of guards a semantic cache applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guards {
    on: Vec<Guard>,
}

impl Default for Guards {
    /// The guards the evaluation keeps on: every one. Each refuses near
    /// misses of the tuning part on its own, and together they cost one of
    /// its 85 paraphrases (see the caching guide for what each buys).
    fn default() -> Self {
        Self::all()
    }
}

impl Guards {
    /// Every guard on.
    pub fn all() -> Self {
        Self {
            on: Guard::ALL.to_vec(),
        }
    }

    /// No guard: the cosine alone decides.
    pub fn none() -> Self {
        Self { on: Vec::new() }
    }

    /// These guards and no others.
    pub fn only(guards: &[Guard]) -> Self {
        Self {
            on: guards.to_vec(),
        }
    }

    /// The guards that are on.
    pub fn enabled(&self) -> &[Guard] {
        &self.on
    }

    /// Whether `incoming` may be served the answer stored for `stored`,
    /// as far as the guards can tell (the similarity is checked apart).
    pub fn admits(&self, stored: &str, incoming: &str) -> Result<(), GuardRefusal> {
        if self.on.is_empty() {
            return Ok(());
        }
        let (stored, incoming) = (Prompt::parse(stored), Prompt::parse(incoming));
        match self
            .on
            .iter()
            .find(|guard| !guard.agrees(&stored, &incoming))
        {
            Some(&guard) => Err(GuardRefusal { guard }),
            None => Ok(()),
        }
    }
}

/// The numbers of a prompt, sorted (number words count as their digits).
fn numbers(prompt: &Prompt) -> Vec<&str> {
    let mut numbers: Vec<&str> = prompt
        .words
        .iter()
        .filter(|w| w.number)
        .map(|w| w.norm.as_str())
        .collect();
    numbers.sort_unstable();
    numbers
}

/// How many negation words a prompt has.
fn negations(prompt: &Prompt) -> usize {
    prompt
        .norms()
        .filter(|w| lexicon::NEGATIONS.contains(w))
        .count()
}

/// Whether `a` uses the negated form of a word that `b` uses plainly
/// ("unsafe" where `b` says "safe") and not the plain word itself.
fn negated_form(a: &Prompt, b: &Prompt) -> bool {
    a.norms().any(|word| {
        lexicon::NEGATING_PREFIXES.iter().any(|prefix| {
            word.strip_prefix(prefix)
                .is_some_and(|root| root.len() >= 3 && b.has(root) && !a.has(root) && !b.has(word))
        })
    })
}

/// The words of a prompt with unit letters after a number ("30 C")
/// replaced by the unit's word.
fn unit_words(prompt: &Prompt) -> Vec<&str> {
    let mut words = Vec::with_capacity(prompt.words.len());
    let mut after_number = false;
    for word in &prompt.words {
        let unit = lexicon::UNIT_LETTERS
            .iter()
            .find(|(letter, _)| after_number && *letter == word.norm)
            .map(|(_, unit)| *unit);
        words.push(unit.unwrap_or(&word.norm));
        after_number = word.number;
    }
    words
}

/// Whether every name in `a` occurs in `b`.
fn names_occur(a: &Prompt, b: &Prompt) -> bool {
    a.words.iter().filter(|w| w.named).all(|w| b.has(&w.norm))
}

/// Where a prompt places itself in time, sorted: "today", "next week",
/// "friday", "march", ...
fn dates(prompt: &Prompt) -> Vec<String> {
    let words = &prompt.words;
    let mut dates = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i].norm.as_str();
        let modifier = lexicon::DATE_MODIFIERS
            .iter()
            .find(|(m, _)| *m == word)
            .map(|(_, canonical)| *canonical);
        let placed = words.get(i + 1).map(|w| w.norm.as_str()).filter(|next| {
            lexicon::PERIODS.contains(next)
                || lexicon::WEEKDAYS.contains(next)
                || lexicon::MONTHS.contains(next)
        });
        if let (Some(modifier), Some(period)) = (modifier, placed) {
            dates.push(format!("{modifier} {period}"));
            i += 2;
            continue;
        }
        let month =
            lexicon::MONTHS.contains(&word) && (words[i].named || !matches!(word, "may" | "march"));
        if lexicon::DAY_WORDS.contains(&word) || lexicon::WEEKDAYS.contains(&word) || month {
            dates.push(word.to_owned());
        }
        i += 1;
    }
    dates.sort_unstable();
    dates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_by(guard: Guard, a: &str, b: &str) -> bool {
        Guards::only(&[guard]).admits(a, b).is_err()
    }

    fn admitted_by_all(a: &str, b: &str) -> bool {
        Guards::all().admits(a, b).is_ok()
    }

    #[test]
    fn numbers() {
        assert!(refused_by(
            Guard::Numbers,
            "What is 15% of 240?",
            "What is 15% of 420?"
        ));
        assert!(refused_by(
            Guard::Numbers,
            "Plan a 3-day trip",
            "Plan a 5-day trip"
        ));
        assert!(!refused_by(
            Guard::Numbers,
            "Plan a two-day trip",
            "Plan a 2-day trip"
        ));
        assert!(!refused_by(
            Guard::Numbers,
            "a $300,000 loan",
            "a loan of $300000"
        ));
    }

    #[test]
    fn negation() {
        assert!(refused_by(
            Guard::Negation,
            "Which apps work offline?",
            "Which apps don't work offline?"
        ));
        assert!(refused_by(
            Guard::Negation,
            "a recipe with gluten",
            "a recipe without gluten"
        ));
        assert!(refused_by(
            Guard::Negation,
            "Is it legal to park here?",
            "Is it illegal to park here?"
        ));
        assert!(refused_by(
            Guard::Negation,
            "Why do people like cilantro?",
            "Why do people dislike cilantro?"
        ));
        assert!(!refused_by(
            Guard::Negation,
            "Why doesn't it start?",
            "Why won't it start?"
        ));
        assert!(!refused_by(
            Guard::Negation,
            "How do I install it?",
            "How do I install it now?"
        ));
    }

    #[test]
    fn word_order() {
        assert!(refused_by(
            Guard::WordOrder,
            "Translate this from English to French.",
            "Translate this from French to English."
        ));
        assert!(!refused_by(
            Guard::WordOrder,
            "On Windows, how do I find my IP address?",
            "How do I find my IP address on Windows?"
        ));
    }

    #[test]
    fn units() {
        assert!(refused_by(
            Guard::Units,
            "How many feet are in a mile?",
            "How many yards are in a mile?"
        ));
        assert!(refused_by(
            Guard::Units,
            "Convert 20 C to Kelvin",
            "Convert 20 C to Fahrenheit"
        ));
        assert!(!refused_by(
            Guard::Units,
            "Convert 5 kg to lbs",
            "Convert 5 kilograms to pounds"
        ));
        assert!(!refused_by(
            Guard::Units,
            "Convert 30 C to F",
            "Convert 30 celsius to fahrenheit"
        ));
    }

    #[test]
    fn names() {
        assert!(refused_by(
            Guard::Names,
            "What is the capital of Austria?",
            "What is the capital of Australia?"
        ));
        assert!(refused_by(
            Guard::Names,
            "how do i parse json in kotlin",
            "how do i parse json in swift"
        ));
        assert!(!refused_by(
            Guard::Names,
            "How do I sort a list in Python?",
            "how do i sort a list in python"
        ));
        assert!(!refused_by(
            Guard::Names,
            "Reverse a string in JS",
            "Reverse a string in JavaScript"
        ));
        assert!(!refused_by(
            Guard::Names,
            "Is it OK to freeze rice?",
            "Can I freeze rice?"
        ));
    }

    #[test]
    fn dates() {
        assert!(refused_by(
            Guard::Dates,
            "Which bills are due this week?",
            "Which bills are due next week?"
        ));
        assert!(refused_by(
            Guard::Dates,
            "Book a table for tonight",
            "Book a table for tomorrow night"
        ));
        assert!(refused_by(
            Guard::Dates,
            "What's on for Friday?",
            "What's on for Saturday?"
        ));
        assert!(!refused_by(
            Guard::Dates,
            "Plan meals for the coming week",
            "Plan meals for next week"
        ));
        assert!(!refused_by(
            Guard::Dates,
            "May I ask a question?",
            "Can I ask a question?"
        ));
    }

    #[test]
    fn operations() {
        assert!(refused_by(
            Guard::Operations,
            "Calculate the sum of 3 and 4",
            "Calculate the average of 3 and 4"
        ));
        assert!(refused_by(
            Guard::Operations,
            "How do I upload a file?",
            "How do I download a file?"
        ));
        assert!(!refused_by(
            Guard::Operations,
            "Get rid of duplicate rows",
            "Drop duplicate rows"
        ));
    }

    #[test]
    fn comparisons() {
        assert!(refused_by(
            Guard::Comparisons,
            "Is Python faster than Java?",
            "Is Python slower than Java?"
        ));
        assert!(refused_by(
            Guard::Comparisons,
            "Print the first 5 lines",
            "Print the last 5 lines"
        ));
        assert!(!refused_by(
            Guard::Comparisons,
            "the quickest route",
            "the fastest route"
        ));
    }

    #[test]
    fn questions() {
        assert!(refused_by(
            Guard::Questions,
            "Who invented the telephone?",
            "When was the telephone invented?"
        ));
        assert!(!refused_by(
            Guard::Questions,
            "Why is the sky blue?",
            "What makes the sky blue?"
        ));
    }

    #[test]
    fn paraphrases_pass_every_guard() {
        assert!(admitted_by_all(
            "How do I remove an item from an array in JavaScript?",
            "In JavaScript, how do I remove an item from an array?"
        ));
        assert!(admitted_by_all(
            "Summarize the plot of Hamlet.",
            "Could you please summarize the plot of Hamlet for me?"
        ));
        assert!(admitted_by_all(
            "What causes hiccups?",
            "what causes hicups"
        ));
    }

    #[test]
    fn the_first_refusing_guard_is_named() {
        let refusal = Guards::all().admits("Is 51 prime?", "Is 53 prime?");
        assert_eq!(
            refusal,
            Err(GuardRefusal {
                guard: Guard::Numbers
            })
        );
        assert_eq!(
            refusal.map_err(|r| r.to_string()),
            Err("the prompts disagree on numbers".to_owned())
        );
    }

    #[test]
    fn random_text_never_panics() {
        // A fixed-seed generator over letters, digits, joiners, punctuation
        // and multi-byte characters: the guards read user text.
        const ALPHABET: &[char] = &[
            'a', 'e', 's', 'I', 'T', 'x', '1', '0', '\'', '’', '.', ',', '/', '+', '#', '-', ':',
            '?', ' ', ' ', 'é', 'ß', 'ẞ', 'İ', '中', '😀', '\u{301}',
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % bound as u64).unwrap_or(0)
        };
        for _ in 0..2000 {
            let mut text = || {
                let len = next(24);
                (0..len)
                    .map(|_| ALPHABET[next(ALPHABET.len())])
                    .collect::<String>()
            };
            let (a, b) = (text(), text());
            let _ = Guards::all().admits(&a, &b);
        }
    }

    #[test]
    fn no_guard_admits_anything_and_none_panics_on_odd_text() {
        assert_eq!(Guards::none().admits("sum", "average"), Ok(()));
        for (a, b) in [
            ("", ""),
            ("'", "..."),
            ("ß'ẞ 1,2", "+# é/"),
            ("this", "next"),
        ] {
            let _ = Guards::all().admits(a, b);
        }
    }
}
