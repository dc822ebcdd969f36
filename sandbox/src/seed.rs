//! The seeded orgs: same records and ids on every start, so tests and demos can name them.
//! The table in sandbox/README.md lists them.

use crate::store::{derive_fields, format_datetime, new_schema, Org, Record};
use salespane_api::sfid::SfId;
use serde_json::{json, Value};

pub const ACME_ORG_NAME: &str = "Acme Sandbox";
pub const GLOBEX_ORG_NAME: &str = "Globex Sandbox";

pub const PROFILE_ADMIN: &str = "System Administrator";
pub const PROFILE_STANDARD: &str = "Standard User";
pub const PROFILE_NO_API: &str = "Standard User - No API";

/// Acme's System Administrator.
pub const ACME_ADMIN: &str = "ada.admin@acme.example";
pub const ACME_SELLER: &str = "sam.seller@acme.example";
pub const ACME_REP: &str = "sara.rep@acme.example";
pub const ACME_CLOSER: &str = "tom.closer@acme.example";
/// Active, but the profile lacks "API Enabled": REST calls answer API_CURRENTLY_DISABLED.
pub const ACME_NO_API: &str = "nora.noapi@acme.example";
/// `IsActive = false`: cannot sign in.
pub const ACME_INACTIVE: &str = "ivan.inactive@acme.example";
/// A user whose Email differs from the Username.
pub const ACME_EMAIL_DIFFERS: &str = "dan.diff@acme.example";
pub const ACME_EMAIL_DIFFERS_EMAIL: &str = "daniel.d@acme-mail.example";
/// Generated active standard users `rep01@acme.example` … `rep40@acme.example`.
pub const ACME_GENERATED_REPS: usize = 40;
/// Acme users in total (7 named + 40 generated); all but ivan.inactive (46) are active.
pub const ACME_USER_COUNT: usize = 47;

pub const GLOBEX_ADMIN: &str = "gina.admin@globex.example";
pub const GLOBEX_SELLER: &str = "gus.seller@globex.example";
pub const GLOBEX_REP: &str = "greta.rep@globex.example";

/// A seeded Acme lead (owned by sam.seller).
pub const LEAD_JANE_EMAIL: &str = "jane.prospect@northwind.example";
/// A seeded Acme contact at Northwind Traders (owned by sam.seller); an older lead has the same email.
pub const CONTACT_MARIA_EMAIL: &str = "maria.anders@northwind.example";
/// A seeded Globex contact.
pub const GLOBEX_CONTACT_EMAIL: &str = "homer.simpson@springfield-power.example";

const GENERATED_FIRST: [&str; 10] = [
    "Alex", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Morgan", "Riley",
];
const GENERATED_LAST: [&str; 8] = [
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Silva",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
];

/// The id of the org with this name, if seeded.
pub fn org_id(name: &str) -> Option<SfId> {
    seeded_orgs("http://sandbox.invalid")
        .into_iter()
        .find(|o| o.name == name)
        .map(|o| o.id)
}

pub fn acme_org_id() -> SfId {
    crate::store::make_id("00D", ACME_POD, 1)
}

pub fn globex_org_id() -> SfId {
    crate::store::make_id("00D", GLOBEX_POD, 1)
}

/// The id of a seeded user, by username (any org).
pub fn user_id(username: &str) -> Option<SfId> {
    find_seeded("User", "Username", username)
}

/// The id of the first seeded record of `object` whose `field` equals `value`
/// (case-insensitive), in any org. E.g. `find_seeded("Lead", "Email", LEAD_JANE_EMAIL)`.
pub fn find_seeded(object: &str, field: &str, value: &str) -> Option<SfId> {
    seeded_orgs("http://sandbox.invalid")
        .iter()
        .find_map(|org| {
            org.tables.get(object)?.values().find_map(|r| {
                let matches = r
                    .get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value));
                if matches {
                    r.get("Id")
                        .and_then(Value::as_str)
                        .and_then(|id| SfId::parse(id).ok())
                } else {
                    None
                }
            })
        })
}

