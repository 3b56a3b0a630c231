//! The word lists the guards read. Lists compared with a prompt's
//! normalised words are written in normal form (a test checks it); the
//! contrast groups are normalised when first used.

/// Words of one meaning, e.g. `["sum", "total", "add up"]` (a term may be a
/// few words).
pub(super) type Class = &'static [&'static str];

/// Classes that exclude each other, e.g. sum / average / median: two prompts
/// that each use a different class of one group ask different things.
pub(super) type Group = &'static [Class];

/// Capitalised words that name nothing.
pub(super) const NOT_NAMES: &[&str] = &[
    "i", "im", "id", "ive", "ill", "ok", "okay", "hi", "hello", "hey", "thank", "please", "dear",
    "yes", "no",
];

/// Names often written in lower case: programming languages, tools,
/// formats and platforms (after alias resolution; compared with the word in
/// lower case and with its normal form).
pub(super) const KNOWN_NAMES: &[&str] = &[
    "python",
    "javascript",
    "typescript",
    "java",
    "kotlin",
    "haskell",
    "ocaml",
    "elixir",
    "erlang",
    "scala",
    "clojure",
    "php",
    "c++",
    "c#",
    "f#",
    "golang",
    "powershell",
    "bash",
    "zsh",
    "fortran",
    "cobol",
    "matlab",
    "sql",
    "mysql",
    "postgresql",
    "sqlite",
    "mongodb",
    "redis",
    "numpy",
    "pandas",
    "docker",
    "kubernetes",
    "linux",
    "ubuntu",
    "debian",
    "macos",
    "ios",
    "android",
    "iphone",
    "excel",
    "json",
    "yaml",
    "toml",
    "csv",
    "xml",
    "html",
    "css",
    "node.js",
    "django",
    "flask",
    "git",
    "github",
    "gitlab",
    "nginx",
];

/// Other spellings of one word: abbreviations, British spellings, unit
/// symbols. Keys are lower case without apostrophes; values are normal forms.
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("js", "javascript"),
    ("ts", "typescript"),
    ("py", "python"),
    ("golang", "go"),
    ("cpp", "c++"),
    ("csharp", "c#"),
    ("postgres", "postgresql"),
    ("nodejs", "node.js"),
    ("k8s", "kubernetes"),
    ("osx", "macos"),
    ("tyre", "tire"),
    ("tyres", "tire"),
    ("colour", "color"),
    ("colours", "color"),
    ("centre", "center"),
    ("metre", "meter"),
    ("metres", "meter"),
    ("litre", "liter"),
    ("litres", "liter"),
    ("kilometre", "kilometer"),
    ("kilometres", "kilometer"),
    ("centimetre", "centimeter"),
    ("centimetres", "centimeter"),
    ("millimetre", "millimeter"),
    ("millimetres", "millimeter"),
    ("millilitre", "milliliter"),
    ("millilitres", "milliliter"),
    ("kg", "kilogram"),
    ("kgs", "kilogram"),
    ("kilo", "kilogram"),
    ("kilos", "kilogram"),
    ("lb", "pound"),
    ("lbs", "pound"),
    ("oz", "ounce"),
    ("km", "kilometer"),
    ("kms", "kilometer"),
    ("cm", "centimeter"),
    ("mm", "millimeter"),
    ("ml", "milliliter"),
    ("ft", "foot"),
    ("feet", "foot"),
    ("yd", "yard"),
    ("yds", "yard"),
    ("hr", "hour"),
    ("hrs", "hour"),
    ("mins", "minute"),
    ("sec", "second"),
    ("secs", "second"),
    ("tbsp", "tablespoon"),
    ("tsp", "teaspoon"),
    ("gal", "gallon"),
    ("qt", "quart"),
    ("kph", "km/h"),
    ("kmh", "km/h"),
    ("usd", "dollar"),
    ("eur", "euro"),
    ("gbp", "sterling"),
    ("jpy", "yen"),
    ("kb", "kilobyte"),
    ("mb", "megabyte"),
    ("gb", "gigabyte"),
    ("tb", "terabyte"),
    ("vs", "versus"),
];

