//! A login page parsed in time linear in its size, into a [`scraper::Html`] tree so CSS
//! selectors work on it. A hostile target can send a page of 8 MiB: the HTML standard's tree
//! construction is quadratic in the nesting depth (each start tag looks through the stack of
//! open elements), and 80,000 nested `div`s took html5ever 30 s of CPU. So the standard's
//! tokenizer (html5ever's) is kept and the tree is built here with the rule browsers use for
//! depth: Blink's parser stops nesting at 512 levels and adds deeper elements as siblings
//! (the form element pointer keeps their controls in their form); we stop at [`MAX_DEPTH`]
//! and put such controls inside their form. The rest of tree construction is the part a login form needs:
//! void elements, raw text (`script`, `style`, `textarea`, `title`), end tags closing the
//! nearest open element of their name (unmatched ones ignored), and a repeated `li`, `option`,
//! `p`, `tr`, `td`... closing its open sibling. Foster parenting and the adoption agency are
//! not needed to find a form's inputs and are left out.

use std::cell::RefCell;
use std::collections::HashMap;

use ego_tree::NodeId;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, QualName, local_name, ns};
use scraper::Html;
use scraper::node::{Element, Node, Text};

/// Deepest nesting kept; deeper elements become children of the element at this depth
/// (controls of a form opened deeper go inside that form).
pub const MAX_DEPTH: usize = 256;

/// Elements without content (never pushed on the stack of open elements).
const VOID: [LocalName; 14] = [
    local_name!("area"),
    local_name!("base"),
    local_name!("br"),
    local_name!("col"),
    local_name!("embed"),
    local_name!("hr"),
    local_name!("img"),
    local_name!("input"),
    local_name!("link"),
    local_name!("meta"),
    local_name!("param"),
    local_name!("source"),
    local_name!("track"),
    local_name!("wbr"),
];

/// Elements that close an open element of the same name as the current node.
const SELF_CLOSING_SIBLINGS: [LocalName; 9] = [
    local_name!("li"),
    local_name!("option"),
    local_name!("p"),
    local_name!("dt"),
    local_name!("dd"),
    local_name!("tr"),
    local_name!("td"),
    local_name!("th"),
    local_name!("optgroup"),
];

