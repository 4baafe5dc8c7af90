//! Review guidelines: written by admins, read by every signed-in person, formatted on the server
//! with everything else escaped.

use crate::helpers::TestApp;
use app::domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn admins_write_guidelines_and_reviewers_read_them_escaped(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rita = app.reviewer("rita").await;
    let first: Value = rita.call("guidelines", &[]).await.unwrap();
    assert!(
        first["html"]
            .as_str()
            .unwrap()
            .starts_with("<h3>What a good summary does</h3><ul>")
    );

    let admin = app.user("ada", Role::Admin).await;
    let saved: Value = admin
        .call(
            "admin/guidelines",
            &[(
                "text",
                "# Numbers\r\n\r\nCheck **every** figure.\r\n- <script>alert(1)</script>",
            )],
        )
        .await
        .unwrap();
    assert_eq!(
        saved["html"],
        "<h3>Numbers</h3><p>Check <strong>every</strong> figure.</p><ul><li>&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>"
    );
    let read: Value = rita.call("guidelines", &[]).await.unwrap();
    assert_eq!(read["html"], saved["html"]);
    assert_eq!(
        read["text"],
        "# Numbers\n\nCheck **every** figure.\n- <script>alert(1)</script>"
    );

    // Too long is named; reviewers may not write; nothing changes either way.
    let long = "x".repeat(50_001);
    let err = admin
        .call::<Value>("admin/guidelines", &[("text", &long)])
        .await
        .unwrap_err();
    assert_eq!(err["Validation"]["field"], "text");
    let err = rita
        .call::<Value>("admin/guidelines", &[("text", "mine now")])
        .await
        .unwrap_err();
    assert_eq!(err, json!("Forbidden"));
    let read: Value = rita.call("guidelines", &[]).await.unwrap();
    assert_eq!(read["html"], saved["html"]);
}
