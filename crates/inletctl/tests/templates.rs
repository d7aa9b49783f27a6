//! `inletctl webhook preview`, `set-template`, `templates` and `rollback`
//! against a real stack.

mod common;

use common::inletctl;
use inlet_testkit::TestStack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_is_previewed_set_listed_and_rolled_back_from_the_command_line() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let dir = std::env::temp_dir().join(format!("inletctl-{}", inlet_testkit::unique_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let payload = dir.join("payload.json");
    std::fs::write(&payload, r#"{"service": "api", "state": "down"}"#).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"{"message": "**{{ body.service }}** is {{ body.state | upper }}"}"#,
    )
    .unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"message\": \"ok\\n{{ body.n + 'x' }}\"}").unwrap();
    let payload = payload.to_str().unwrap();
    let preview = |template: &std::path::Path| {
        let template = template.to_str().unwrap();
        let args = [
            "webhook",
            "preview",
            &f.webhook_id,
            "--payload",
            payload,
            "--template",
            template,
        ];
        inletctl(&stack, &args)
    };
    let (ok, text) = preview(&good);
    assert!(ok, "{text}");
    assert!(text.contains("**api** is DOWN"), "{text}");
    let (ok, text) = preview(&broken);
    assert!(ok, "{text}");
    assert!(
        text.contains("template_error") && text.contains("line 2"),
        "{text}"
    );
    for file in [&good, &good] {
        let (ok, text) = inletctl(
            &stack,
            &[
                "webhook",
                "set-template",
                &f.webhook_id,
                "--file",
                file.to_str().unwrap(),
            ],
        );
        assert!(ok, "{text}");
    }
    let (ok, text) = inletctl(&stack, &["webhook", "templates", &f.webhook_id]);
    assert!(ok && text.contains("version 2 (active)"), "{text}");
    let (ok, text) = inletctl(&stack, &["webhook", "rollback", &f.webhook_id]);
    assert!(
        ok && text.contains("template version 1 is active"),
        "{text}"
    );
    let (ok, text) = inletctl(
        &stack,
        &["webhook", "preview", &f.webhook_id, "--payload", payload],
    );
    assert!(ok && text.contains("**api** is DOWN"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
    stack.stop().await;
}