/// Number words and their digits. "one" is left out: it is more often a
/// pronoun ("which one") than a count.
pub(super) const NUMBER_WORDS: &[(&str, &str)] = &[
    ("zero", "0"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("sixty", "60"),
    ("seventy", "70"),
    ("eighty", "80"),
    ("ninety", "90"),
    ("hundred", "100"),
    ("thousand", "1000"),
    ("million", "1000000"),
    ("billion", "1000000000"),
    ("dozen", "12"),
];

/// Words that negate, contractions without their apostrophe.
pub(super) const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without",
    "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "wouldnt",
    "cant", "couldnt", "shouldnt", "hasnt", "havent", "hadnt", "mustnt", "aint", "neednt", "shant",
];

/// Prefixes that turn a word into its opposite: "safe" / "unsafe",
/// "legal" / "illegal", "like" / "dislike", "lock" / "unlock".
pub(super) const NEGATING_PREFIXES: &[&str] = &["un", "dis", "in", "im", "il", "ir", "non", "de"];

/// Words that carry no role of their own in a sentence's order: a swap of
/// two of these is not a swap of roles.
pub(super) const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "mine", "you", "your", "we", "us", "our", "it", "its",
    "they", "them", "their", "he", "him", "his", "she", "her", "this", "that", "these", "those",
    "do", "doe", "did", "is", "are", "was", "were", "be", "been", "being", "am", "can", "could",
    "would", "should", "will", "shall", "may", "might", "must", "have", "has", "had", "how",
    "what", "which", "who", "whom", "whose", "why", "when", "where", "to", "from", "in", "on",
    "at", "for", "with", "of", "by", "into", "than", "about", "as", "over", "under", "between",
    "after", "before", "and", "or", "but", "if", "so", "then", "there", "here", "please", "kindly",
    "some", "any", "many", "much", "very", "really", "just", "also", "too", "not", "no",
];

/// Words that pin a prompt to a day: today, tomorrow, yesterday, tonight.
pub(super) const DAY_WORDS: &[&str] = &["today", "tonight", "tomorrow", "yesterday"];

/// Words before a period that place it ("next week"), with the word they
/// mean the same as ("coming week" is "next week").
pub(super) const DATE_MODIFIERS: &[(&str, &str)] = &[
    ("this", "this"),
    ("current", "this"),
    ("next", "next"),
    ("coming", "next"),
    ("upcoming", "next"),
    ("last", "last"),
    ("previous", "last"),
    ("past", "last"),
];

/// Periods a modifier can place.
pub(super) const PERIODS: &[&str] = &[
    "day",
    "week",
    "weekend",
    "month",
    "year",
    "quarter",
    "morning",
    "afternoon",
    "evening",
    "night",
    "season",
    "semester",
    "summer",
    "winter",
    "spring",
    "fall",
    "autumn",
];

/// Day names.
pub(super) const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Month names; "may" and "march" count only when capitalised.
pub(super) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Unit letters that mean a unit only right after a number ("30 C"), with
/// the unit's word.
pub(super) const UNIT_LETTERS: &[(&str, &str)] = &[
    ("c", "celsius"),
    ("f", "fahrenheit"),
    ("k", "kelvin"),
    ("m", "meter"),
    ("g", "gram"),
    ("l", "liter"),
    ("s", "second"),
    ("h", "hour"),
];

/// Units of measure and currencies: one group, each unit its own class.
pub(super) const UNITS: &[Group] = &[&[
    &["kilogram"],
    &["gram"],
    &["milligram", "mg"],
    &["pound"],
    &["ounce"],
    &["fluid ounce", "fl oz"],
    &["stone"],
    &["ton", "tonne"],
    &["kilometer"],
    &["meter"],
    &["centimeter"],
    &["millimeter"],
    &["mile"],
    &["foot"],
    &["inch"],
    &["yard"],
    &["acre"],
    &["hectare"],
    &["liter"],
    &["milliliter"],
    &["gallon"],
    &["quart"],
    &["pint"],
    &["cup"],
    &["tablespoon"],
    &["teaspoon"],
    &["celsius", "centigrade"],
    &["fahrenheit"],
    &["kelvin"],
    &["second"],
    &["minute"],
    &["hour"],
    &["day"],
    &["week"],
    &["month"],
    &["year"],
    &["bit"],
    &["byte"],
    &["kilobyte"],
    &["megabyte"],
    &["gigabyte"],
    &["terabyte"],
    &["mph", "mile per hour", "miles an hour"],
    &["km/h", "kilometer per hour", "kilometers an hour"],
    &["dollar"],
    &["euro"],
    &["sterling", "british pound"],
    &["yen"],
    &["yuan", "renminbi"],
    &["rupee"],
    &["franc"],
]];