pub(crate) const ACME_POD: &str = "Ac";
pub(crate) const GLOBEX_POD: &str = "Gx";

fn seeder(name: &str, pod: &'static str) -> Seeder {
    Seeder {
        org: Org::new(name, pod, new_schema()),
        clock: 0,
        // The first user seeded is the admin, who "creates" every seeded record.
        actor: crate::store::make_id("005", pod, 1).to_string(),
    }
}

/// Inserts seed records with deterministic timestamps, one minute apart.
struct Seeder {
    org: Org,
    clock: i64,
    actor: String,
}

impl Seeder {
    fn add(&mut self, object: &'static str, value: Value) -> String {
        let fields: Record = match value {
            Value::Object(map) => map,
            _ => Record::new(),
        };
        // 2026-01-05T09:00:00Z plus one minute per seeded record.
        let at = chrono::DateTime::from_timestamp(1_767_603_600 + self.clock * 60, 0)
            .map(format_datetime)
            .unwrap_or_default();
        self.clock += 1;
        let mut fields = fields;
        crate::store::apply_defaults(object, &mut fields);
        let actor = self.actor.clone();
        self.org.insert(object, fields, &actor, &at).to_string()
    }
}

struct SeedUser<'a> {
    first: &'a str,
    last: &'a str,
    username: &'a str,
    email: &'a str,
    title: &'a str,
    profile: &'a str,
    active: bool,
}

fn add_user(s: &mut Seeder, base_url: &str, u: &SeedUser) -> String {
    let alias: String = u
        .first
        .chars()
        .take(1)
        .chain(u.last.chars().take(4))
        .collect();
    let profile_id = s
        .org
        .tables
        .get("Profile")
        .and_then(|t| {
            t.values()
                .find(|p| p.get("Name").and_then(Value::as_str) == Some(u.profile))
        })
        .and_then(|p| p.get("Id").cloned())
        .unwrap_or(Value::Null);
    let n = s.org.tables.get("User").map_or(0, |t| t.len()) + 1;
    let photo = format!("{base_url}/profilephoto/005/T/{n}");
    s.add(
        "User",
        json!({
            "Username": u.username, "Email": u.email, "FirstName": u.first, "LastName": u.last,
            "Title": u.title, "Phone": format!("+1 415 555 {:04}", 100 + n),
            "Alias": alias.to_lowercase(), "IsActive": u.active, "UserType": "Standard",
            "ProfileId": profile_id, "SmallPhotoUrl": photo.clone(),
            "FullPhotoUrl": photo.replace("/T/", "/F/"), "TimeZoneSidKey": "America/Los_Angeles",
            "LocaleSidKey": "en_US", "CompanyName": s.org.name.trim_end_matches(" Sandbox"),
            "Department": "Sales",
        }),
    )
}

fn add_profiles(s: &mut Seeder) {
    for (name, api) in [
        (PROFILE_ADMIN, true),
        (PROFILE_STANDARD, true),
        (PROFILE_NO_API, false),
    ] {
        s.add(
            "Profile",
            json!({"Name": name, "PermissionsApiEnabled": api, "UserType": "Standard"}),
        );
    }
}

fn add_organization(s: &mut Seeder, instance: &str) {
    s.add(
        "Organization",
        json!({"Name": s.org.name.clone(), "OrganizationType": "Enterprise Edition",
               "InstanceName": instance, "IsSandbox": true, "DefaultLocaleSidKey": "en_US",
               "TimeZoneSidKey": "America/Los_Angeles"}),
    );
    // Being the first 00D record, it gets the org id itself.
}

fn owner(s: &Seeder, username: &str) -> Value {
    s.org
        .user_by_username(username)
        .and_then(|u| u.get("Id").cloned())
        .unwrap_or(Value::Null)
}

/// Builds the seeded orgs. `base_url` is the sandbox's public base URL (for photo URLs).
pub(crate) fn seeded_orgs(base_url: &str) -> Vec<Org> {
    vec![acme(base_url), globex(base_url)]
}

