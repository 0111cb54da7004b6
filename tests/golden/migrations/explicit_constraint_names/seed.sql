INSERT INTO customer (id, email, region) VALUES
  ('00000000-0000-0000-0000-000000000001', 'ada@example.com', 'GB');
INSERT INTO purchase (customer_id) VALUES ('00000000-0000-0000-0000-000000000001');