/// Operations that exclude each other: aggregates, arithmetic, and verbs
/// whose opposite undoes them.
pub(super) const OPERATIONS: &[Group] = &[
    &[
        &["sum", "total", "add up"],
        &["average", "mean", "avg"],
        &["median"],
        &["count", "tally"],
        &["variance"],
        &["standard deviation"],
    ],
    &[
        &["add", "plus", "addition"],
        &["subtract", "minus", "subtraction"],
        &["multiply", "times", "multiplication"],
        &["divide", "division", "divided"],
    ],
    &[
        &["encrypt", "encryption", "encipher"],
        &["decrypt", "decryption"],
    ],
    &[&["encode", "encoding"], &["decode", "decoding"]],
    &[
        &["compress", "zip", "archive"],
        &["decompress", "unzip", "extract", "unpack"],
    ],
    &[&["upload"], &["download"]],
    &[&["import"], &["export"]],
    &[&["push"], &["pull", "fetch"]],
    &[&["buy", "purchase"], &["sell"]],
    &[&["install", "set up", "setup"], &["uninstall", "remove"]],
    &[
        &["start", "launch", "begin"],
        &["stop", "kill", "halt", "terminate"],
    ],
    &[&["open"], &["close", "shut"]],
    &[
        &["enable", "turn on", "activate", "switch on"],
        &["disable", "turn off", "deactivate", "switch off"],
    ],
    &[&["lock"], &["unlock"]],
    &[
        &["add", "insert", "append", "create", "include"],
        &[
            "remove",
            "delete",
            "drop",
            "erase",
            "exclude",
            "get rid of",
            "eliminate",
        ],
    ],
    &[
        &["serialize", "serialise", "marshal"],
        &["deserialize", "deserialise", "unmarshal"],
    ],
    &[&["merge", "combine"], &["split"], &["rebase"]],
    &[
        &["ascending", "asc", "increasing"],
        &["descending", "desc", "decreasing"],
    ],
    &[
        &["increase", "raise", "increment", "boost", "enlarge"],
        &["decrease", "reduce", "decrement", "shrink"],
    ],
    &[&["union"], &["intersection"]],
    &[
        &["accept", "approve"],
        &["decline", "reject", "refuse", "deny"],
    ],
    &[&["win", "beat"], &["lose"]],
    &[&["pass", "succeed"], &["fail"]],
    &[&["send"], &["receive"]],
    &[&["read"], &["write"]],
    &[&["show", "display", "reveal"], &["hide"]],
    &[&["subscribe"], &["unsubscribe"]],
    &[&["follow"], &["unfollow"]],
];