fn acme(base_url: &str) -> Org {
    let mut s = seeder(ACME_ORG_NAME, ACME_POD);
    add_organization(&mut s, "SBX1");
    add_profiles(&mut s);
    let named = [
        (
            "Ada",
            "Admin",
            ACME_ADMIN,
            ACME_ADMIN,
            "Salesforce Administrator",
            PROFILE_ADMIN,
            true,
        ),
        (
            "Sam",
            "Seller",
            ACME_SELLER,
            ACME_SELLER,
            "Account Executive",
            PROFILE_STANDARD,
            true,
        ),
        (
            "Sara",
            "Rep",
            ACME_REP,
            ACME_REP,
            "Sales Development Rep",
            PROFILE_STANDARD,
            true,
        ),
        (
            "Tom",
            "Closer",
            ACME_CLOSER,
            ACME_CLOSER,
            "Senior Account Executive",
            PROFILE_STANDARD,
            true,
        ),
        (
            "Nora",
            "Noapi",
            ACME_NO_API,
            ACME_NO_API,
            "Sales Assistant",
            PROFILE_NO_API,
            true,
        ),
        (
            "Ivan",
            "Inactive",
            ACME_INACTIVE,
            ACME_INACTIVE,
            "Former Account Executive",
            PROFILE_STANDARD,
            false,
        ),
        (
            "Dan",
            "Diff",
            ACME_EMAIL_DIFFERS,
            ACME_EMAIL_DIFFERS_EMAIL,
            "Account Executive",
            PROFILE_STANDARD,
            true,
        ),
    ];
    for (first, last, username, email, title, profile, active) in named {
        add_user(
            &mut s,
            base_url,
            &SeedUser {
                first,
                last,
                username,
                email,
                title,
                profile,
                active,
            },
        );
    }
    for i in 1..=ACME_GENERATED_REPS {
        let username = format!("rep{i:02}@acme.example");
        let first = GENERATED_FIRST[(i - 1) % GENERATED_FIRST.len()];
        let last = GENERATED_LAST[(i - 1) % GENERATED_LAST.len()];
        add_user(
            &mut s,
            base_url,
            &SeedUser {
                first,
                last,
                username: &username,
                email: &username,
                title: "Sales Representative",
                profile: PROFILE_STANDARD,
                active: true,
            },
        );
    }

    let sam = owner(&s, ACME_SELLER);
    let sara = owner(&s, ACME_REP);
    let tom = owner(&s, ACME_CLOSER);
    let dan = owner(&s, ACME_EMAIL_DIFFERS);
    let rep01 = owner(&s, "rep01@acme.example");
    let rep02 = owner(&s, "rep02@acme.example");

    let account = |s: &mut Seeder, name: &str, web: &str, industry: &str, city: &str, o: &Value| {
        s.add(
            "Account",
            json!({"Name": name, "Website": web, "Industry": industry, "BillingCity": city,
                   "BillingCountry": "United States", "Type": "Customer", "OwnerId": o}),
        )
    };
    let northwind = account(
        &mut s,
        "Northwind Traders",
        "northwind.example",
        "Retail",
        "Seattle",
        &sam,
    );
    let contoso = account(
        &mut s,
        "Contoso Ltd",
        "contoso.example",
        "Technology",
        "Redmond",
        &tom,
    );
    let fabrikam = account(
        &mut s,
        "Fabrikam Inc",
        "fabrikam.example",
        "Manufacturing",
        "Chicago",
        &sam,
    );
    let initech = account(
        &mut s,
        "Initech",
        "initech.example",
        "Software",
        "Austin",
        &sara,
    );
    let umbrella = account(
        &mut s,
        "Umbrella Health",
        "umbrella-health.example",
        "Healthcare",
        "Boston",
        &dan,
    );
    let wayne = account(
        &mut s,
        "Wayne Logistics",
        "wayne-logistics.example",
        "Transportation",
        "Newark",
        &tom,
    );

    let contact = |s: &mut Seeder,
                   first: &str,
                   last: &str,
                   email: &str,
                   title: &str,
                   acct: Option<&str>,
                   o: &Value| {
        s.add(
            "Contact",
            json!({"FirstName": first, "LastName": last, "Email": email, "Title": title,
                   "Phone": "+1 206 555 0199", "AccountId": acct, "OwnerId": o}),
        )
    };
    let maria = contact(
        &mut s,
        "Maria",
        "Anders",
        CONTACT_MARIA_EMAIL,
        "Purchasing Manager",
        Some(&northwind),
        &sam,
    );
    let thomas = contact(
        &mut s,
        "Thomas",
        "Hardy",
        "thomas.hardy@contoso.example",
        "VP Operations",
        Some(&contoso),
        &tom,
    );
    contact(
        &mut s,
        "Elena",
        "Ruiz",
        "elena.ruiz@fabrikam.example",
        "Plant Director",
        Some(&fabrikam),
        &sam,
    );
    let peter = contact(
        &mut s,
        "Peter",
        "Gibbons",
        "peter.gibbons@initech.example",
        "Software Engineer",
        Some(&initech),
        &sara,
    );
    let bill = contact(
        &mut s,
        "Bill",
        "Lumbergh",
        "bill.lumbergh@initech.example",
        "Division VP",
        Some(&initech),
        &sara,
    );
    let alice = contact(
        &mut s,
        "Alice",
        "Chen",
        "alice.chen@umbrella-health.example",
        "CIO",
        Some(&umbrella),
        &dan,
    );
    contact(
        &mut s,
        "Lucius",
        "Fox",
        "lucius.fox@wayne-logistics.example",
        "CTO",
        Some(&wayne),
        &tom,
    );
    contact(
        &mut s,
        "Olivia",
        "Park",
        "olivia.park@freelance.example",
        "Consultant",
        None,
        &sara,
    );
    contact(
        &mut s,
        "Marco",
        "Rossi",
        "marco.rossi@mail.example",
        "Independent Buyer",
        None,
        &rep01,
    );

    let lead = |s: &mut Seeder,
                first: &str,
                last: &str,
                email: &str,
                company: &str,
                status: &str,
                o: &Value| {
        s.add(
            "Lead",
            json!({"FirstName": first, "LastName": last, "Email": email, "Company": company,
                   "Status": status, "LeadSource": "Web", "Title": "Director", "OwnerId": o}),
        )
    };
    let jane = lead(
        &mut s,
        "Jane",
        "Prospect",
        LEAD_JANE_EMAIL,
        "Northwind Traders",
        "Open - Not Contacted",
        &sam,
    );
    lead(
        &mut s,
        "Liam",
        "Turner",
        "liam.turner@brightwave.example",
        "Brightwave Media",
        "Working - Contacted",
        &sara,
    );
    lead(
        &mut s,
        "Priya",
        "Natarajan",
        "priya.n@quantumleaf.example",
        "QuantumLeaf",
        "Open - Not Contacted",
        &tom,
    );
    lead(
        &mut s,
        "Hugo",
        "Martin",
        "hugo.martin@atelier-lumiere.example",
        "Atelier Lumière",
        "Working - Contacted",
        &dan,
    );
    lead(
        &mut s,
        "Sofia",
        "Costa",
        "sofia.costa@verdant.example",
        "Verdant Farms",
        "Open - Not Contacted",
        &rep01,
    );
    lead(
        &mut s,
        "Kenji",
        "Sato",
        "kenji.sato@sakura-tech.example",
        "Sakura Tech",
        "Open - Not Contacted",
        &sam,
    );
    lead(
        &mut s,
        "Maria",
        "Anders",
        CONTACT_MARIA_EMAIL,
        "Northwind Traders",
        "Closed - Not Converted",
        &rep02,
    );

    let opp = |s: &mut Seeder,
               name: &str,
               acct: &str,
               stage: &str,
               amount: f64,
               close: &str,
               o: &Value| {
        s.add(
            "Opportunity",
            json!({"Name": name, "AccountId": acct, "StageName": stage, "Amount": amount,
                   "CloseDate": close, "OwnerId": o}),
        )
    };
    let o1 = opp(
        &mut s,
        "Northwind Traders - Renewal 2027",
        &northwind,
        "Negotiation/Review",
        48000.0,
        "2026-12-15",
        &sam,
    );
    let o2 = opp(
        &mut s,
        "Contoso Expansion",
        &contoso,
        "Proposal/Price Quote",
        125000.0,
        "2027-01-31",
        &tom,
    );
    let o3 = opp(
        &mut s,
        "Initech TPS Automation",
        &initech,
        "Qualification",
        30000.0,
        "2026-12-31",
        &sara,
    );
    opp(
        &mut s,
        "Fabrikam Pilot",
        &fabrikam,
        "Closed Won",
        15000.0,
        "2026-10-01",
        &sam,
    );
    let o5 = opp(
        &mut s,
        "Umbrella Health Platform",
        &umbrella,
        "Prospecting",
        90000.0,
        "2027-03-01",
        &dan,
    );
    for (o, c, role, primary) in [
        (&o1, &maria, "Decision Maker", true),
        (&o2, &thomas, "Economic Buyer", true),
        (&o3, &peter, "Technical Buyer", false),
        (&o3, &bill, "Decision Maker", true),
        (&o5, &alice, "Executive Sponsor", true),
    ] {
        s.add(
            "OpportunityContactRole",
            json!({"OpportunityId": o, "ContactId": c, "Role": role, "IsPrimary": primary}),
        );
    }
    s.add(
        "Task",
        json!({"WhoId": jane, "Subject": "Call: introduction", "ActivityDate": "2026-01-12",
               "Status": "Completed", "Priority": "Normal", "Type": "Call", "TaskSubtype": "Call",
               "OwnerId": sam}),
    );
    s.add(
        "Task",
        json!({"WhoId": maria, "WhatId": o1, "Subject": "Send renewal quote",
               "ActivityDate": "2026-12-01", "Status": "Not Started", "Priority": "High",
               "TaskSubtype": "Task", "OwnerId": sam}),
    );
    finish(s)
}

