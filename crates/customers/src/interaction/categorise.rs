//! Picking a category for an interaction that arrives without one.
//!
//! Pure: the rules are loaded once per request and applied to every
//! interaction of it. The first active rule in priority order (lowest
//! first, then id) whose channel matches (or is unset) and one of whose
//! keywords occurs in the subject or the summary wins. A keyword matches as
//! whole words, case-insensitively: `service` matches "Service due?" but not
//! "servicing"; the phrase `oil change` matches "OIL-change" and "oil  change".

use super::api::InteractionChannel;

/// One rule, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule's id (breaks priority ties).
    pub id: String,
    /// The category it assigns.
    pub category_id: String,
    /// Only this channel; `None`: every channel.
    pub channel: Option<InteractionChannel>,
    /// Lower first.
    pub priority: i32,
    /// Each keyword as its sequence of words.
    keywords: Vec<Vec<String>>,
}

impl Rule {
    /// A rule matching `keywords` (words or phrases, any case).
    pub fn new(
        id: String,
        category_id: String,
        channel: Option<InteractionChannel>,
        priority: i32,
        keywords: &[String],
    ) -> Self {
        let keywords = keywords.iter().map(|k| words(k)).filter(|w| !w.is_empty()).collect();
        Self { id, category_id, channel, priority, keywords }
    }

    fn matches(&self, channel: InteractionChannel, texts: &[Vec<String>]) -> bool {
        self.channel.is_none_or(|c| c == channel)
            && self.keywords.iter().any(|k| texts.iter().any(|t| contains_phrase(t, k)))
    }
}

/// The active rules in the order they are tried.
#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Rule>);

impl Rules {
    /// Orders `rules` by priority, then id. Pass active rules of active
    /// categories only.
    pub fn new(mut rules: Vec<Rule>) -> Self {
        rules.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
        Self(rules)
    }

    /// The category of the first matching rule, if any.
    pub fn categorise(
        &self,
        channel: InteractionChannel,
        subject: Option<&str>,
        summary: Option<&str>,
    ) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        // Subject and summary are matched separately, so a phrase never
        // spans from one into the other.
        let texts: Vec<Vec<String>> = [subject, summary].into_iter().flatten().map(words).collect();
        self.0.iter().find(|r| r.matches(channel, &texts)).map(|r| r.category_id.as_str())
    }
}

/// The lower-cased words of `text`: runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn contains_phrase(text: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && text.windows(phrase.len()).any(|w| w == phrase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InteractionChannel::{Call, Email, Whatsapp};

    fn rule(id: &str, category: &str, channel: Option<InteractionChannel>, priority: i32, keywords: &[&str]) -> Rule {
        let keywords: Vec<String> = keywords.iter().map(|k| (*k).to_owned()).collect();
        Rule::new(id.to_owned(), category.to_owned(), channel, priority, &keywords)
    }

    #[test]
    fn matches_whole_words_case_insensitively() {
        let rules = Rules::new(vec![rule("r1", "service", None, 10, &["service"])]);
        assert_eq!(rules.categorise(Call, Some("SERVICE due?"), None), Some("service"));
        assert_eq!(rules.categorise(Call, None, Some("asked about (service).")), Some("service"));
        assert_eq!(rules.categorise(Call, Some("servicing the car"), None), None);
        assert_eq!(rules.categorise(Call, Some("selfservice"), None), None);
        assert_eq!(rules.categorise(Call, None, None), None);
    }

    #[test]
    fn phrases_match_as_consecutive_words() {
        let rules = Rules::new(vec![rule("r1", "service", None, 10, &["Oil Change"])]);
        assert_eq!(rules.categorise(Call, Some("needs an OIL-change soon"), None), Some("service"));
        assert_eq!(rules.categorise(Call, Some("oil   change"), None), Some("service"));
        assert_eq!(rules.categorise(Call, Some("change the oil"), None), None);
        // Not across subject and summary.
        assert_eq!(rules.categorise(Call, Some("oil"), Some("change")), None);
    }

    #[test]
    fn lowest_priority_wins_then_id() {
        let rules = Rules::new(vec![
            rule("r3", "late", None, 50, &["car"]),
            rule("r2", "second", None, 10, &["car"]),
            rule("r1", "first", None, 10, &["car"]),
        ]);
        assert_eq!(rules.categorise(Email, Some("my car"), None), Some("first"));
    }

    #[test]
    fn channel_must_match_or_be_unset() {
        let rules = Rules::new(vec![
            rule("r1", "whatsapp_only", Some(Whatsapp), 1, &["price"]),
            rule("r2", "any", None, 2, &["price"]),
        ]);
        assert_eq!(rules.categorise(Whatsapp, Some("price?"), None), Some("whatsapp_only"));
        assert_eq!(rules.categorise(Call, Some("price?"), None), Some("any"));
    }

    #[test]
    fn any_keyword_of_a_rule_is_enough_and_unicode_is_folded() {
        let rules = Rules::new(vec![rule("r1", "complaint", None, 1, &["refund", "ÉCHEC"])]);
        assert_eq!(rules.categorise(Call, Some("Échec de livraison"), None), Some("complaint"));
        assert_eq!(rules.categorise(Call, None, Some("wants a refund!")), Some("complaint"));
        assert_eq!(Rules::default().categorise(Call, Some("refund"), None), None);
    }

    #[test]
    fn words_split_on_anything_but_letters_and_digits() {
        assert_eq!(words("Hello, World-2026!"), ["hello", "world", "2026"]);
        assert!(words(" -- ").is_empty());
    }
}
