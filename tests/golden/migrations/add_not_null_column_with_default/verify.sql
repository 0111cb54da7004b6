SELECT bool_and(loyalty_points = 0 AND joined_at IS NOT NULL) AND count(*) = 2 FROM customer