fn globex(base_url: &str) -> Org {
    let mut s = seeder(GLOBEX_ORG_NAME, GLOBEX_POD);
    add_organization(&mut s, "SBX2");
    add_profiles(&mut s);
    for (first, last, username, title, profile) in [
        (
            "Gina",
            "Admin",
            GLOBEX_ADMIN,
            "CRM Administrator",
            PROFILE_ADMIN,
        ),
        (
            "Gus",
            "Seller",
            GLOBEX_SELLER,
            "Account Executive",
            PROFILE_STANDARD,
        ),
        (
            "Greta",
            "Rep",
            GLOBEX_REP,
            "Sales Development Rep",
            PROFILE_STANDARD,
        ),
    ] {
        add_user(
            &mut s,
            base_url,
            &SeedUser {
                first,
                last,
                username,
                email: username,
                title,
                profile,
                active: true,
            },
        );
    }
    let gus = owner(&s, GLOBEX_SELLER);
    let acct = s.add(
        "Account",
        json!({"Name": "Springfield Power", "Website": "springfield-power.example",
               "Industry": "Energy", "BillingCity": "Springfield", "OwnerId": gus}),
    );
    s.add(
        "Contact",
        json!({"FirstName": "Homer", "LastName": "Simpson", "Email": GLOBEX_CONTACT_EMAIL,
               "Title": "Safety Inspector", "AccountId": acct, "OwnerId": gus}),
    );
    s.add(
        "Lead",
        json!({"FirstName": "Marge", "LastName": "Bouvier", "Email": "marge.bouvier@evergreen.example",
               "Company": "Evergreen Terrace Bakery", "Status": "Open - Not Contacted", "OwnerId": gus}),
    );
    s.add(
        "Opportunity",
        json!({"Name": "Springfield Power - Safety Upgrade", "AccountId": acct,
               "StageName": "Prospecting", "Amount": 75000.0, "CloseDate": "2027-02-15", "OwnerId": gus}),
    );
    finish(s)
}

