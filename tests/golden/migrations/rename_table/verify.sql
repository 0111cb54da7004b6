SELECT count(*) = 2 FROM client JOIN purchase ON purchase.customer_id = client.id
