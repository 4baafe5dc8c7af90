//! The demo data set: fifteen short documents (news, support tickets, contracts, research notes),
//! each summarised by two versions of a summariser, with varied confidences, some flagged and
//! some summaries carrying the typical faults (an invented number, an omission, a wrong emphasis),
//! so a new user sees a realistic queue at once. Loading is idempotent (`demo-NN` external ids).

use crate::generate;
use crate::ingest::{self, NewTask};
use serde_json::{Map, Value, json};
use sqlx::PgPool;

struct Doc {
    kind: &'static str,
    text: &'static str,
    /// (summary, confidence, flagged) from model version 2.3, then 2.4.
    summaries: [(&'static str, f64, bool); 2],
}

const DOCS: &[Doc] = &[
    Doc {
        kind: "news",
        text: "The city council of Marlow voted 7 to 2 on Tuesday to approve a new bus rapid transit line connecting the northern suburbs with the central station. The project, estimated at 84 million euros, will be funded jointly by the regional government and a European infrastructure grant. Construction is scheduled to begin in March next year and should take about 30 months. Opponents on the council argued that the route would remove 400 parking spaces along Harbour Road and hurt local shops. The mayor said a compensation fund for affected businesses would be set up before work starts.",
        summaries: [
            (
                "Marlow's council approved an 84 million euro bus rapid transit line, 7 votes to 2. Construction starts in March and lasts about 30 months; critics worry about lost parking on Harbour Road, and the mayor promised a fund for affected shops.",
                0.91,
                false,
            ),
            (
                "Marlow's council unanimously approved a 48 million euro tram line to the airport, starting construction next month.",
                0.58,
                false,
            ),
        ],
    },
    Doc {
        kind: "support_ticket",
        text: "Customer reports that since the update to version 5.2 of the mobile app, push notifications for delivery updates no longer arrive on Android 14 devices. Notifications still work on iOS. The customer has reinstalled the app twice and checked that notifications are enabled in system settings. They rely on the alerts because their building has no concierge and parcels are returned if nobody answers within ten minutes. They ask for a fix or a workaround and mention they will cancel the subscription if parcels keep being returned.",
        summaries: [
            (
                "After the 5.2 update, delivery push notifications stopped on Android 14 (iOS unaffected). Reinstalling did not help; the customer depends on them to receive parcels and threatens to cancel.",
                0.88,
                false,
            ),
            (
                "Customer cannot log in to the app on iOS after the update and wants a refund.",
                0.41,
                true,
            ),
        ],
    },
    Doc {
        kind: "contract",
        text: "This services agreement between Northwind Logistics and Calder Analytics runs for 24 months from 1 February. Calder will provide monthly demand forecasts for Northwind's twelve warehouses. Fees are 18,000 euros per month, invoiced quarterly in advance. Either party may terminate with 90 days' written notice after the first 12 months. Calder's liability is capped at the fees paid in the previous 6 months, except for breaches of confidentiality. All forecast data remains Northwind's property, and Calder must delete it within 30 days of termination.",
        summaries: [
            (
                "24-month agreement from 1 February: Calder forecasts demand for Northwind's 12 warehouses for 18,000 euros a month, invoiced quarterly. Termination with 90 days' notice after year one; liability capped at 6 months of fees except confidentiality breaches; Northwind owns the data, deleted within 30 days of termination.",
                0.86,
                false,
            ),
            (
                "Calder provides forecasts for Northwind for 18,000 euros per month. Either party may terminate at any time.",
                0.72,
                false,
            ),
        ],
    },
    Doc {
        kind: "research_note",
        text: "In a randomised trial of 1,240 adults with mild hypertension, participants who reduced daily salt intake by 2 grams for 16 weeks lowered their systolic blood pressure by an average of 4.1 mmHg compared with the control group. The effect was larger in participants over 60 (6.3 mmHg). Adherence was measured with urine sodium tests and was 71 percent at the end of the study. The authors caution that the trial did not measure long-term cardiovascular outcomes and that the study population was drawn from a single region.",
        summaries: [
            (
                "A 16-week trial in 1,240 adults with mild hypertension found that cutting 2 g of salt a day lowered systolic pressure by 4.1 mmHg on average (6.3 mmHg over age 60). Adherence was 71%; long-term outcomes were not measured and all participants came from one region.",
                0.83,
                false,
            ),
            (
                "Cutting salt prevents heart attacks, according to a trial of 1,240 adults, with the largest benefit for young people.",
                0.64,
                false,
            ),
        ],
    },
    Doc {
        kind: "news",
        text: "Heavy rain caused the river Elne to burst its banks early on Sunday, flooding around 300 homes in the villages of Brisk and Ormond. Emergency services evacuated 850 residents to schools and a sports hall; no injuries were reported. The regional rail line between Ormond and Castlegate is closed until further notice after part of the embankment was washed away. Forecasters expect the water level to fall from Tuesday, but warn that more rain is possible later in the week.",
        summaries: [
            (
                "The Elne flooded about 300 homes in Brisk and Ormond on Sunday; 850 residents were evacuated and nobody was hurt. The Ormond-Castlegate railway is closed after embankment damage, and water should recede from Tuesday though more rain may come.",
                0.94,
                false,
            ),
            (
                "Floods in Brisk and Ormond forced 850 people from their homes; two people were injured and the rail line reopens Monday.",
                0.66,
                false,
            ),
        ],
    },
    Doc {
        kind: "support_ticket",
        text: "Invoice INV-20931 was charged twice to the customer's company credit card on the 3rd, for 1,450 euros each time. The customer attached both bank statement lines. Their finance team needs the duplicate refunded before the month-end close on the 28th, and asks for a corrected statement for their auditors. They also want to know why the duplicate happened, since it is the second time this year.",
        summaries: [
            (
                "Invoice INV-20931 (1,450 euros) was charged twice on the 3rd. The customer wants the duplicate refunded before their month-end close on the 28th, a corrected statement for auditors, and an explanation since it happened before this year.",
                0.9,
                false,
            ),
            (
                "The customer was charged twice for invoice INV-20931 and wants a refund.",
                0.77,
                false,
            ),
        ],
    },
    Doc {
        kind: "policy",
        text: "From 1 April, employees may work remotely up to three days per week, subject to their manager's approval. Teams must agree on at least one common office day. Remote work from another country is limited to 20 working days per year and requires prior approval from HR because of tax and insurance rules. Equipment for home offices is reimbursed up to 500 euros once every three years on presentation of receipts. The policy will be reviewed after six months.",
        summaries: [
            (
                "From 1 April staff may work remotely up to 3 days a week with manager approval, with one shared team office day. Working from abroad is capped at 20 days a year and needs HR approval; home-office equipment is reimbursed up to 500 euros every 3 years. Review after 6 months.",
                0.87,
                false,
            ),
            (
                "Employees can now work fully remotely from any country, and the company reimburses home-office equipment.",
                0.35,
                true,
            ),
        ],
    },
    Doc {
        kind: "earnings",
        text: "Fenwick Foods reported third-quarter revenue of 412 million euros, up 6 percent from a year earlier, driven by price increases in its frozen meals range. Operating margin fell to 8.2 percent from 9.0 percent because of higher energy and packaging costs. The company kept its full-year revenue guidance but lowered its margin outlook. It also announced the closure of a small plant in Lisle, affecting 140 jobs, and said it would offer transfers to its other sites.",
        summaries: [
            (
                "Fenwick Foods' Q3 revenue rose 6% to 412 million euros on frozen-meal price increases, while operating margin slipped to 8.2% from 9.0% on energy and packaging costs. Revenue guidance is unchanged, margin outlook lowered; a Lisle plant closes with 140 jobs, with transfers offered.",
                0.89,
                false,
            ),
            (
                "Fenwick Foods grew revenue 6% to 412 million euros and raised its full-year guidance thanks to lower costs.",
                0.62,
                false,
            ),
        ],
    },
    Doc {
        kind: "medical_leaflet",
        text: "Take one tablet twice a day with food, about twelve hours apart. Do not take more than two tablets in 24 hours. If you miss a dose, take it as soon as you remember unless it is almost time for the next one; never take two doses at once. Stop taking the medicine and contact a doctor immediately if you notice swelling of the face or throat, or difficulty breathing. Common side effects include nausea and mild headache, which usually pass within a week.",
        summaries: [
            (
                "One tablet twice daily with food, 12 hours apart, maximum two in 24 hours; never double up after a missed dose. Seek a doctor at once for facial or throat swelling or breathing trouble. Nausea and mild headache are common and usually pass within a week.",
                0.84,
                false,
            ),
            (
                "Take two tablets together if you miss a dose. Side effects are rare.",
                0.52,
                true,
            ),
        ],
    },
    Doc {
        kind: "news",
        text: "The national statistics office said unemployment fell to 5.8 percent in October, its lowest level in four years, as hiring picked up in construction and healthcare. Youth unemployment remained high at 14.2 percent. Average wages rose 4.4 percent year on year, slightly above inflation of 3.9 percent, meaning real wages grew for the third month in a row. Economists expect the central bank to keep interest rates unchanged at its December meeting.",
        summaries: [
            (
                "Unemployment fell to 5.8% in October, a four-year low, on hiring in construction and healthcare, though youth unemployment stayed at 14.2%. Wages grew 4.4% against 3.9% inflation, a third month of real wage gains; rates are expected to hold in December.",
                0.95,
                false,
            ),
            (
                "Unemployment fell to 5.8% while wages rose 4.4%, and economists expect a rate cut in December.",
                0.74,
                false,
            ),
        ],
    },
    Doc {
        kind: "support_ticket",
        text: "The customer's team of 35 users cannot access shared dashboards since their single sign-on certificate was renewed yesterday. Individual logins with passwords still work. Error message shown: 'SAML response signature invalid'. The customer's IT admin uploaded the new certificate in the admin console but the problem persists. The team presents to their board tomorrow morning and needs the dashboards working today.",
        summaries: [
            (
                "Since yesterday's SSO certificate renewal, 35 users get 'SAML response signature invalid' and cannot open shared dashboards; password logins work. The new certificate was uploaded without effect, and the team needs access today for a board presentation tomorrow.",
                0.81,
                false,
            ),
            (
                "The customer's passwords stopped working after a certificate renewal.",
                0.47,
                false,
            ),
        ],
    },
    Doc {
        kind: "research_note",
        text: "We benchmarked three compression codecs on 2.1 TB of application logs. Codec A achieved a ratio of 9.4 with a median decompression speed of 1.8 GB/s; codec B reached 11.2 at 0.6 GB/s; codec C reached 7.1 at 3.4 GB/s. For the interactive search use case, where queries read recent logs repeatedly, we recommend codec C despite its lower ratio, and codec B for cold archives older than 30 days. Storage savings from the split are estimated at 38 percent against the current setup.",
        summaries: [
            (
                "On 2.1 TB of logs, codec A compressed 9.4x at 1.8 GB/s, B 11.2x at 0.6 GB/s, and C 7.1x at 3.4 GB/s. The note recommends C for interactive search over recent logs and B for archives older than 30 days, saving about 38% of storage.",
                0.92,
                false,
            ),
            (
                "Codec B is the fastest and best codec and should be used for everything, saving 38% of storage.",
                0.56,
                false,
            ),
        ],
    },
    Doc {
        kind: "news",
        text: "Shares of the chip designer Arbor Semi fell 12 percent on Thursday after the company said a key customer had delayed orders for its data-centre processors to the second half of next year. Arbor cut its revenue forecast for the current quarter to between 610 and 640 million dollars, from 700 million previously. The chief executive said demand remained strong over the longer term and that the delay was related to the customer's own product schedule rather than to competition.",
        summaries: [
            (
                "Arbor Semi shares dropped 12% after a key customer pushed data-centre processor orders to the second half of next year. Quarterly revenue guidance was cut to 610-640 million dollars from 700 million; the CEO blamed the customer's schedule, not competition.",
                0.9,
                false,
            ),
            (
                "Arbor Semi lost a key customer to a competitor, and its shares fell 21%.",
                0.6,
                true,
            ),
        ],
    },
    Doc {
        kind: "meeting_notes",
        text: "Product sync, 14 November. Decisions: the mobile checkout redesign ships in the 2.8 release on 2 December; the loyalty points feature moves to January because the payments provider needs more time for its API. Risks: the accessibility audit found 11 issues in the new checkout, 3 of them blocking; Priya's team will fix the blocking ones before release. Actions: Tom to update the release notes by Friday; Lena to confirm the January date with the payments provider.",
        summaries: [
            (
                "14 Nov sync: the checkout redesign ships in 2.8 on 2 December; loyalty points slip to January waiting on the payments provider's API. The accessibility audit found 11 issues (3 blocking), which Priya's team fixes before release. Tom updates release notes by Friday; Lena confirms January with the provider.",
                0.85,
                false,
            ),
            (
                "The checkout redesign and loyalty points both ship on 2 December.",
                0.69,
                false,
            ),
        ],
    },
    Doc {
        kind: "policy",
        text: "Personal data collected through the customer portal is kept for as long as the account is active and for 24 months after it is closed, after which it is deleted or anonymised. Payment records are kept for ten years to meet accounting law. Customers can request a copy of their data or its deletion through the privacy page; requests are answered within 30 days. Data is stored in data centres within the European Union and is not sold to third parties.",
        summaries: [
            (
                "Portal data is kept while the account is active and 24 months after closure, then deleted or anonymised; payment records are kept ten years for accounting law. Copies or deletion can be requested via the privacy page, answered within 30 days; data stays in EU data centres and is never sold.",
                0.93,
                false,
            ),
            (
                "Customer data is deleted immediately when an account is closed and may be shared with partners.",
                0.44,
                false,
            ),
        ],
    },
];

/// The demo outputs as the API would receive them.
pub fn tasks() -> Vec<NewTask> {
    let mut out = Vec::new();
    for (i, doc) in DOCS.iter().enumerate() {
        for (j, (summary, confidence, flagged)) in doc.summaries.iter().enumerate() {
            let version = if j == 0 { "2.3" } else { "2.4" };
            let mut metadata = Map::new();
            metadata.insert("source_type".into(), json!(doc.kind));
            metadata.insert("pipeline".into(), json!("demo-summaries"));
            if *flagged {
                metadata.insert(
                    "flag_reason".into(),
                    Value::from("policy check: possible factual error"),
                );
            }
            out.push(NewTask {
                document: doc.text.to_owned(),
                summary: (*summary).to_owned(),
                confidence: *confidence,
                model: "summarizer".to_owned(),
                model_version: version.to_owned(),
                external_id: Some(format!("demo-{:02}", i * 2 + j + 1)),
                flagged: *flagged,
                priority: 0,
                metadata,
                project: None,
                project_id: app::project::DEFAULT,
                assignee: None,
                assigned: None,
            });
        }
    }
    out
}

/// The month of history behind the demo's dashboard: every task that needed a person has been
/// reviewed, so the queue holds only the thirty tasks above.
pub fn history() -> generate::Spec {
    generate::Spec {
        prefix: "demo-history-".into(),
        tasks: 1_500,
        reviews: None,
        days: 30,
        reviewers: 6,
    }
}

/// Loads the demo set and its history; tasks already present (by external id) are left as they
/// are. Returns how many tasks were new.
pub async fn load(pool: &PgPool) -> anyhow::Result<usize> {
    let stored = ingest::store(pool, tasks()).await?;
    let history = generate::load(pool, &history()).await?;
    Ok(stored.iter().filter(|t| t.created).count() + history.tasks as usize)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_set_has_thirty_valid_tasks_with_a_mix_of_routes() {
        let tasks = super::tasks();
        assert_eq!(tasks.len(), 30);
        assert!(tasks.iter().filter(|t| t.flagged).count() >= 3);
        assert!(tasks.iter().filter(|t| t.confidence < 0.8).count() >= 10);
        assert!(tasks.iter().filter(|t| t.confidence >= 0.8).count() >= 10);
        for t in &tasks {
            let value = serde_json::json!({
                "document": t.document, "summary": t.summary, "confidence": t.confidence,
                "model": t.model, "model_version": t.model_version,
                "external_id": t.external_id, "flagged": t.flagged, "metadata": t.metadata,
            });
            assert_eq!(crate::ingest::parse_task(value, 1_000_000).as_ref(), Ok(t));
        }
    }

    /// The demo's flagged summaries are its hallucinations (the pipeline flagged them); the
    /// page must mark each, the remote-work policy's widened scope first of all.
    #[test]
    fn every_flagged_demo_summary_is_marked_by_the_source_support_hints() {
        use app::support::{DEFAULT_WEAK_BELOW, MarkKind, Support};
        for t in super::tasks().iter().filter(|t| t.flagged) {
            let support = Support::compute(&t.document, &t.summary).judge(DEFAULT_WEAK_BELOW);
            assert!(support.marks_anything(), "not marked: {}", t.summary);
        }
        let flagship = super::tasks()
            .into_iter()
            .find(|t| t.summary.contains("fully remotely from any country"))
            .unwrap();
        let support = Support::compute(&flagship.document, &flagship.summary);
        let scope: Vec<&str> = support.summary[0]
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Scope)
            .map(|m| &flagship.summary[m.span.0 as usize..m.span.1 as usize])
            .collect();
        assert_eq!(scope, ["fully", "any"]);
    }
}