/// Parses `html` into a document tree, in linear time.
pub fn parse_page(html: &str) -> Html {
    let builder = Builder::default();
    let tokenizer = Tokenizer::new(builder, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.state.into_inner().document
}

/// The tree being built and its stack of open elements.
struct State {
    document: Html,
    open: Vec<Open>,
    /// How many elements of each name are open, so an unmatched end tag costs nothing.
    open_names: HashMap<LocalName, usize>,
    /// The open `form` (the standard's form element pointer).
    form: Option<NodeId>,
}

/// An open element: its name, where its children go and how deep that node is.
struct Open {
    name: LocalName,
    /// The element itself, or (beyond [`MAX_DEPTH`]) the node its parent's children go to.
    children_of: NodeId,
    depth: usize,
}

impl Default for State {
    fn default() -> Self {
        State {
            document: Html::new_document(),
            open: Vec::new(),
            open_names: HashMap::new(),
            form: None,
        }
    }
}

#[derive(Default)]
struct Builder {
    state: RefCell<State>,
}

/// Elements a form submits or is submitted by.
const FORM_ASSOCIATED: [LocalName; 4] = [
    local_name!("input"),
    local_name!("button"),
    local_name!("select"),
    local_name!("textarea"),
];

impl State {
    /// Where the next node goes, and that node's depth.
    fn insertion_point(&self) -> (NodeId, usize) {
        self.open.last().map_or_else(
            || (self.document.tree.root().id(), 0),
            |o| (o.children_of, o.depth),
        )
    }

    fn append_to(&mut self, parent: NodeId, node: Node) -> NodeId {
        let mut parent = self
            .document
            .tree
            .get_mut(parent)
            .expect("open elements are in the tree");
        parent.append(node).id()
    }

    fn start(&mut self, name: LocalName, attrs: Vec<html5ever::Attribute>) {
        if SELF_CLOSING_SIBLINGS.contains(&name) && self.open.last().is_some_and(|o| o.name == name)
        {
            self.pop();
        }
        let (mut parent, mut depth) = self.insertion_point();
        // Flattened nesting must not take a control out of its form: it goes in the form.
        if let Some(form) = self.form
            && depth >= MAX_DEPTH
            && FORM_ASSOCIATED.contains(&name)
        {
            (parent, depth) = (form, MAX_DEPTH);
        }
        let qual = QualName::new(None, ns!(html), name.clone());
        let id = self.append_to(parent, Node::Element(Element::new(qual, attrs)));
        if name == local_name!("form") && self.form.is_none() {
            self.form = Some(id);
        }
        if VOID.contains(&name) {
            return;
        }
        // Beyond the cap the element's children become its siblings (Blink's rule).
        let open = if depth < MAX_DEPTH {
            Open {
                name: name.clone(),
                children_of: id,
                depth: depth + 1,
            }
        } else {
            Open {
                name: name.clone(),
                children_of: parent,
                depth,
            }
        };
        self.open.push(open);
        *self.open_names.entry(name).or_default() += 1;
    }

    fn end(&mut self, name: &LocalName) {
        if *name == local_name!("form") {
            self.form = None;
        }
        if self.open_names.get(name).copied().unwrap_or(0) == 0 {
            return;
        }
        while let Some(open) = self.pop() {
            if open.name == *name {
                break;
            }
        }
    }

    fn pop(&mut self) -> Option<Open> {
        let popped = self.open.pop()?;
        if let Some(n) = self.open_names.get_mut(&popped.name) {
            *n -= 1;
        }
        Some(popped)
    }

    fn text(&mut self, text: StrTendril) {
        let (current, _) = self.insertion_point();
        let mut node = self
            .document
            .tree
            .get_mut(current)
            .expect("open elements are in the tree");
        // Adjacent character tokens join one text node (tokenizers split text at will).
        if let Some(mut last) = node.last_child()
            && let Node::Text(t) = last.value()
        {
            t.text.push_tendril(&text);
            return;
        }
        node.append(Node::Text(Text { text }));
    }
}

impl TokenSink for Builder {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let raw = raw_kind(&tag.name);
                state.start(tag.name, tag.attrs);
                if let Some(raw) = raw {
                    return raw;
                }
            }
            Token::TagToken(tag) => state.end(&tag.name),
            Token::CharacterTokens(text) => state.text(text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// How the tokenizer reads the content of an element whose content is not markup.
fn raw_kind(name: &LocalName) -> Option<TokenSinkResult<()>> {
    let kind = match *name {
        local_name!("script") => RawKind::ScriptData,
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes") => RawKind::Rawtext,
        local_name!("textarea") | local_name!("title") => RawKind::Rcdata,
        local_name!("plaintext") => return Some(TokenSinkResult::Plaintext),
        _ => return None,
    };
    Some(TokenSinkResult::RawData(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;
    use std::time::{Duration, Instant};

    fn names(page: &Html, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        page.select(&sel)
            .map(|e| e.value().attr("name").unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn forms_inputs_and_entities_are_read() {
        let page = parse_page(
            "<!doctype html><html><head><title>a <b></title><script>if (a<b) {}</script></head>\
             <body><form action=/login method=post><p>User <input name=username>\
             <p>Password <input type=password name=password value=\"a&amp;b\">\
             <button name=decision value=approve>Go</button></form></body></html>",
        );
        assert_eq!(names(&page, "form input"), ["username", "password"]);
        assert_eq!(
            names(&page, "form > p > input[type=password]"),
            ["password"]
        );
        let sel = Selector::parse("input[type=password]").unwrap();
        let pw = page.select(&sel).next().unwrap();
        assert_eq!(pw.value().attr("value"), Some("a&b"));
        let sel = Selector::parse("title").unwrap();
        let title: String = page.select(&sel).next().unwrap().text().collect();
        assert_eq!(title, "a <b>", "title is text, not markup");
        assert!(
            names(&page, "b").is_empty(),
            "no <b> parsed out of script or title"
        );
    }

    #[test]
    fn unmatched_and_misnested_end_tags_do_not_lose_inputs() {
        let page = parse_page(
            "<form></span><div><input name=a></form><input name=b></div></form><input name=c>",
        );
        assert_eq!(names(&page, "input"), ["a", "b", "c"]);
        assert_eq!(names(&page, "form input"), ["a"]);
    }

    #[test]
    fn a_repeated_list_item_closes_its_open_sibling() {
        let page = parse_page("<ul><li>a<li>b<li>c</ul><p>x<p>y");
        let sel = Selector::parse("ul > li").unwrap();
        assert_eq!(page.select(&sel).count(), 3);
        let sel = Selector::parse("p p").unwrap();
        assert_eq!(page.select(&sel).count(), 0);
    }

    #[test]
    fn nesting_deeper_than_the_cap_is_flattened_not_lost() {
        let depth = MAX_DEPTH * 3;
        let html = format!(
            "<form>{}<input name=deep>{}</form><input name=after>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let page = parse_page(&html);
        assert_eq!(names(&page, "form input"), ["deep"]);
        assert_eq!(names(&page, "input"), ["deep", "after"]);
        // A form opened below the cap keeps its controls.
        let html = format!(
            "{}<form><div><input name=user><button name=go value=1>Go</button></div></form><input name=out>",
            "<div>".repeat(depth)
        );
        let page = parse_page(&html);
        assert_eq!(names(&page, "form input, form button"), ["user", "go"]);
        assert_eq!(names(&page, "input"), ["user", "out"]);
    }

    /// 80,000 nested `div`s took html5ever's tree builder 30 s; this parser's cost grows with
    /// the size, not with the square of the depth. (Ratios, not a timed budget: a doubled
    /// page must not take four times as long.)
    #[test]
    fn deep_nesting_costs_linear_time() {
        fn time(n: usize) -> Duration {
            let html = format!("<form>{}<input name=password></form>", "<div>".repeat(n));
            let started = Instant::now();
            let page = parse_page(&html);
            assert_eq!(names(&page, "input"), ["password"]);
            started.elapsed()
        }
        time(10_000);
        let small = (0..3).map(|_| time(40_000)).min().unwrap();
        let large = (0..3).map(|_| time(160_000)).min().unwrap();
        assert!(
            large < small * 10,
            "4x the page took {:.1}x as long ({small:?} -> {large:?})",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}
