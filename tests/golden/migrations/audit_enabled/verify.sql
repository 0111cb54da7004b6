SELECT bool_and(version = 1) AND count(*) = 2 FROM customer
