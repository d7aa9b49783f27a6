//! The web viewer (decision 23): one page and its static assets, compiled
//! into the binary from `assets/` and served without a token, since they
//! hold no data; the page's own calls to the API carry the reader's token.
//!
//! Every answer forbids what the page never needs: inline scripts and
//! styles, other origins, framing. Assets are revalidated on each load
//! (`no-cache` with a content-hash `ETag`), so an upgraded binary is picked
//! up at once and an unchanged asset costs a `304`.

use crate::error::ApiError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// Scripts, styles, images and connections from this origin only; nothing
/// inline, no plugins, no framing, no `<base>` or form tricks.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    content_type: &'static str,
    body: &'static [u8],
}

const PAGE: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_bytes!("../assets/index.html"),
};

/// What `/assets/{file}` serves, by file name.
const ASSETS: [(&str, Asset); 9] = [
    ("app.js", script(include_bytes!("../assets/app.js"))),
    (
        "webhooks.js",
        script(include_bytes!("../assets/webhooks.js")),
    ),
    (
        "template-editor.js",
        script(include_bytes!("../assets/template-editor.js")),
    ),
    ("stream.js", script(include_bytes!("../assets/stream.js"))),
    ("posts.js", script(include_bytes!("../assets/posts.js"))),
    (
        "markdown.js",
        script(include_bytes!("../assets/markdown.js")),
    ),
    // Written by build.rs from the `emojis` crate.
    (
        "emoji.js",
        script(include_bytes!(concat!(env!("OUT_DIR"), "/emoji.js"))),
    ),
    (
        "style.css",
        Asset {
            content_type: "text/css; charset=utf-8",
            body: include_bytes!("../assets/style.css"),
        },
    ),
    (
        "favicon.svg",
        Asset {
            content_type: "image/svg+xml",
            body: include_bytes!("../assets/favicon.svg"),
        },
    ),
];

/// A JavaScript module of the page.
const fn script(body: &'static [u8]) -> Asset {
    Asset {
        content_type: "text/javascript; charset=utf-8",
        body,
    }
}

/// The web viewer's page: sign in with a token, pick a channel, watch it live.
#[utoipa::path(get, path = "/", tag = "viewer",
    responses((status = 200, content_type = "text/html", body = String, description = "the viewer's page; no token needed"),
              (status = 304, description = "unchanged since the `ETag` given in `If-None-Match`")))]
pub async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, &PAGE)
}

/// A static file of the web viewer: its JavaScript modules, `style.css`, `favicon.svg`.
#[utoipa::path(get, path = "/assets/{file}", tag = "viewer", params(("file" = String, Path)),
    responses((status = 200, description = "the file; no token needed"),
              (status = 304, description = "unchanged since the `ETag` given in `If-None-Match`"),
              (status = 404, description = "no such file")))]
pub async fn asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, asset) = ASSETS
        .iter()
        .find(|(name, _)| *name == file.as_str())
        .ok_or_else(|| ApiError::NotFound("no such asset".into()))?;
    Ok(serve(&req, asset))
}

fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let etag = etag(asset.body);
    let mut response = if matches_etag(req, &etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// A strong validator from the content: 16 hex digits of its SHA-256.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..8]))
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak forms match too,
/// as a GET may compare weakly.
fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_page_loads_only_scripts_and_styles_from_files() {
        let page = std::str::from_utf8(PAGE.body).unwrap();
        for tag in page.split("<script").skip(1) {
            let tag = tag.split('>').next().unwrap();
            assert!(
                tag.contains("src=\"/assets/"),
                "inline script: <script{tag}>"
            );
        }
        assert!(!page.contains("<style"), "inline style block");
        assert!(!page.contains("style=\""), "inline style attribute");
        let handler = page.match_indices(" on").find(|(at, _)| {
            let name: String = page[at + 3..]
                .chars()
                .take_while(char::is_ascii_lowercase)
                .collect();
            page[at + 3 + name.len()..].starts_with('=')
        });
        assert!(handler.is_none(), "inline event handler at {handler:?}");
    }

    #[test]
    fn every_module_a_script_imports_is_served() {
        for (name, asset) in &ASSETS {
            let text = std::str::from_utf8(asset.body).unwrap();
            for import in text.split(" from './").skip(1) {
                let file = import.split('\'').next().unwrap();
                assert!(
                    ASSETS.iter().any(|(served, _)| *served == file),
                    "{name} imports {file}, which is not served"
                );
            }
        }
    }

    #[test]
    fn the_emoji_table_maps_shortcodes_to_emoji() {
        let (_, asset) = ASSETS.iter().find(|(name, _)| *name == "emoji.js").unwrap();
        let table = std::str::from_utf8(asset.body).unwrap();
        for entry in [
            r#"["tada", "🎉"]"#,
            r#"["white_check_mark", "✅"]"#,
            r#"["+1", "👍"]"#,
        ] {
            assert!(table.contains(entry), "{entry} missing from emoji.js");
        }
    }

    #[test]
    fn the_policy_forbids_inline_script() {
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }

    #[test]
    fn if_none_match_matches_the_etag_in_a_list_or_weak() {
        let etag = etag(b"x");
        for header in [etag.clone(), format!("\"other\", W/{etag}"), "*".into()] {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, header.as_str()))
                .to_http_request();
            assert!(matches_etag(&req, &etag), "{header}");
        }
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"other\""))
            .to_http_request();
        assert!(!matches_etag(&req, &etag));
    }
}
