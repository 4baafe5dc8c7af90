//! The OpenAPI document, generated from the handlers' annotations (`utoipa`), served at
//! `/api/v1/openapi.json`, and a docs page rendered from it on the server (`/api/docs`: plain
//! HTML, no scripts or assets from elsewhere).
//!
//! Every schema is the type that is really parsed or sent (`ingest::TaskInput`,
//! `app::task_doc::TaskDoc`, `error::ErrorBody`, …), so a change to the wire is a change to the
//! document; the integration tests and Schemathesis check both agree.

use super::auth::{Operator, need};
use super::error::ErrorBody;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The error answers any route may give.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// The body is not valid JSON.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// No token, or an unknown or revoked one (or, in the browser, no session).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Signed in without the admin role, a token without the route's scope (`scope` names
    /// it), or (`cross_site`) a browser session's request that did not come from Loupe's own
    /// pages.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such task, endpoint, delivery or route.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The body is larger than the server accepts.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// A body that is not `application/json` (`field` is `Content-Type`).
    #[response(status = 415)]
    NotJson(ErrorBody),
    /// A field broke a rule; `field` and `rule` say which.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// Something failed on the server (logged there; no detail is sent).
    #[response(status = 500)]
    Internal(ErrorBody),
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "token",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("loupe_…")
                        .description(Some(
                            "A token from `loupe token create NAME --scope SCOPE`. Each operation \
                             lists the scope it needs (ingest, read or admin; OpenAPI 3.1 lets a \
                             bearer requirement name them); a token without it gets 403 naming \
                             the scope. Export, webhook and routing routes also accept a \
                             signed-in admin's session cookie.",
                        ))
                        .build(),
                ),
            );
        // The legacy path takes exactly what `POST /api/v1/feedback` takes.
        if let Some(v1) = doc
            .paths
            .paths
            .get("/api/v1/feedback")
            .and_then(|p| p.post.clone())
        {
            let mut legacy = utoipa::openapi::path::PathItem::default();
            let mut op = v1;
            op.operation_id = Some("receive_legacy".into());
            legacy.post = Some(op);
            doc.paths.paths.insert("/feedback".into(), legacy);
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loupe API",
        description = "Send model outputs for human review, learn the verdicts (poll or webhook), \
                       send end-user feedback, read the feedback feed and exports, and manage \
                       webhooks and routing.",
    ),
    paths(
        super::tasks::create,
        super::tasks::show,
        super::tasks::list,
        super::actions::requeue,
        super::actions::resolve,
        super::actions::assign,
        super::actions::prioritize,
        super::actions::escalate,
        super::feedback::receive,
        super::feed::feed,
        super::export::export,
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::delete,
        super::webhooks::deliveries,
        super::webhooks::resend,
        super::routing::list,
        super::routing::show,
        super::routing::put,
        super::routing::reset,
        super::audit::list,
        super::feedback_keys::list,
        super::feedback_keys::create,
        super::feedback_keys::revoke,
        crate::metrics::scrape,
    ),
    components(schemas(app::outbox::WebhookEvent, app::domain::Reason, ErrorBody)),
    modifiers(&Security),
    security(("token" = [])),
    tags(
        (name = "tasks", description = "Outputs sent for review, and their verdicts"),
        (name = "feedback", description = "End-user feedback, the feedback feed, exports"),
        (name = "webhooks", description = "Event delivery to your endpoints"),
        (name = "routing", description = "Which outputs a person must see, per model"),
        (name = "audit", description = "Who changed what: the trail of admin actions"),
        (name = "monitoring", description = "Metrics for Prometheus"),
    )
)]
pub struct ApiDoc;

/// The document as JSON, built once.
pub fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc =
            serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
        describe_scopes(&mut doc);
        doc
    })
}

/// Routes an admin also uses from the browser (they take `Operator`): a session will do too.
const SESSION_TOO: [&str; 6] = [
    "/api/v1/export",
    "/api/v1/requeue",
    "/api/v1/resolve",
    "/api/v1/webhooks",
    "/api/v1/routing",
    "/api/v1/feedback-keys",
];