/// Qualities and comparisons that exclude each other.
pub(super) const COMPARISONS: &[Group] = &[
    &[
        &[
            "fast", "faster", "fastest", "quick", "quicker", "quickest", "rapid",
        ],
        &["slow", "slower", "slowest"],
    ],
    &[
        &[
            "big", "bigger", "biggest", "large", "larger", "largest", "huge", "greater", "greatest",
        ],
        &["small", "smaller", "smallest", "little", "tiny"],
    ],
    &[
        &[
            "max", "maximum", "highest", "most", "top", "greatest", "largest", "biggest",
        ],
        &[
            "min", "minimum", "lowest", "least", "fewest", "bottom", "smallest",
        ],
    ],
    &[
        &["high", "higher", "tall", "taller", "tallest"],
        &["low", "lower", "short", "shorter"],
    ],
    &[&["more", "extra"], &["less", "fewer"]],
    &[
        &["heavy", "heavier", "heaviest"],
        &["light", "lighter", "lightest"],
    ],
    &[
        &["hot", "hotter", "hottest", "warm", "warmer", "warmest"],
        &["cold", "colder", "coldest", "cool", "cooler", "coolest"],
    ],
    &[
        &["expensive", "pricey", "costly", "pricier"],
        &["cheap", "cheaper", "cheapest", "inexpensive", "affordable"],
    ],
    &[
        &["good", "better", "best", "great"],
        &["bad", "worse", "worst", "poor"],
    ],
    &[
        &["easy", "easier", "easiest", "simple", "simpler", "simplest"],
        &["hard", "harder", "hardest", "difficult", "tough"],
    ],
    &[
        &["old", "older", "oldest", "elderly"],
        &["young", "younger", "youngest"],
    ],
    &[
        &["long", "longer", "longest"],
        &["short", "shorter", "shortest"],
    ],
    &[
        &["near", "nearer", "nearest", "close", "closer", "closest"],
        &["far", "farther", "farthest", "further", "furthest"],
    ],
    &[
        &["deep", "deeper", "deepest"],
        &["shallow", "shallower", "shallowest"],
    ],
    &[
        &["thick", "thicker", "thickest"],
        &["thin", "thinner", "thinnest"],
    ],
    &[
        &["strong", "stronger", "strongest"],
        &["weak", "weaker", "weakest"],
    ],
    &[
        &["early", "earlier", "earliest"],
        &["late", "later", "latest"],
    ],
    &[
        &["first", "top", "initial", "earliest", "beginning"],
        &["last", "bottom", "final", "latest", "recent", "end"],
    ],
    &[
        &["pro", "advantage", "benefit", "upside", "positive"],
        &[
            "con",
            "disadvantage",
            "drawback",
            "downside",
            "negative",
            "side effect",
        ],
    ],
    &[
        &["symptom", "sign"],
        &["cause"],
        &["treatment", "cure", "remedy"],
        &["prevention", "prevent"],
    ],
    &[
        &["boiling", "boil"],
        &["freezing", "freeze"],
        &["melting", "melt"],
    ],
    &[
        &["safe", "safer", "safest"],
        &["dangerous", "unsafe", "risky", "harmful"],
    ],
    &[
        &["allowed", "permitted", "legal"],
        &["forbidden", "banned", "prohibited", "illegal"],
    ],
    &[&["before", "prior to"], &["after"]],
    &[&["above"], &["below"]],
    &[&["inside", "indoor"], &["outside", "outdoor"]],
    &[&["correct", "right"], &["wrong", "incorrect"]],
    &[&["true"], &["false"]],
    &[&["full"], &["empty"]],
    &[&["wet"], &["dry"]],
    &[&["loud", "louder"], &["quiet", "quieter"]],
    &[&["bright", "brighter"], &["dark", "darker"]],
    &[&["rich", "richer"], &["poor", "poorer"]],
];

/// Question words that ask for different things.
pub(super) const QUESTIONS: &[Group] = &[&[
    &["why", "how come"],
    &["how"],
    &["when", "what time"],
    &["where"],
    &["who", "whom", "whose"],
    &["how much"],
    &["how long"],
    &["how many"],
    &["how often"],
    &["how far"],
    &["how old"],
]];

#[cfg(test)]
mod tests {
    use super::super::prompt::normalise;
    use super::*;

    #[test]
    fn lists_compared_with_normal_forms_are_written_in_normal_form() {
        let lists: [&[&str]; 6] = [
            NOT_NAMES,
            NEGATIONS,
            FUNCTION_WORDS,
            DAY_WORDS,
            PERIODS,
            WEEKDAYS,
        ];
        for word in lists.iter().flat_map(|list| list.iter()) {
            assert_eq!(&normalise(word), word);
        }
        for (alias, canonical) in ALIASES {
            assert_eq!(normalise(alias), normalise(canonical), "{alias}");
        }
        for (_, unit) in UNIT_LETTERS {
            assert_eq!(&normalise(unit), unit);
        }
        for (modifier, canonical) in DATE_MODIFIERS {
            assert_eq!(&normalise(modifier), modifier);
            assert_eq!(&normalise(canonical), canonical);
        }
    }
}
