//! A fresh database per test, created from a template that holds every
//! migration. The template is named after a fingerprint of the migrations
//! and built once, under an advisory lock, by whichever test comes first.

use std::str::FromStr;
use tokio_postgres::{Config, NoTls};

/// Advisory lock key while building the template.
const TEMPLATE_LOCK: i64 = 0x0074_656d_706c;

pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

async fn admin_client(admin_url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = Config::from_str(admin_url)?.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn url_for(admin_url: &str, database: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    format!("{base}/{database}")
}

impl TestDatabase {
    pub async fn create() -> anyhow::Result<Self> {
        Self::create_on(&crate::postgres_url()).await
    }

    /// A fresh database on the server of `admin_url` (e.g. a private one).
    pub async fn create_on(admin_url: &str) -> anyhow::Result<Self> {
        let admin_url = admin_url.to_string();
        let template = ensure_template(&admin_url).await?;
        let name = format!("inlet_test_{}", crate::unique_tag());
        let admin = admin_client(&admin_url).await?;
        // Another test may be copying the template at this instant.
        let mut attempts = 0;
        loop {
            match admin
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await
            {
                Ok(()) => break,
                Err(error) if attempts < 20 => {
                    attempts += 1;
                    tracing::debug!(%error, "template busy; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Self {
            url: url_for(&admin_url, &name),
            name,
            admin_url,
        })
    }
}

async fn ensure_template(admin_url: &str) -> anyhow::Result<String> {
    let template = format!("inlet_tpl_{}", inlet_store::migrate::fingerprint());
    let admin = admin_client(admin_url).await?;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
        .await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await?
        .is_some();
    let result = if exists {
        Ok(())
    } else {
        build_template(&admin, admin_url, &template).await
    };
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
        .await?;
    result.map(|()| template)
}

async fn build_template(
    admin: &tokio_postgres::Client,
    admin_url: &str,
    template: &str,
) -> anyhow::Result<()> {
    let building = format!("{template}_building");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {building}"))
        .await?;
    {
        let (mut client, connection) = Config::from_str(&url_for(admin_url, &building))?
            .connect(NoTls)
            .await?;
        let driver = tokio::spawn(connection);
        inlet_store::migrate::run(&mut client).await?;
        drop(client);
        let _ = driver.await;
    }
    admin
        .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
        .await?;
    Ok(())
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a private one.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = admin_client(&admin_url).await {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}
