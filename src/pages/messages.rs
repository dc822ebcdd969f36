//! The pages' `_locales` messages: every name the page code asks for must exist in English
//! and French. The test reads the pages' sources, so a new message cannot be forgotten.

#[cfg(test)]
mod tests {
    use serde_json::Value;

    const SOURCES: &[(&str, &str)] = &[
        ("onboarding.rs", include_str!("onboarding.rs")),
        ("settings.rs", include_str!("settings.rs")),
        ("admin.rs", include_str!("admin.rs")),
        ("ui/components.rs", include_str!("../ui/components.rs")),
        ("popup/mod.rs", include_str!("../popup/mod.rs")),
        ("flow.rs", include_str!("flow.rs")),
        ("mod.rs", include_str!("mod.rs")),
        ("rpc.rs", include_str!("rpc.rs")),
    ];
    const PAGES: &[(&str, &str)] = &[
        (
            "onboarding.html",
            include_str!("../../extension/onboarding.html"),
        ),
        ("admin.html", include_str!("../../extension/admin.html")),
    ];

    fn locale(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    /// String literals in the source that look like message names: camelCase words
    /// starting with one of the pages' prefixes.
    fn names_in(source: &str) -> Vec<String> {
        const PREFIXES: &[&str] = &[
            "onb", "settings", "admin", "err", "page", "progress", "comp", "popup",
        ];
        let mut names = Vec::new();
        for piece in source.split('"').skip(1).step_by(2) {
            let looks_like_name = piece.len() > 3
                && piece.chars().all(|c| c.is_ascii_alphanumeric())
                && piece.chars().any(|c| c.is_ascii_uppercase())
                && PREFIXES.iter().any(|p| {
                    piece.starts_with(p)
                        && piece[p.len()..].starts_with(|c: char| c.is_ascii_uppercase())
                });
            if looks_like_name {
                names.push(piece.to_string());
            }
        }
        names
    }

    #[test]
    fn every_message_the_pages_use_exists_in_english_and_french() {
        let en = locale(include_str!("../../extension/_locales/en/messages.json"));
        let fr = locale(include_str!("../../extension/_locales/fr/messages.json"));
        let mut used: Vec<(String, &str)> = Vec::new();
        for (file, source) in SOURCES {
            used.extend(names_in(source).into_iter().map(|n| (n, *file)));
        }
        for (file, page) in PAGES {
            for piece in page.split("data-i18n=\"").skip(1) {
                let name = piece.split('"').next().unwrap_or_default();
                used.push((name.to_string(), file));
            }
        }
        assert!(used.len() > 100, "only {} names found", used.len());
        for (name, file) in &used {
            for (lang, messages) in [("en", &en), ("fr", &fr)] {
                assert!(
                    messages[name.as_str()]["message"].is_string(),
                    "{name} (used in {file}) is missing in _locales/{lang}"
                );
            }
        }
        // Substitutions ($1…) must match between the languages.
        for (name, _) in &used {
            let count = |v: &Value| {
                let text = v[name.as_str()]["message"].as_str().unwrap_or_default();
                (1..=9).filter(|i| text.contains(&format!("${i}"))).count()
            };
            assert_eq!(
                count(&en),
                count(&fr),
                "{name}: $n differ between en and fr"
            );
        }
    }

    #[test]
    fn the_scanner_finds_names() {
        assert_eq!(
            names_in(r#"t("onbStart"), x("plain"), msg("p", "adminSeats"), "errX""#),
            ["onbStart", "adminSeats", "errX"]
        );
    }
}
