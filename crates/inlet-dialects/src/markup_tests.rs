//! Unit tests of the Slack markup translation, one rule of the dialects.md
//! table each.

use super::*;
use crate::draft::EmptyDirectory;

struct Team;

impl DirectoryView for Team {
    fn user_exists(&self, username: &str) -> bool {
        username == "alice"
    }
    fn channel_name(&self, id: &str) -> Option<String> {
        (id == "C123").then(|| "general".to_string())
    }
    fn username_of(&self, id: &str) -> Option<String> {
        (id == "0f8e2c1a-4b7d-4e21-9c3a-5d6e7f809a1b").then(|| "bob".to_string())
    }
}

fn md(text: &str) -> String {
    run(text, false, true).0
}

fn run(text: &str, emphasis: bool, links: bool) -> (String, Option<serde_json::Value>) {
    let options = Options {
        directory: &Team,
        emphasis,
        links,
    };
    let mut dropped = Dropped::default();
    let out = translate(text, &options, &Path::ROOT.key("text"), &mut dropped);
    (out, dropped.into_value())
}

#[test]
fn links() {
    assert_eq!(md("<https://x.example>"), "<https://x.example>");
    assert_eq!(
        md("<https://x.example|the site>"),
        "[the site](https://x.example)"
    );
    assert_eq!(
        md("<mailto:a@b.example|mail me>"),
        "[mail me](mailto:a@b.example)"
    );
    assert_eq!(
        md("<https://x.example/a b|l>"),
        "[l](<https://x.example/a b>)"
    );
    assert_eq!(
        md("<https://x.example|[1]>"),
        "[\\[1\\]](https://x.example)"
    );
}

#[test]
fn users_and_channels() {
    assert_eq!(md("<@U123|bob>"), "@bob");
    assert_eq!(md("<@alice>"), "@alice");
    assert_eq!(md("<@Alice>"), "@alice");
    assert_eq!(md("<@0f8e2c1a-4b7d-4e21-9c3a-5d6e7f809a1b>"), "@bob");
    // A Slack id nobody here has: shown, never raw, never notifying.
    assert_eq!(md("<@U024BE7LH>"), "`@unknown-user`");
    assert_eq!(md("<#C999|ops>"), "~ops");
    assert_eq!(md("<#C123>"), "~general");
    assert_eq!(md("<#C999>"), "<#C999>");
}

#[test]
fn special_mentions() {
    assert_eq!(
        md("<!here> <!channel> <!everyone> <!group>"),
        "@here @channel @all @channel"
    );
    assert_eq!(md("<!here|here>"), "@here");
    // User groups do not exist here: shown, never notifying.
    assert_eq!(md("<!subteam^S123|@oncall>"), "`@oncall`");
    assert_eq!(md("<!subteam^S123>"), "`@group`");
    assert_eq!(md("<!subteam^S123|@on`call>"), "`@oncall`");
    assert_eq!(md("<!date^1392734382^{date}|Feb 18, 2014>"), "Feb 18, 2014");
    assert_eq!(md("<!foo>"), "<!foo>");
}

#[test]
fn spaces_around_the_bar_are_layout() {
    assert_eq!(
        md("<https://x.example | the docs >"),
        "[the docs](https://x.example)"
    );
    assert_eq!(md("<@U1 | bob>"), "@bob");
}

#[test]
fn entities_are_decoded_last_and_once() {
    assert_eq!(md("a &amp; b &lt;c&gt; &amp;lt;"), "a & b <c> &lt;");
    assert_eq!(md("&lt;!here&gt;"), "<!here>");
    assert_eq!(
        md("<https://x.example/?a=1&amp;b=2|q>"),
        "[q](https://x.example/?a=1&b=2)"
    );
}

#[test]
fn nothing_inside_code() {
    for text in [
        "`<https://x|y>`",
        "```\n<!here> &amp; *b*\n```",
        "``<@U1|bob>``",
    ] {
        assert_eq!(run(text, true, true).0, text);
    }
    assert_eq!(md("<!here> `<!here>`"), "@here `<!here>`");
}

#[test]
fn non_web_links_become_inert_text_and_are_noted() {
    let (out, dropped) = run(
        "<javascript:alert(1)|click> <data:text/html,x>",
        false,
        true,
    );
    assert_eq!(out, "click data:text/html,x");
    let dropped = dropped.unwrap();
    assert_eq!(dropped.as_array().unwrap().len(), 2);
    assert_eq!(dropped[0]["field"], "text");
}

#[test]
fn odd_inputs_pass_through() {
    for text in [
        "<>|<>|",
        "a < b > c",
        "<b>bold</b>",
        "<|>",
        "<a|b|c>",
        "x <",
        "&",
        "&amp",
    ] {
        assert_eq!(md(text), text.replace("&amp;", "&"), "{text}");
    }
}

#[test]
fn titles_translate_mentions_but_not_links() {
    let (out, _) = run("<!here> <https://x|y> <@U1|bob>", false, false);
    assert_eq!(out, "@here <https://x|y> @bob");
}

#[test]
fn emphasis_only_when_asked() {
    assert_eq!(md("*b* _i_ ~s~"), "*b* _i_ ~s~");
    assert_eq!(run("*b* _i_ ~s~", true, true).0, "**b** *i* ~~s~~");
    assert_eq!(run("*<https://x|y>*", true, true).0, "**[y](https://x)**");
}

#[test]
fn an_empty_directory_knows_nobody() {
    let options = Options {
        directory: &EmptyDirectory,
        emphasis: false,
        links: true,
    };
    let mut dropped = Dropped::default();
    let out = translate("<@alice> <#C123>", &options, &Path::ROOT, &mut dropped);
    assert_eq!(out, "`@unknown-user` <#C123>");
}
