//! How many PostgreSQL connections the bench may open: what the server
//! allows, less what is in use and what the services' pools may still grow
//! to, so that a measurement never starves the pipeline it measures (nor
//! fails with `too many clients already`).

use thiserror::Error;

/// The services that hold a `database.pool_size` pool each (ingress,
/// delivery, api); their pools grow on demand up to that size.
const POOLED_SERVICES: usize = 3;
/// Left free for `psql`, the verification's own connection and the like.
const MARGIN: usize = 8;

/// What PostgreSQL reports about its connection slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slots {
    pub max_connections: usize,
    pub superuser_reserved: usize,
    pub in_use: usize,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SizingError {
    #[error(
        "PostgreSQL allows {max} connections ({in_use} in use, the services' pools may take {pools}): \
         the bench needs {needed} more; raise max_connections (scripts/dev-services sets it, see docs/operations.md) \
         or stop other clients"
    )]
    TooFew {
        max: usize,
        in_use: usize,
        pools: usize,
        needed: usize,
    },
}

/// The connections left to the bench: the allowed ones less the reserved,
/// the busiest of (what is in use, what the services' pools may reach), and
/// a margin. Fails when fewer than `minimum` remain.
pub fn available(slots: Slots, pool_size: usize, minimum: usize) -> Result<usize, SizingError> {
    let pools = POOLED_SERVICES * pool_size;
    let taken = slots.superuser_reserved + slots.in_use.max(pools) + MARGIN;
    let left = slots.max_connections.saturating_sub(taken);
    if left < minimum {
        return Err(SizingError::TooFew {
            max: slots.max_connections,
            in_use: slots.in_use,
            pools,
            needed: minimum,
        });
    }
    Ok(left)
}

/// Reads the server's slots.
pub async fn slots(database_url: &str) -> anyhow::Result<Slots> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let setting = |name: &'static str| {
        let client = &client;
        async move {
            let text: String = client.query_one(&format!("SHOW {name}"), &[]).await?.get(0);
            anyhow::Ok(text.trim().parse::<usize>()?)
        }
    };
    let max_connections = setting("max_connections").await?;
    let superuser_reserved = setting("superuser_reserved_connections").await?;
    let in_use: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
            &[],
        )
        .await?
        .get(0);
    Ok(Slots {
        max_connections,
        superuser_reserved,
        in_use: usize::try_from(in_use).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max_connections: usize, in_use: usize) -> Slots {
        Slots {
            max_connections,
            superuser_reserved: 3,
            in_use,
        }
    }

    #[test]
    fn debian_default_leaves_room_beside_the_services_full_pools() {
        // 100 − 3 reserved − 48 (3 pools of 16) − 8 margin.
        assert_eq!(available(slots(100, 20), 16, 2), Ok(41));
    }

    #[test]
    fn connections_in_use_beyond_the_pools_are_subtracted() {
        assert_eq!(available(slots(100, 70), 16, 2), Ok(19));
    }

    #[test]
    fn too_few_left_is_one_clear_sentence() {
        let error = available(slots(60, 10), 16, 2).unwrap_err();
        assert_eq!(
            error,
            SizingError::TooFew {
                max: 60,
                in_use: 10,
                pools: 48,
                needed: 2
            }
        );
        assert!(
            error
                .to_string()
                .starts_with("PostgreSQL allows 60 connections")
        );
    }
}