/// Adds a sentence naming its scope to each operation's description, from the operation's own
/// security requirement, so the prose cannot disagree with the requirement.
fn describe_scopes(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let session = SESSION_TOO.iter().any(|p| path.starts_with(p));
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            let scopes: Vec<String> = op["security"][0]["token"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| format!("`{s}`"))
                        .collect()
                })
                .unwrap_or_default();
            if scopes.is_empty() {
                continue;
            }
            let mut sentence = format!(
                "Scope: {} (a token without it gets 403).",
                scopes.join(", ")
            );
            if session {
                sentence.push_str(" A signed-in admin's session may call it too.");
            }
            let description = match op["description"].as_str() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{sentence}"),
                _ => sentence,
            };
            op["description"] = Value::String(description);
        }
    }
}

/// `GET /api/v1/openapi.json`, for API tokens and admins (like every route).
pub async fn document(_caller: Operator<need::Any>) -> Json<&'static Value> {
    Json(spec())
}

/// `GET /api/docs`: the document as a readable page, for admins (and token holders).
pub async fn docs_page(
    _caller: Operator<need::Any>,
    nonce: Option<axum::Extension<crate::headers::CspNonce>>,
) -> Response {
    let nonce = nonce.map(|n| n.0.0).unwrap_or_default();
    Html(render_docs(spec(), &nonce)).into_response()
}

use app::html::escape;

/// A schema reference or inline schema, shown as its name or as compact JSON.
fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    format!("<code>{}</code>", escape(&schema.to_string()))
}

/// The page, its one inline style carrying this answer's CSP nonce.
fn render_docs(spec: &Value, nonce: &str) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>Loupe API</title><style nonce=\"NONCE\">\
         body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         code,pre{font:14px ui-monospace,monospace}pre{overflow:auto;padding:.5rem;border:1px solid #8886}\
         .op{border-top:1px solid #8886;padding:.5rem 0}.m{font-weight:700;text-transform:uppercase}\
         table{border-collapse:collapse}td,th{border:1px solid #8886;padding:.2rem .5rem;text-align:left}\
         </style></head><body><h1>Loupe API</h1>",
    )
    .replace("NONCE", &escape(nonce));
    let info = &spec["info"];
    out += &format!(
        "<p>{}</p><p>Version {}. Machine-readable: <a href=\"/api/v1/openapi.json\">openapi.json</a>. \
         Every route takes <code>Authorization: Bearer &lt;token&gt;</code> with the scope \
         it names (<code>loupe token create NAME --scope ingest|read|admin</code>).</p>",
        escape(info["description"].as_str().unwrap_or("")),
        escape(info["version"].as_str().unwrap_or(""))
    );
    let empty = serde_json::Map::new();
    let paths = spec["paths"].as_object().unwrap_or(&empty);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            out += &format!(
                "<section class=\"op\"><h2><span class=\"m\">{}</span> <code>{}</code></h2>",
                escape(method),
                escape(path)
            );
            for key in ["summary", "description"] {
                if let Some(text) = op[key].as_str() {
                    out += &format!("<p>{}</p>", escape(text));
                }
            }
            if let Some(params) = op["parameters"].as_array() {
                out +=
                    "<table><tr><th>parameter</th><th>in</th><th>required</th><th>about</th></tr>";
                for p in params {
                    out += &format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(p["name"].as_str().unwrap_or("")),
                        escape(p["in"].as_str().unwrap_or("")),
                        if p["required"].as_bool() == Some(true) {
                            "yes"
                        } else {
                            "no"
                        },
                        escape(p["description"].as_str().unwrap_or(""))
                    );
                }
                out += "</table>";
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (mime, body) in content {
                    out += &format!(
                        "<p>Body ({}): {}</p>",
                        escape(mime),
                        schema_label(&body["schema"])
                    );
                }
            }
            out += "<ul>";
            for (status, res) in op["responses"].as_object().unwrap_or(&empty) {
                let schemas: Vec<String> = res["content"]
                    .as_object()
                    .map(|c| c.values().map(|m| schema_label(&m["schema"])).collect())
                    .unwrap_or_default();
                out += &format!(
                    "<li><b>{}</b> {} {}</li>",
                    escape(status),
                    escape(res["description"].as_str().unwrap_or("")),
                    schemas.join(", ")
                );
            }
            out += "</ul></section>";
        }
    }
    out += "<h2>Schemas</h2>";
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap_or(&empty) {
        out += &format!(
            "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
            escape(name),
            escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
        );
    }
    out += "</body></html>";
    out
}
