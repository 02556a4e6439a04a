//! Faults in the middle of the flow, with every service a separate
//! process: Redis gone for ten seconds while orders arrive, and a backend
//! killed and started again while their print jobs are created. Every
//! order still reaches DELIVERED, with exactly one print job per plate or
//! product, one label and one Shopify fulfilment each.

mod support;

use gridflock_stack::flow::{self, Baseplate, Until};
use gridflock_stack::{Service, StackClient};
use std::time::{Duration, Instant};

const FLOW_TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_outage_and_a_backend_crash_lose_and_duplicate_nothing() {
    let mut stack = support::start("faults").await;
    let client = StackClient::new(&stack);
    let shop = flow::prepare_shop(&client, "faults-shop.myshopify.com")
        .await
        .expect("shop set up");
    // One plate on the A1's bed: the fault, not the slicer, is under test.
    let small = Baseplate {
        width_mm: 168,
        height_mm: 126,
        magnets: false,
    };
    let start = Instant::now();
    client
        .place_order(&shop, &flow::customer_order(6001, Some(small), true))
        .await
        .expect("first order");

    // Redis goes away; Shopify keeps delivering, and each webhook is still
    // accepted because it is stored in PostgreSQL before it is answered.
    stack.stop_redis().await.expect("stop Redis");
    let outage = Instant::now();
    for id in [6002, 6003] {
        client
            .place_order(&shop, &flow::customer_order(id, None, true))
            .await
            .unwrap_or_else(|e| panic!("order {id} during the Redis outage: {e:#}"));
    }
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(outage.elapsed())).await;
    stack.start_redis().await.expect("start Redis");
    eprintln!("Redis was down for {:.1} s", outage.elapsed().as_secs_f64());

    // print-service crashes while the jobs of the backlog are created.
    client
        .place_order(&shop, &flow::customer_order(6004, Some(small), true))
        .await
        .expect("fourth order");
    stack.kill_service(Service::Print).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack
        .start_service(Service::Print)
        .await
        .expect("print-service restarts");

    let mut jobs = 0;
    for id in [6001, 6002, 6003, 6004] {
        let order = flow::follow(
            &client,
            &shop,
            id,
            Until::Delivered,
            FLOW_TIMEOUT,
            support::progress(start),
        )
        .await
        .unwrap_or_else(|e| panic!("order {id}: {e:#}; logs in {}", stack.run_dir().display()));
        let lines = order["lineItems"].as_array().map_or(0, Vec::len);
        let order_jobs = order["printJobs"].as_array().map_or(0, Vec::len);
        // One plate for the baseplate, one part for the standard product.
        assert_eq!(order_jobs, lines, "order {id}: one print job per line");
        jobs += order_jobs;
    }
    let queue = client.farm("queue").await.expect("queue");
    assert_eq!(
        queue.len(),
        jobs,
        "the farm queued each job once: {queue:?}"
    );
    support::one_label_and_fulfilment_per_order(&client, &shop, 4).await;
    assert_eq!(
        support::pipelines(&stack).await,
        1,
        "both baseplate orders share one pipeline"
    );
    stack.stop().await;
}
