//! Writes the viewer's emoji table (`assets/emoji.js` as served) from the
//! `emojis` crate's data: GitHub's shortcodes (gemoji), kept up to date by
//! upgrading the crate rather than by editing a table here.

use std::fmt::Write;

fn main() {
    let mut table = String::from(
        "// Emoji by shortcode (GitHub's, from the `emojis` crate), written by\n\
         // crates/inlet-api/build.rs: do not edit.\n\
         export const EMOJI = new Map([\n",
    );
    for emoji in emojis::iter() {
        for shortcode in emoji.shortcodes() {
            // Debug quoting escapes as JavaScript reads it: `\"`, `\\`, `\u{…}`.
            writeln!(table, "  [{shortcode:?}, {:?}],", emoji.as_str()).expect("write to a String");
        }
    }
    table.push_str("]);\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/emoji.js"), table).expect("write emoji.js");
    println!("cargo::rerun-if-changed=build.rs");
}
