//! The submit controls a login driver presses on a login or consent page, as a profile names
//! them: by `name` and `value`, by visible text, or by CSS selector (`[login] approve`,
//! `deny`, `login_button`).

use scraper::{ElementRef, Selector};
use serde::Deserialize;

/// A submit control (a `button` or an `input type=submit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Its `name` and `value` attributes.
    Named(String, String),
    /// Its visible text (a button's text, a submit input's value), whitespace-normalised and
    /// compared ignoring ASCII case.
    Text(String),
    /// A CSS selector it matches.
    Css(String),
}

/// A control as a profile writes it: `{ name = "decision", value = "approve" }`,
/// `{ text = "Allow" }` or `{ selector = "#allow" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSpec {
    pub name: Option<String>,
    pub value: Option<String>,
    pub text: Option<String>,
    pub selector: Option<String>,
}

impl ControlSpec {
    /// The control, or why the table names none (or more than one).
    pub fn control(&self, field: &str) -> Result<Control, String> {
        match (&self.name, &self.value, &self.text, &self.selector) {
            (Some(n), Some(v), None, None) => Ok(Control::Named(n.clone(), v.clone())),
            (None, None, Some(t), None) if !normalise(t).is_empty() => {
                if t.contains('\'') && t.contains('"') {
                    return Err(format!("[login] {field}: text with both quote kinds"));
                }
                Ok(Control::Text(t.clone()))
            }
            (None, None, None, Some(css)) => Selector::parse(css)
                .map(|_| Control::Css(css.clone()))
                .map_err(|e| format!("[login] {field}: bad CSS selector `{css}`: {e}")),
            _ => Err(format!(
                "[login] {field}: give `name` and `value`, or `text`, or `selector`"
            )),
        }
    }
}

impl Control {
    /// Whether `e` is this control (the caller gives only submit controls).
    pub fn matches(&self, e: &ElementRef) -> bool {
        let attr = |a: &str| e.value().attr(a).unwrap_or_default();
        match self {
            Control::Named(name, value) => attr("name") == name && attr("value") == value,
            Control::Text(text) => {
                normalise(&visible_text(e)).eq_ignore_ascii_case(&normalise(text))
            }
            Control::Css(css) => Selector::parse(css).is_ok_and(|s| s.matches(e)),
        }
    }

    /// An XPath expression for it (the browser driver finds it in the live page).
    pub fn xpath(&self) -> String {
        let controls = "//button | //input[@type='submit']";
        match self {
            Control::Named(name, value) => format!(
                "//*[(self::button or self::input[@type='submit']) and @name={} and @value={}]",
                xpath_string(name),
                xpath_string(value)
            ),
            Control::Text(text) => {
                let lower = "translate(normalize-space({}), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
                             'abcdefghijklmnopqrstuvwxyz')";
                let wanted = xpath_string(&normalise(text).to_ascii_lowercase());
                format!(
                    "//button[{} = {wanted}] | //input[@type='submit' and {} = {wanted}]",
                    lower.replace("{}", "."),
                    lower.replace("{}", "@value")
                )
            }
            // CSS goes to the browser as CSS: see [`Control::css`].
            Control::Css(_) => controls.to_string(),
        }
    }

    /// The selector, for a control given as CSS.
    pub fn css(&self) -> Option<&str> {
        match self {
            Control::Css(css) => Some(css),
            _ => None,
        }
    }
}

/// What a control shows: a button's text, a submit input's value.
fn visible_text(e: &ElementRef) -> String {
    if e.value().name().eq_ignore_ascii_case("input") {
        e.value().attr("value").unwrap_or_default().to_string()
    } else {
        e.text().collect()
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An XPath 1.0 string literal (texts with both quote kinds are refused at load).
fn xpath_string(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::html_page::parse_page;

    fn controls(html: &str, control: &Control) -> Vec<String> {
        let page = parse_page(html);
        let sel = Selector::parse("button, input[type=submit]").unwrap();
        page.select(&sel)
            .filter(|e| control.matches(e))
            .map(|e| e.value().attr("id").unwrap_or_default().to_string())
            .collect()
    }

    const PAGE: &str = "<form><button id=a name=decision value=approve> Allow\n access </button>\
        <input id=b type=submit name=decision value=Deny>\
        <button id=c class='btn primary'>Sign in</button></form>";

    #[test]
    fn controls_match_by_name_text_or_selector() {
        let named = Control::Named("decision".into(), "approve".into());
        assert_eq!(controls(PAGE, &named), ["a"]);
        assert_eq!(controls(PAGE, &Control::Text("allow ACCESS".into())), ["a"]);
        assert_eq!(controls(PAGE, &Control::Text("deny".into())), ["b"]);
        assert_eq!(
            controls(PAGE, &Control::Css("button.primary".into())),
            ["c"]
        );
        assert!(
            controls(PAGE, &Control::Text("Allow".into())).is_empty(),
            "whole text"
        );
    }

    #[test]
    fn a_profile_names_exactly_one_kind_of_control() {
        let spec =
            |name: Option<&str>, value: Option<&str>, text: Option<&str>, css: Option<&str>| {
                ControlSpec {
                    name: name.map(String::from),
                    value: value.map(String::from),
                    text: text.map(String::from),
                    selector: css.map(String::from),
                }
                .control("approve")
            };
        assert_eq!(
            spec(None, None, Some("OK"), None),
            Ok(Control::Text("OK".into()))
        );
        assert!(spec(Some("d"), Some("v"), None, None).is_ok());
        assert!(
            spec(Some("d"), None, None, None).is_err(),
            "name without value"
        );
        assert!(
            spec(None, None, Some("OK"), Some("#ok")).is_err(),
            "two kinds"
        );
        assert!(spec(None, None, Some("  "), None).is_err(), "blank text");
        let bad = spec(None, None, None, Some("button[")).unwrap_err();
        assert!(bad.contains("bad CSS selector"), "{bad}");
        assert!(spec(None, None, Some("it's \"ok\""), None).is_err());
    }

    #[test]
    fn xpath_finds_the_same_controls() {
        let named = Control::Named("decision".into(), "approve".into()).xpath();
        assert!(
            named.contains("@name='decision' and @value='approve'"),
            "{named}"
        );
        let text = Control::Text("Don't  allow".into()).xpath();
        assert!(text.contains("\"don't allow\""), "{text}");
        assert!(
            text.starts_with("//button[translate(normalize-space(.)"),
            "{text}"
        );
    }
}