fn finish(s: Seeder) -> Org {
    let mut org = s.org;
    for (object, table) in org.tables.iter_mut() {
        for rec in table.values_mut() {
            derive_fields(object, rec);
        }
    }
    org
}

/// The seeded orgs as Markdown tables (what sandbox/README.md lists; a test keeps them in sync).
/// `cargo run -p salespane-sandbox --example seeds` prints it.
pub fn describe_markdown() -> String {
    let mut out = String::new();
    for org in seeded_orgs("http://sandbox.invalid") {
        out.push_str(&format!("### {} — org id `{}`\n\n", org.name, org.id));
        out.push_str("| Object | Id | Name | Username / Email | Notes |\n|---|---|---|---|---|\n");
        for (object, table) in &org.tables {
            if *object == "Organization" {
                continue;
            }
            for record in table.values() {
                let get = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or("");
                let id = get("Id");
                let (name, contact, notes) = match *object {
                    "Profile" => (
                        get("Name").to_string(),
                        String::new(),
                        format!(
                            "API enabled: {}",
                            record.get("PermissionsApiEnabled") == Some(&Value::Bool(true))
                        ),
                    ),
                    "User" => {
                        let profile = get("ProfileId");
                        let profile_name = org
                            .get(profile)
                            .and_then(|(_, p)| p.get("Name").and_then(Value::as_str))
                            .unwrap_or("");
                        let email = get("Email");
                        let contact = if email.eq_ignore_ascii_case(get("Username")) {
                            format!("`{}`", get("Username"))
                        } else {
                            format!("`{}` / email `{email}`", get("Username"))
                        };
                        let active = if record.get("IsActive") == Some(&Value::Bool(true)) {
                            ""
                        } else {
                            ", inactive"
                        };
                        (
                            get("Name").to_string(),
                            contact,
                            format!("{profile_name}{active}"),
                        )
                    }
                    "OpportunityContactRole" => (
                        get("Role").to_string(),
                        String::new(),
                        format!("{} ↔ {}", get("OpportunityId"), get("ContactId")),
                    ),
                    "Task" => (
                        get("Subject").to_string(),
                        String::new(),
                        format!("Who {}", get("WhoId")),
                    ),
                    _ => {
                        let email = get("Email");
                        let notes = match *object {
                            "Contact" => format!("Account {}", get("AccountId")),
                            "Lead" => get("Company").to_string(),
                            "Opportunity" => {
                                format!("{} · Account {}", get("StageName"), get("AccountId"))
                            }
                            _ => String::new(),
                        };
                        (
                            get("Name").to_string(),
                            if email.is_empty() {
                                String::new()
                            } else {
                                format!("`{email}`")
                            },
                            notes,
                        )
                    }
                };
                let owner = record
                    .get("OwnerId")
                    .and_then(Value::as_str)
                    .and_then(|o| org.get(o))
                    .and_then(|(_, u)| u.get("Username").and_then(Value::as_str))
                    .map(|u| format!(" · owner {u}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "| {object} | `{id}` | {name} | {contact} | {notes}{owner} |\n"
                ));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_deterministic_and_ids_well_formed() {
        assert_eq!(describe_markdown(), describe_markdown());
        assert_eq!(org_id(ACME_ORG_NAME), Some(acme_org_id()));
        assert_eq!(org_id(GLOBEX_ORG_NAME), Some(globex_org_id()));
        let orgs = seeded_orgs("http://x");
        let mut emails = std::collections::HashSet::new();
        for org in &orgs {
            for (object, table) in &org.tables {
                for (id, record) in table {
                    let parsed = SfId::parse(id).unwrap();
                    assert_eq!(parsed.as_str(), id);
                    assert_eq!(org.object_of_id(id), Some(*object));
                    if *object == "User" {
                        assert!(emails.insert(record["Email"].as_str().unwrap().to_lowercase()));
                    }
                }
            }
        }
        assert_eq!(orgs[0].tables["User"].len(), ACME_USER_COUNT);
        assert_eq!(
            user_id(ACME_ADMIN).unwrap().as_str(),
            crate::store::make_id("005", ACME_POD, 1).as_str()
        );
    }

    #[test]
    fn readme_lists_the_seeds() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&describe_markdown()),
            "sandbox/README.md is out of date: paste the output of `cargo run -p salespane-sandbox --example seeds`"
        );
    }
}
