//! The bare relay: each message of the first queue published, confirmed,
//! into the second, then acked. Publishes leave in delivery order (one
//! channel), so a lane's order is kept; confirms are awaited meanwhile.

use futures_util::StreamExt;
use lapin::Confirmation;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use tokio::task::JoinHandle;

pub async fn start(
    amqp_url: &str,
    [from, to]: [&String; 2],
    prefetch: u16,
) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let connection = crate::ceilings::inlet_bus_like_connect(amqp_url).await?;
    let consume = connection.create_channel().await?;
    let publish = connection.create_channel().await?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    crate::ceilings::declare_quorum(&publish, to).await?;
    consume
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let mut deliveries = consume
        .basic_consume(
            from.as_str().into(),
            "inlet-bench-bare-relay".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let to = to.clone();
    Ok(tokio::spawn(async move {
        let _connection = connection;
        while let Some(delivery) = deliveries.next().await {
            let delivery = delivery?;
            let confirm =
                crate::ceilings::publish_persistent(&publish, &to, &delivery.data).await?;
            tokio::spawn(async move {
                if let Ok(Confirmation::Ack(None)) = confirm.await {
                    let _ = delivery.ack(BasicAckOptions::default()).await;
                }
            });
        }
        Ok(())
    }))
}
